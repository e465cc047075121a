"""The Datrics access token: an HS256 JWT over exactly ``{"userId", "email"}``.

The claims are exactly the two the vendor documents, with nothing added: the
platform identifies the caller by them, and an extra claim it was never
documented to accept (``exp``, ``iat``) could only make a valid secret look
invalid.  Without time claims the token is also deterministic, so signing it
per connection costs nothing and leaks nothing new.  The token is a bearer
credential in its own right: the HTTP client masks it, with the secret.
"""

from __future__ import annotations

import warnings

import jwt

ALGORITHM = "HS256"


def access_token(secret: str, *, user_id: int | str, email: str) -> str:
    """The bearer token the vendor's example makes: ``jwt.encode({userId, email}, secret, "HS256")``."""
    with warnings.catch_warnings():
        # The secret is the platform's, handed out by its administrator: its length is not ours to choose.
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        return jwt.encode({"userId": user_id, "email": email}, secret, algorithm=ALGORITHM)
