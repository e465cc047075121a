"""The retry matrix, backoff schedule, Retry-After and deadline of HttpClient."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import respx
from http_fakes import FakeTime

from reconciler import errors
from reconciler.http import HttpClient, OutcomeUnknown, RetryPolicy, parse_retry_after

Outcome = type[Exception] | int

# outcome, creates, expected calls, expected error type (exact).
MATRIX: list[tuple[Outcome, bool, int, type[Exception]]] = [
    (httpx.ConnectError, False, 6, errors.TransportError),
    (httpx.ConnectError, True, 6, errors.TransportError),
    (httpx.ConnectTimeout, False, 6, errors.TransportError),
    (httpx.ConnectTimeout, True, 6, errors.TransportError),
    (httpx.ReadTimeout, False, 6, errors.TransportError),
    (httpx.ReadTimeout, True, 1, OutcomeUnknown),
    (httpx.RemoteProtocolError, False, 6, errors.TransportError),
    (httpx.RemoteProtocolError, True, 1, OutcomeUnknown),
    (httpx.ReadError, False, 6, errors.TransportError),
    (httpx.ReadError, True, 1, OutcomeUnknown),
    (httpx.WriteError, False, 6, errors.TransportError),
    (httpx.WriteError, True, 1, OutcomeUnknown),
    (429, False, 6, errors.ApiError),
    (429, True, 6, errors.ApiError),
    (502, False, 6, errors.ApiError),
    (502, True, 1, OutcomeUnknown),
    (503, False, 6, errors.ApiError),
    (503, True, 1, OutcomeUnknown),
    (504, False, 6, errors.ApiError),
    (504, True, 1, OutcomeUnknown),
    (500, False, 3, errors.ApiError),
    (500, True, 1, OutcomeUnknown),
    (401, False, 1, errors.AuthError),
    (401, True, 1, errors.AuthError),
    (403, False, 1, errors.AuthError),
    (403, True, 1, errors.AuthError),
    (404, False, 1, errors.NotFound),
    (404, True, 1, errors.NotFound),
    (400, False, 1, errors.ApiError),
    (409, True, 1, errors.ApiError),
    (422, False, 1, errors.ApiError),
    (422, True, 1, errors.ApiError),
    (418, False, 1, errors.ApiError),
]


def _side_effect(outcome: Outcome) -> Any:
    if isinstance(outcome, int):
        return httpx.Response(outcome, json={"detail": "nope"})
    return outcome


@pytest.mark.parametrize(("outcome", "creates", "calls", "error"), MATRIX)
async def test_retry_matrix(
    make_client: Callable[..., HttpClient],
    router: respx.MockRouter,
    outcome: Outcome,
    creates: bool,
    calls: int,
    error: type[Exception],
) -> None:
    method = "POST" if creates else "GET"
    route = router.route(method=method, path="/things").mock(side_effect=_side_effect(outcome))
    async with make_client() as client:
        with pytest.raises(errors.ReconcilerError) as info:
            await client.request(method, "/things", creates=creates)
    assert type(info.value) is error
    assert route.call_count == calls
    if isinstance(outcome, int):
        assert getattr(info.value, "status", None) == outcome or type(info.value) is OutcomeUnknown
    if type(info.value) is not OutcomeUnknown and calls > 1:
        assert f"gave up after {calls} attempts" in str(info.value)


@pytest.mark.parametrize("outcome", [httpx.ConnectError, 429, 502, 503, 504, 500, httpx.ReadTimeout])
async def test_idempotent_request_recovers(
    make_client: Callable[..., HttpClient], router: respx.MockRouter, outcome: Outcome
) -> None:
    route = router.get("/things").mock(
        side_effect=[_side_effect(outcome), _side_effect(outcome), httpx.Response(200, json={"ok": 1})]
    )
    async with make_client() as client:
        assert await client.get_json("/things") == {"ok": 1}
    assert route.call_count == 3


async def test_creating_request_recovers_from_connect_error(
    make_client: Callable[..., HttpClient], router: respx.MockRouter
) -> None:
    route = router.post("/things").mock(
        side_effect=[httpx.ConnectError("refused"), httpx.Response(201, json={"Id": 7})]
    )
    async with make_client() as client:
        assert await client.send_json("POST", "/things", json={"a": 1}, creates=True) == {"Id": 7}
    assert route.call_count == 2


async def test_outcome_unknown_message_names_the_risk(
    make_client: Callable[..., HttpClient], router: respx.MockRouter
) -> None:
    router.post("/datauploads").mock(side_effect=httpx.ReadTimeout("timed out"))
    async with make_client() as client:
        with pytest.raises(OutcomeUnknown) as info:
            await client.request("post", "/datauploads", creates=True)
    message = str(info.value)
    assert message.startswith("Alviss project 1/1: POST /datauploads: no response (ReadTimeout: timed out)")
    assert "the platform may have created the object" in message
    assert isinstance(info.value.__cause__, httpx.ReadTimeout)


async def test_exhausted_transport_error_is_chained(
    make_client: Callable[..., HttpClient], router: respx.MockRouter
) -> None:
    router.get("/things").mock(side_effect=httpx.ConnectError("refused"))
    async with make_client() as client:
        with pytest.raises(errors.TransportError) as info:
            await client.request("GET", "/things")
    assert "gave up after 6 attempts; last: ConnectError: refused" in str(info.value)
    assert isinstance(info.value.__cause__, httpx.ConnectError)


@pytest.mark.parametrize(
    "exc",
    [
        httpx.LocalProtocolError("bad header"),
        httpx.TooManyRedirects("loop"),
        httpx.DecodingError("gzip"),
        httpx.UnsupportedProtocol("ftp"),
    ],
)
async def test_other_httpx_errors_are_converted_without_retry(
    make_client: Callable[..., HttpClient], router: respx.MockRouter, exc: Exception
) -> None:
    route = router.get("/things").mock(side_effect=exc)
    async with make_client() as client:
        with pytest.raises(errors.TransportError) as info:
            await client.request("GET", "/things")
    assert route.call_count == 1
    assert info.value.__cause__ is exc


@pytest.mark.parametrize(
    ("rand", "policy", "expected"),
    [
        (1.0, RetryPolicy(max_attempts=6), [0.5, 1.0, 2.0, 4.0, 8.0]),
        (0.25, RetryPolicy(max_attempts=6), [0.125, 0.25, 0.5, 1.0, 2.0]),
        (1.0, RetryPolicy(max_attempts=6, cap=3.0), [0.5, 1.0, 2.0, 3.0, 3.0]),
        (0.0, RetryPolicy(max_attempts=6), [0.0, 0.0, 0.0, 0.0, 0.0]),
        (1.0, RetryPolicy(max_attempts=3, base=2.0), [2.0, 4.0]),
    ],
)
async def test_backoff_schedule_is_full_jitter(
    make_client: Callable[..., HttpClient],
    router: respx.MockRouter,
    fake_time: FakeTime,
    rand: float,
    policy: RetryPolicy,
    expected: list[float],
) -> None:
    router.get("/things").mock(return_value=httpx.Response(503))
    async with make_client(random=lambda: rand, policy=policy) as client:
        with pytest.raises(errors.ApiError):
            await client.request("GET", "/things")
    assert fake_time.sleeps == expected


async def test_server_error_attempts_apply_to_plain_500_only(
    make_client: Callable[..., HttpClient], router: respx.MockRouter, fake_time: FakeTime
) -> None:
    route = router.get("/things").mock(return_value=httpx.Response(500))
    async with make_client(policy=RetryPolicy(server_error_attempts=2)) as client:
        with pytest.raises(errors.ApiError) as info:
            await client.request("GET", "/things")
    assert route.call_count == 2
    assert fake_time.sleeps == [0.5]
    assert "gave up after 2 attempts; last: HTTP 500" in str(info.value)


@pytest.mark.parametrize(
    ("header", "expected_first_sleep"),
    [
        ("7", 7.0),  # longer than the backoff (0.5): honoured
        ("0", 0.5),  # shorter than the backoff: the backoff wins
        ("120", 30.0),  # clamped to the cap
        ("-5", 0.5),  # negative: ignored in favour of the backoff
        ("Mon, 01 Jan 2024 12:00:12 GMT", 12.0),  # HTTP-date 12 s after the fake wall clock
        ("Mon, 01 Jan 2024 11:00:00 GMT", 0.5),  # a date in the past: no extra wait
        ("Mon, 01 Jan 2024 13:00:00 GMT", 30.0),  # a date an hour away: clamped
        ("soon", 0.5),  # unparseable: ignored
    ],
)
async def test_retry_after_is_honoured_and_clamped(
    make_client: Callable[..., HttpClient],
    router: respx.MockRouter,
    fake_time: FakeTime,
    header: str,
    expected_first_sleep: float,
) -> None:
    route = router.post("/things").mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": header}), httpx.Response(201)]
    )
    async with make_client() as client:
        response = await client.request("POST", "/things", creates=True)
    assert response.status_code == 201
    assert route.call_count == 2
    assert fake_time.sleeps == [expected_first_sleep]


def test_parse_retry_after_forms() -> None:
    now = datetime(2024, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after(None, now=now) is None
    assert parse_retry_after(" 3 ", now=now) == 3.0
    assert parse_retry_after("1.5", now=now) == 1.5
    assert parse_retry_after("Mon, 01 Jan 2024 12:01:00 GMT", now=now) == 60.0
    assert parse_retry_after("Mon, 01 Jan 2024 11:59:00 GMT", now=now) == 0.0
    assert parse_retry_after("tomorrow", now=now) is None


async def test_deadline_stops_retrying_before_a_sleep_would_pass_it(
    make_client: Callable[..., HttpClient], fake_time: FakeTime
) -> None:
    def slow_unavailable(request: httpx.Request) -> httpx.Response:
        fake_time.now += 5.0  # each attempt takes five seconds
        return httpx.Response(503)

    calls: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(fake_time.now)
        return slow_unavailable(request)

    policy = RetryPolicy(base=1.0, deadline=12.0)
    async with make_client(transport=httpx.MockTransport(handler), policy=policy) as client:
        with pytest.raises(errors.ApiError) as info:
            await client.request("GET", "/things")
    # t=5 after attempt 1, sleep 1 -> 6; t=11 after attempt 2, a 2 s sleep would end at 13 > 12.
    assert len(calls) == 2
    assert fake_time.sleeps == [1.0]
    assert "12s deadline" in str(info.value)
    assert info.value.status == 503


async def test_deadline_also_bounds_retry_after(
    make_client: Callable[..., HttpClient], router: respx.MockRouter, fake_time: FakeTime
) -> None:
    route = router.get("/things").mock(return_value=httpx.Response(429, headers={"Retry-After": "20"}))
    async with make_client(policy=RetryPolicy(deadline=50.0)) as client:
        with pytest.raises(errors.ApiError):
            await client.request("GET", "/things")
    assert fake_time.sleeps == [20.0, 20.0]
    assert route.call_count == 3


def test_default_budget() -> None:
    policy = RetryPolicy()
    assert (policy.max_attempts, policy.server_error_attempts) == (8, 4)


async def test_other_faults_do_not_use_up_the_server_error_budget(
    make_client: Callable[..., HttpClient], router: respx.MockRouter
) -> None:
    answers = [500, 503, 502, 500, 429, 500, 200]
    route = router.get("/thing").mock(side_effect=[httpx.Response(code, json={}) for code in answers])
    async with make_client(policy=RetryPolicy(max_attempts=8, server_error_attempts=4)) as client:
        response = await client.request("GET", "/thing")
    assert response.status_code == 200
    assert route.call_count == len(answers)
