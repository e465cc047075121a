"""The grammar of names in a spec, and "did you mean" for names that miss.

Addresses (``platform.type.name``) and provider instances (``platform`` or
``platform.alias``) are the spec's identifiers: they key the state document
and appear in every plan line, so they are kept to one plain, lowercase
alphabet that survives shells, URLs and file names without quoting.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

__all__ = ["SECRETISH", "parse_address", "parse_provider_name", "suggest"]

#: Key names of credentials (``token``, ``api_key``, ``dsn``…): their values are never quoted back.
SECRETISH = re.compile(r"token|secret|password|passwd|api_?key|dsn|credential", re.IGNORECASE)

_WORD = re.compile(r"[a-z][a-z0-9_]*")
_NAME = re.compile(r"[a-z][a-z0-9_-]*")
_ALIAS = re.compile(r"[a-z0-9_-]+")

_NAME_RULE = "lowercase letters, digits, '_' and '-', starting with a letter"
_WORD_RULE = "lowercase letters, digits and '_', starting with a letter"


def parse_address(address: str) -> tuple[str, str, str]:
    """Split ``"alviss.upload.sales"`` into its three parts; a ValueError says what is wrong."""
    parts = address.split(".")
    if len(parts) != 3:
        raise ValueError(f"invalid resource address {address!r}: expected 'platform.type.name'")
    platform, kind, name = parts
    for label, part in (("platform", platform), ("type", kind)):
        if not _WORD.fullmatch(part):
            raise ValueError(f"invalid resource address {address!r}: the {label} must be {_WORD_RULE}")
    if not _NAME.fullmatch(name):
        raise ValueError(f"invalid resource address {address!r}: the name must be {_NAME_RULE}")
    return platform, kind, name


def parse_provider_name(name: str) -> tuple[str, str | None]:
    """Split ``"alviss.no"`` into ``("alviss", "no")`` and ``"alviss"`` into ``("alviss", None)``."""
    platform, dot, alias = name.partition(".")
    if not _WORD.fullmatch(platform) or (dot and not _ALIAS.fullmatch(alias)):
        raise ValueError(
            f"invalid provider name {name!r}: expected 'platform' or 'platform.alias'"
            " (alias: lowercase letters, digits, '_' and '-')"
        )
    return platform, alias if dot else None


def suggest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest to ``word``, if any is close enough to be a likely typo."""
    found = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return found[0] if found else None
