"""Fixtures for the HTTP tests: a client on fake time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
import respx
from http_fakes import BASE_URL, FakeTime

from reconciler.http import HttpClient, RetryPolicy


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def router() -> respx.MockRouter:
    """A respx router mounted as the client's transport (no real transport, no TLS setup)."""
    return respx.MockRouter(base_url=BASE_URL, assert_all_called=False)


#: The retry tests pin their own budget (six attempts, three for a plain 500), so that the exact
#: call counts and schedules below do not move when the defaults are tuned.
TEST_POLICY = RetryPolicy(max_attempts=6, server_error_attempts=3)


@pytest.fixture
def make_client(fake_time: FakeTime, router: respx.MockRouter) -> Callable[..., HttpClient]:
    """An HttpClient on fake time over ``router``; random() is 1.0 unless a test says otherwise."""

    def build(**overrides: Any) -> HttpClient:
        options: dict[str, Any] = {
            "base_url": BASE_URL,
            "service": "Alviss project 1/1",
            "sleep": fake_time.sleep,
            "clock": fake_time.clock,
            "now": fake_time.wall,
            "random": lambda: 1.0,
            "policy": TEST_POLICY,
            "transport": httpx.MockTransport(router.async_handler),
        }
        options.update(overrides)
        return HttpClient(**options)

    return build
