"""Datrics authentication: ``authorization: Bearer <JWT>``, HS256 over ``{userId, email}``.

The vendor's page has the client sign ``{"userId", "email"}`` with a secret
from the administrator, HS256, and nothing else (no ``exp``, no ``iat``).  The
emulator checks what such a server must check: a bearer credential is
present, it is a JWT signed with HS256 (``none`` and other algorithms are
refused), the signature matches the configured secret (with no secret
configured, any well-formed HS256 token is accepted, so the embedded emulator
needs no setup), and both claims are there.  An ``exp`` claim, when present,
is honoured against the emulator's clock rather than the wall clock, so
expiry tests run in fake time.

Refusals are 401 with a FastAPI-style ``{"detail": …}`` that never repeats
the token, the secret or PyJWT's own text.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import Any

import jwt

from reconciler.emulators.gate import Authenticate, Refusal

ALGORITHM = "HS256"
CLAIMS = ("userId", "email")
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def _refuse(detail: str) -> Refusal:
    return Refusal(401, {"detail": detail}, _CHALLENGE)


def _claims(token: str, secret: str | None) -> dict[str, Any] | None:
    """The verified claims of ``token``, or None when it is not an acceptable HS256 JWT."""
    try:
        if jwt.get_unverified_header(token).get("alg") != ALGORITHM:
            return None
        # Expiry is checked below against the emulator's clock, not PyJWT's wall clock.
        if secret is None:
            claims = jwt.decode(token, options={"verify_signature": False, "verify_exp": False})
        else:
            with warnings.catch_warnings():
                # The secret is whatever the emulator was started with; a short one is the tester's choice.
                warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
                claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"verify_exp": False})
    except jwt.InvalidTokenError:
        return None
    return claims if isinstance(claims, dict) else None


def jwt_bearer(secret: str | None, *, clock: Callable[[], float]) -> Authenticate:
    """Accept only HS256 JWTs with ``userId`` and ``email``, signed with ``secret`` (any, if None)."""

    def check(headers: Mapping[str, str], query: Mapping[str, str]) -> Refusal | None:
        scheme, _, given = headers.get("authorization", "").partition(" ")
        token = given.strip()
        if scheme.lower() != "bearer" or not token:
            return _refuse("Not authenticated")
        claims = _claims(token, secret)
        if claims is None:
            return _refuse("Invalid token")
        if any(claims.get(name) in (None, "") for name in CLAIMS):
            return _refuse("Invalid token: userId and email are required")
        expires = claims.get("exp")
        if expires is not None:
            if not isinstance(expires, int | float) or isinstance(expires, bool):
                return _refuse("Invalid token")
            if clock() >= expires:
                return _refuse("Token expired")
        return None

    return check
