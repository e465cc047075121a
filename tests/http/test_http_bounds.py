"""Bounded answers: size, time and nesting; an unreadable answer to a creating call is an unknown outcome."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
import respx

from reconciler import errors
from reconciler.http import HttpClient, RetryPolicy


def trickle(chunks: int, *, every: float, size: int = 16) -> AsyncIterator[bytes]:
    async def body() -> AsyncIterator[bytes]:
        yield b'{"IId": "'
        for _ in range(chunks):
            await asyncio.sleep(every)
            yield b"x" * size
        yield b'"}'

    return body()


async def test_an_answer_larger_than_the_bound_is_refused_by_its_declared_length(
    make_client: Callable[..., HttpClient], router: respx.MockRouter
) -> None:
    router.get("/big").mock(return_value=httpx.Response(200, content=b"[" + b"1," * 600 + b"1]"))
    async with make_client(max_answer_bytes=1000) as client:
        with pytest.raises(errors.MalformedAnswer, match=r"GET /big: the answer is larger than"):
            await client.get_json("/big")


async def test_an_answer_without_a_length_is_cut_off_at_the_bound(
    make_client: Callable[..., HttpClient], router: respx.MockRouter
) -> None:
    async def endless() -> AsyncIterator[bytes]:
        while True:
            yield b"x" * 4096

    router.get("/endless").mock(return_value=httpx.Response(200, content=endless()))
    async with make_client(max_answer_bytes=64 * 1024) as client:
        with pytest.raises(errors.MalformedAnswer, match="larger than"):
            await client.get_json("/endless")


async def test_a_big_answer_to_a_creating_call_is_an_unknown_outcome(
    make_client: Callable[..., HttpClient], router: respx.MockRouter
) -> None:
    router.post("/refit").mock(return_value=httpx.Response(200, content=b"x" * 2000))
    async with make_client(max_answer_bytes=1000) as client:
        with pytest.raises(errors.OutcomeUnknown, match="may have created"):
            await client.send_json("POST", "/refit", json={}, creates=True)


async def test_a_trickling_answer_ends_in_a_timeout_for_a_read(
    make_client: Callable[..., HttpClient], router: respx.MockRouter
) -> None:
    route = router.get("/slow").mock(
        side_effect=lambda request: httpx.Response(200, content=trickle(50, every=0.02))
    )
    async with make_client(answer_deadline=0.1, policy=RetryPolicy(max_attempts=2)) as client:
        with pytest.raises(errors.TransportError, match=r"did not arrive within 0.1s"):
            await client.get_json("/slow")
    assert route.call_count == 2  # a read is retried


async def test_a_trickling_answer_to_a_creating_call_is_an_unknown_outcome(
    make_client: Callable[..., HttpClient], router: respx.MockRouter
) -> None:
    route = router.post("/slow").mock(
        side_effect=lambda request: httpx.Response(200, content=trickle(50, every=0.02))
    )
    async with make_client(answer_deadline=0.1) as client:
        with pytest.raises(errors.OutcomeUnknown):
            await client.send_json("POST", "/slow", json={}, creates=True)
    assert route.call_count == 1  # never resent blindly


async def test_a_slow_but_steady_answer_within_the_deadline_is_read(
    make_client: Callable[..., HttpClient], router: respx.MockRouter
) -> None:
    router.get("/steady").mock(
        side_effect=lambda request: httpx.Response(200, content=trickle(3, every=0.01))
    )
    async with make_client(answer_deadline=5.0) as client:
        assert await client.get_json("/steady") == {"IId": "x" * 48}


async def test_deeply_nested_json_is_refused_cleanly(
    make_client: Callable[..., HttpClient], router: respx.MockRouter
) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    router.get("/deep").mock(return_value=httpx.Response(200, content=deep))
    router.post("/deep").mock(return_value=httpx.Response(200, content=deep))
    async with make_client() as client:
        with pytest.raises(errors.MalformedAnswer, match="nested too deeply"):
            await client.get_json("/deep")
        with pytest.raises(errors.OutcomeUnknown, match="nested too deeply"):
            await client.send_json("POST", "/deep", json={}, creates=True)


@pytest.mark.parametrize(
    "body",
    [b"", b'{"IId": 4', b"<html>502 Bad Gateway</html>", b"\xff\xfe"],
    ids=["empty", "cut short", "html", "not text"],
)
async def test_an_unreadable_answer_to_a_creating_call_is_an_unknown_outcome(
    make_client: Callable[..., HttpClient], router: respx.MockRouter, body: bytes
) -> None:
    route = router.post("/attributions").mock(return_value=httpx.Response(200, content=body))
    async with make_client() as client:
        with pytest.raises(errors.OutcomeUnknown, match="may have created the object"):
            await client.send_json("POST", "/attributions", json={}, creates=True)
    assert route.call_count == 1


def test_the_answer_bound_is_configured_from_the_environment() -> None:
    from reconciler.providers.base import ClientOptions
    from reconciler.workflow import answer_bound

    assert answer_bound(ClientOptions(), {}).max_answer_bytes is None
    assert (
        answer_bound(ClientOptions(), {"RECONCILER_MAX_ANSWER_MIB": "2"}).max_answer_bytes == 2 * 1024 * 1024
    )
    given = ClientOptions(max_answer_bytes=10)
    assert answer_bound(given, {"RECONCILER_MAX_ANSWER_MIB": "2"}) is given
    for bad in ("0", "-1", "lots", "nan"):
        with pytest.raises(errors.ReconcilerError, match="bad RECONCILER_MAX_ANSWER_MIB"):
            answer_bound(ClientOptions(), {"RECONCILER_MAX_ANSWER_MIB": bad})
