"""Fixtures for the Sony EPA emulator tests: a fake clock and in-process clients."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sony_emulator_support import BASE, EpaClock

from reconciler.emulators import create_app


@pytest.fixture
def epa_clock() -> EpaClock:
    return EpaClock()


@pytest.fixture
async def epa_app(tmp_path: Path, epa_clock: EpaClock) -> AsyncIterator[Callable[..., httpx.AsyncClient]]:
    """Build clients on apps sharing ``tmp_path/data``; each has no default key (tests say which)."""
    opened: list[tuple[httpx.AsyncClient, Any]] = []

    def make(*, retrain: float = 10.0, token: str | None = None) -> httpx.AsyncClient:
        app = create_app(
            "sony_epa",
            data_dir=tmp_path / "data",
            durations={"retrain": retrain},
            token=token,
            clock=epa_clock,
        )
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE)
        opened.append((client, app))
        return client

    yield make
    for client, app in opened:
        await client.aclose()
        app.state.store.close()


@pytest.fixture
def epa(epa_app: Callable[..., httpx.AsyncClient]) -> httpx.AsyncClient:
    """A client on an emulator whose retrains take 10 s of the fake clock."""
    return epa_app()
