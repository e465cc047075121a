"""The JWT gate: HS256 over {userId, email}, signed with the configured secret; 401 otherwise."""

from __future__ import annotations

import base64
import json

import httpx
import jwt
import pytest
from datrics_emulator_support import BUCKET, PASSENGER, PREDICT, SECRET, TITANIC, FakeClock, Maker, token

INFO = PREDICT + "/info/some-task"


def _unsigned(claims: dict[str, str]) -> str:
    def part(value: dict[str, str]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


async def _calls(client: httpx.AsyncClient, headers: dict[str, str] | None = None) -> list[httpx.Response]:
    params = {"path": TITANIC, "bucket": BUCKET}
    return [
        await client.get(INFO, headers=headers),
        await client.post(PREDICT, params=params, json=[PASSENGER], headers=headers),
    ]


WRONG = "a-different-secret-of-enough-length-000"
BAD_TOKENS = {
    "signed with another secret": (token(WRONG), "Invalid token"),
    "not a JWT": ("not-a-jwt", "Invalid token"),
    "three garbage parts": ("a.b.c", "Invalid token"),
    "alg none": (_unsigned({"userId": "7", "email": "a@example.com"}), "Invalid token"),
    "HS512": (
        jwt.encode({"userId": "7", "email": "a@example.com"}, SECRET + SECRET, algorithm="HS512"),
        "Invalid token",
    ),
    "no email": (token(email=None), "Invalid token: userId and email are required"),
    "no userId": (token(userId=None), "Invalid token: userId and email are required"),
    "empty userId": (token(userId=""), "Invalid token: userId and email are required"),
}


@pytest.mark.parametrize("case", sorted(BAD_TOKENS))
async def test_a_bad_token_is_refused_with_401_and_a_detail(make_datrics: Maker, case: str) -> None:
    bad, detail = BAD_TOKENS[case]
    client = make_datrics(bearer=bad)
    for response in await _calls(client):
        assert response.status_code == 401
        assert response.json() == {"detail": detail}
        assert response.headers["www-authenticate"] == "Bearer"
        assert SECRET not in response.text and bad not in response.text
    stats = (await client.get("/_emulator/stats")).json()
    assert stats["objects"] == {"prediction_task": 0}  # nothing was queued


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", "Basic abc", "Token abc"])
async def test_a_missing_credential_is_not_authenticated(
    datrics: httpx.AsyncClient, header: str | None
) -> None:
    headers = {"authorization": header} if header is not None else {}
    async with httpx.AsyncClient(transport=datrics._transport, base_url="http://datrics.test") as bare:
        for response in await _calls(bare, headers):
            assert (response.status_code, response.json()) == (401, {"detail": "Not authenticated"})


async def test_the_vendors_token_is_accepted(datrics: httpx.AsyncClient) -> None:
    for response in await _calls(datrics):
        assert response.status_code == 200, response.text


async def test_expiry_is_checked_against_the_emulators_clock(
    make_datrics: Maker, datrics_clock: FakeClock
) -> None:
    client = make_datrics(bearer=token(exp=int(datrics_clock()) + 60))
    assert (await client.get(INFO)).status_code == 200
    datrics_clock.advance(60)
    expired = await client.get(INFO)
    assert (expired.status_code, expired.json()) == (401, {"detail": "Token expired"})


async def test_without_a_secret_any_well_formed_hs256_token_with_both_claims_passes(
    make_datrics: Maker,
) -> None:
    assert (await make_datrics(secret=None, bearer=token(WRONG)).get(INFO)).status_code == 200
    assert (await make_datrics(secret=None, bearer=token(WRONG, email=None)).get(INFO)).status_code == 401
    assert (await make_datrics(secret=None, bearer="garbage").get(INFO)).status_code == 401
    unsigned = _unsigned({"userId": "7", "email": "a@example.com"})
    assert (await make_datrics(secret=None, bearer=unsigned).get(INFO)).status_code == 401


async def test_emulator_paths_need_no_token_and_refusals_are_counted(make_datrics: Maker) -> None:
    client = make_datrics(bearer=token(WRONG))
    await client.get(INFO)
    stats = await client.get("/_emulator/stats", headers={"authorization": ""})
    assert stats.status_code == 200
    assert stats.json()["requests"] == {f"GET {PREDICT}/info/{{task_id}}": 1}
