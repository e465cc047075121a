"""Keep secrets and oversized bodies out of every message the reconciler prints.

Platforms echo what they receive: an error body may repeat the request's
headers (``Authorization: Bearer …``) or the JSON payload that carried an API
key.  Anything that turns remote text into a message goes through a
:class:`Redactor` first and through :func:`cut` second, so a secret can never
reach a terminal, a log or a file, and a 2 MB HTML error page never floods one.

A secret is masked in every form it is commonly echoed in, not only as
written: JSON-escaped (a body quoting it), Python-escaped (an exception
showing ``b'Bearer …\\n'``), URL-encoded (a query string or form body),
and base64 (standard and URL-safe, at any of the three byte alignments, so
it is found inside a longer encoded text such as a Basic credential or a
JWT).

Besides the redactors each client keeps, the process remembers every secret
it has been told about (:func:`remember`); :func:`known` masks them all.  The
command line passes its last words (error messages, crash reports) through it.

Redaction happens before cutting: cutting first could leave half a secret
behind at the boundary.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

__all__ = ["MASK", "MIN_SECRET_LENGTH", "Redactor", "cut", "forget_all", "forms", "known", "remember"]

MASK = "***"
# Shorter values would mangle ordinary words ("1", "abc") while protecting nothing.
MIN_SECRET_LENGTH = 4
# A base64 fragment this short matches ordinary encoded text by chance.
_MIN_ENCODED_LENGTH = 8


def forms(secret: str) -> set[str]:
    """Every text ``secret`` may appear as in a message: as is, escaped, URL-encoded, base64."""
    found = {secret, secret.strip()}
    found.add(json.dumps(secret)[1:-1])
    found.add(json.dumps(secret, ensure_ascii=False)[1:-1])
    found.add(repr(secret)[1:-1])
    found.add(secret.encode("unicode_escape").decode("ascii"))
    for encoded in (quote(secret, safe=""), quote(secret), quote_plus(secret)):
        found.add(encoded)
        found.add(re.sub(r"%[0-9A-F]{2}", lambda match: match.group(0).lower(), encoded))
    raw = secret.encode("utf-8", errors="surrogatepass")
    found.add(repr(raw)[2:-1])
    for offset in range(3):
        encoded = base64.b64encode(bytes(offset) + raw).decode("ascii")
        # Only the characters made of the secret's bits alone: the neighbours decide the rest.
        start, end = -(-8 * offset // 6), 8 * (offset + len(raw)) // 6
        core = encoded[start:end]
        if len(core) >= _MIN_ENCODED_LENGTH:
            found.add(core)
            found.add(core.replace("+", "-").replace("/", "_"))
    return {text for text in found if len(text) >= MIN_SECRET_LENGTH}


class Redactor:
    """Replaces every known secret, in each of its :func:`forms`, with ``***``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self._originals: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        for secret in secrets:
            self.add(secret)

    @property
    def secrets(self) -> frozenset[str]:
        """The secrets as they were given (not their other forms)."""
        return frozenset(self._originals)

    def add(self, secret: str) -> None:
        """Remember ``secret`` and every form it may be echoed in."""
        if len(secret) < MIN_SECRET_LENGTH or secret in self._originals:
            return
        self._originals.add(secret)
        self._secrets |= forms(secret)
        # Longest first, so a secret that contains another one is masked whole.
        ordered = sorted(self._secrets, key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(s) for s in ordered))

    def __call__(self, text: str) -> str:
        if self._pattern is None:
            return text
        return self._pattern.sub(MASK, text)

    def __repr__(self) -> str:
        return f"Redactor({len(self._originals)} secrets)"


_KNOWN = Redactor()


def remember(*secrets: str) -> None:
    """Add ``secrets`` to those masked by :func:`known` for the rest of the process."""
    for secret in secrets:
        _KNOWN.add(secret)


def forget_all() -> None:
    """Start again from no remembered secret (each command of the command line does)."""
    global _KNOWN
    _KNOWN = Redactor()


def known() -> Redactor:
    """The redactor of every secret this process has been told about (spec values, client credentials)."""
    return _KNOWN


def cut(text: str, limit: int = 500) -> str:
    """Shorten ``text`` to ``limit`` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} more characters)"
