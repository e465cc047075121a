"""Each failed attempt of a platform request is told to the observer: what failed, and if it is retried."""

from __future__ import annotations

import httpx
import pytest
import respx

from reconciler import errors
from reconciler.http import HttpClient, OutcomeUnknown, RetryPolicy


async def no_sleep(seconds: float) -> None:
    return None


def client(seen: list[tuple[str, bool]]) -> HttpClient:
    return HttpClient(
        base_url="https://api.example.test",
        service="Example (example)",
        policy=RetryPolicy(max_attempts=3),
        sleep=no_sleep,
        random=lambda: 0.0,
        on_fault=lambda fault, retried: seen.append((fault, retried)),
    )


@respx.mock
async def test_retried_then_given_up_faults_are_observed() -> None:
    seen: list[tuple[str, bool]] = []
    respx.get("https://api.example.test/a").mock(
        side_effect=[httpx.Response(503), httpx.ConnectError("refused"), httpx.Response(200, json={})]
    )
    respx.get("https://api.example.test/b").mock(return_value=httpx.Response(502))
    async with client(seen) as http:
        await http.get_json("/a")
        assert seen == [("HTTP 503", True), ("ConnectError", True)]
        seen.clear()
        with pytest.raises(errors.ApiError):
            await http.get_json("/b")
    assert seen == [("HTTP 502", True), ("HTTP 502", True), ("HTTP 502", False)]


@respx.mock
async def test_a_creating_call_whose_outcome_is_unknown_is_a_fault_not_retried() -> None:
    seen: list[tuple[str, bool]] = []
    respx.post("https://api.example.test/jobs").mock(return_value=httpx.Response(503))
    async with client(seen) as http:
        with pytest.raises(OutcomeUnknown):
            await http.send_json("POST", "/jobs", json={}, creates=True)
    assert seen == [("HTTP 503", False)]


@respx.mock
async def test_refusals_are_not_faults() -> None:
    seen: list[tuple[str, bool]] = []
    respx.get("https://api.example.test/x").mock(return_value=httpx.Response(404))
    async with client(seen) as http:
        with pytest.raises(errors.NotFound):
            await http.get_json("/x")
    assert seen == []
