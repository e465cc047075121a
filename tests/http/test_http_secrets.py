"""A canary token must never reach a message, a repr, an error body or a log line."""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import quote

import httpx
import pytest
import respx

from reconciler import errors
from reconciler.http import HttpClient, OutcomeUnknown

CANARY = "canary-tok/5f3c9e1d2b"


def _echo_headers(status: int) -> Callable[[httpx.Request], httpx.Response]:
    """A platform that echoes the request headers (and the raw query) in its error body."""

    def respond(request: httpx.Request) -> httpx.Response:
        echoed = {"detail": f"denied: {dict(request.headers)} query={request.url.query.decode()}"}
        return httpx.Response(status, json=echoed)

    return respond


def _assert_clean(exc: BaseException) -> None:
    texts = [str(exc), repr(exc), str(getattr(exc, "body", "")), str(getattr(exc, "hint", ""))]
    texts.append(str(getattr(exc, "message", "")))
    for text in texts:
        assert CANARY not in text
        assert quote(CANARY, safe="") not in text


@pytest.mark.parametrize(
    ("status", "creates", "error"),
    [
        (400, False, errors.ApiError),
        (401, False, errors.AuthError),
        (403, True, errors.AuthError),
        (404, False, errors.NotFound),
        (409, True, errors.ApiError),
        (422, True, errors.ApiError),
        (429, False, errors.ApiError),
        (500, False, errors.ApiError),
        (503, False, errors.ApiError),
        (502, True, OutcomeUnknown),
        (500, True, OutcomeUnknown),
    ],
)
@pytest.mark.parametrize("declared", [True, False], ids=["declared-secret", "header-only"])
async def test_token_echoed_in_error_body_is_redacted(
    make_client: Callable[..., HttpClient],
    router: respx.MockRouter,
    status: int,
    creates: bool,
    error: type[Exception],
    declared: bool,
) -> None:
    router.route(path="/things").mock(side_effect=_echo_headers(status))
    client = make_client(headers={"Authorization": f"Bearer {CANARY}"}, secrets=[CANARY] if declared else [])
    async with client:
        with pytest.raises(error) as info:
            await client.request("POST" if creates else "GET", "/things", creates=creates)
    _assert_clean(info.value)
    assert "***" in str(info.value)  # the echo did reach the message, masked


async def test_api_key_in_query_and_body_is_redacted(
    make_client: Callable[..., HttpClient], router: respx.MockRouter
) -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        body = f"bad request {request.url} {request.content.decode()}"
        return httpx.Response(400, text=body)

    router.post("/v1/datasets").mock(side_effect=respond)
    async with make_client(secrets=[CANARY]) as client:
        with pytest.raises(errors.ApiError) as info:
            await client.send_json(
                "POST", "/v1/datasets", params={"api_key": CANARY}, json={"api_key": CANARY}
            )
    _assert_clean(info.value)


async def test_api_key_header_is_redacted_without_declaring_it(
    make_client: Callable[..., HttpClient], router: respx.MockRouter
) -> None:
    router.get("/things").mock(side_effect=_echo_headers(400))
    async with make_client(headers={"X-API-Key": CANARY}) as client:
        with pytest.raises(errors.ApiError) as info:
            await client.get_json("/things")
    _assert_clean(info.value)


async def test_transport_failure_text_and_logs_are_redacted(
    make_client: Callable[..., HttpClient], router: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    router.get("/things").mock(side_effect=httpx.ConnectError(f"proxy refused Bearer {CANARY}"))
    caplog.set_level(logging.DEBUG)
    async with make_client(headers={"Authorization": f"Bearer {CANARY}"}) as client:
        with pytest.raises(errors.TransportError) as info:
            await client.get_json("/things")
    _assert_clean(info.value)
    assert "proxy refused ***" in str(info.value)
    assert len(caplog.records) == 5  # one line per retry
    assert CANARY not in caplog.text


def test_client_repr_holds_no_secret(make_client: Callable[..., HttpClient]) -> None:
    client = make_client(headers={"Authorization": f"Bearer {CANARY}"}, secrets=[CANARY])
    assert CANARY not in repr(client)
    assert CANARY not in repr(client.redact)


NEWLINE_CANARY = CANARY + "\n"


def _assert_no_form(exc: BaseException, secret: str) -> None:
    import json

    texts = [str(exc), repr(exc), str(getattr(exc, "body", "")), str(getattr(exc, "hint", ""))]
    for text in texts:
        for form in (secret.strip(), json.dumps(secret)[1:-1], quote(secret, safe=""), repr(secret)[1:-1]):
            assert form not in text, (form, text)


@pytest.mark.parametrize("status", [400, 401, 422, 500])
async def test_a_newline_terminated_key_echoed_from_body_and_query_is_masked(
    make_client: Callable[..., HttpClient], router: respx.MockRouter, status: int
) -> None:
    """A key with a file's newline, sent in a JSON body and a query (as Akkio's legacy API takes it)."""

    def respond(request: httpx.Request) -> httpx.Response:
        echoed = {
            "detail": f"bad {request.url} {request.content.decode()}",
            "raw": request.url.query.decode(),
        }
        return httpx.Response(status, json=echoed)

    router.post("/v1/datasets").mock(side_effect=respond)
    async with make_client(secrets=[NEWLINE_CANARY]) as client:
        with pytest.raises(errors.ReconcilerError) as info:
            await client.send_json(
                "POST", "/v1/datasets", params={"api_key": NEWLINE_CANARY}, json={"api_key": NEWLINE_CANARY}
            )
    _assert_no_form(info.value, NEWLINE_CANARY)
    assert "***" in str(info.value)


def test_a_newline_terminated_token_in_a_header_is_masked_in_the_refusal(
    make_client: Callable[..., HttpClient],
) -> None:
    """h11 refuses such a header and quotes it as bytes (``b'Bearer …\\n'``): that form is masked too."""
    import h11

    with pytest.raises(h11.LocalProtocolError) as refused:
        h11.Request(
            method="GET", target="/", headers=[("Host", "x"), ("Authorization", f"Bearer {NEWLINE_CANARY}")]
        )
    assert CANARY in str(refused.value)
    client = make_client(headers={"Authorization": f"Bearer {NEWLINE_CANARY}"})
    masked = client.redact(str(refused.value))
    assert CANARY not in masked and "***" in masked
