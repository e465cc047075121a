"""Keep secrets and oversized bodies out of every message the reconciler prints.

Platforms echo what they receive: an error body may repeat the request's
headers (``Authorization: Bearer …``) or the JSON payload that carried an API
key.  Anything that turns remote text into a message goes through a
:class:`Redactor` first and through :func:`cut` second, so a secret can never
reach a terminal, a log or a file, and a 2 MB HTML error page never floods one.

Redaction happens before cutting: cutting first could leave half a secret
behind at the boundary.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote

__all__ = ["MASK", "MIN_SECRET_LENGTH", "Redactor", "cut"]

MASK = "***"
# Shorter values would mangle ordinary words ("1", "abc") while protecting nothing.
MIN_SECRET_LENGTH = 4


class Redactor:
    """Replaces every known secret in a text with ``***``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str) -> None:
        """Remember ``secret`` (and its URL-encoded form, as query strings echo it)."""
        if len(secret) < MIN_SECRET_LENGTH:
            return
        self._secrets.add(secret)
        self._secrets.add(quote(secret, safe=""))
        # Longest first, so a secret that contains another one is masked whole.
        ordered = sorted(self._secrets, key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(s) for s in ordered))

    def __call__(self, text: str) -> str:
        if self._pattern is None:
            return text
        return self._pattern.sub(MASK, text)

    def __repr__(self) -> str:
        return f"Redactor({len(self._secrets)} secrets)"


def cut(text: str, limit: int = 500) -> str:
    """Shorten ``text`` to ``limit`` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} more characters)"
