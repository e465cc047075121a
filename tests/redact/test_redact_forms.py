"""A secret is masked in every form a platform or a library may echo it in."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, quote_plus, urlencode

import pytest

from reconciler.redact import MASK, Redactor

SECRETS = [
    "canary-7f3a9c1e-token-do-not-print",
    "canary-7f3a9c1e-token-do-not-print\n",
    'canary/7f3a+9c1e="token"&do?not#print',
]


def echoes(secret: str) -> dict[str, str]:
    """How a secret comes back: in a JSON body, a repr, a query string, a Basic credential, a JWT part."""
    raw = secret.encode()
    found = {
        "as is": f"denied: {secret}",
        "json body": json.dumps({"detail": {"authorization": f"Bearer {secret}"}}),
        "json, non-ascii kept": json.dumps({"k": secret}, ensure_ascii=False),
        "python repr of bytes": repr({"authorization": b"Bearer " + raw}),
        "python repr of str": repr([secret]),
        "query": "GET /x?" + urlencode({"api_key": secret}),
        "quoted path": "/keys/" + quote(secret, safe=""),
        "quote_plus": quote_plus(secret),
        "lower-case percent": quote(secret, safe="").lower(),
    }
    for prefix in ("", "u", "us", "user:"):
        for suffix in ("", "x", "xy"):
            encoded = base64.b64encode(prefix.encode() + raw + suffix.encode()).decode()
            found[f"base64 {prefix!r}+{suffix!r}"] = f"Authorization: Basic {encoded}"
            urlsafe = base64.urlsafe_b64encode(prefix.encode() + raw + suffix.encode()).decode()
            found[f"base64url {prefix!r}+{suffix!r}"] = f"jwt {urlsafe.rstrip('=')}.sig"
    return found


@pytest.mark.parametrize("secret", SECRETS, ids=["plain", "newline", "punctuation"])
def test_every_echoed_form_is_masked(secret: str) -> None:
    redact = Redactor([secret])
    for name, text in echoes(secret).items():
        masked = redact(text)
        assert MASK in masked, name
        core = secret.strip()
        assert core not in masked, name
        assert core[4:-4] not in masked, name
        assert json.dumps(secret)[1:-1] not in masked, name
        if name.startswith("base64"):
            # What is left unmasked is what the neighbours' bits decide: a few characters at each end.
            left = masked.split(" ", 2)[-1].removesuffix(".sig").replace(MASK, "").rstrip("=")
            assert len(left) <= 10, (name, masked)
        elif not name.startswith("lower"):
            assert quote(secret, safe="") not in masked, name


def test_ordinary_text_is_left_alone() -> None:
    redact = Redactor(["canary-7f3a9c1e-token-do-not-print"])
    text = "GET /projects/1/1/datasets/active: 404 Not Found; aGVsbG8gd29ybGQ="
    assert redact(text) == text


def test_a_short_secret_masks_nothing_by_chance() -> None:
    assert Redactor(["abc"])("abc abcd") == "abc abcd"
