"""Fixtures for the Alviss emulator tests: a fake clock and in-process clients."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from alviss_support import TOKEN, ZERO, FakeClock, Maker

from reconciler.emulators import create_app


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def make_client(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Maker]:
    """Build clients on apps sharing ``tmp_path``; all are closed at the end."""
    opened: list[tuple[httpx.AsyncClient, Any]] = []

    def make(
        *,
        durations: dict[str, float] | None = None,
        token: str | None = TOKEN,
        auth: str | None = TOKEN,
        variant: str = "full",
    ) -> httpx.AsyncClient:
        app = create_app(
            "alviss",
            data_dir=tmp_path / "data",
            durations=durations,
            token=token,
            clock=clock,
            variant=variant,
        )
        headers = {} if auth is None else {"Authorization": f"Bearer {auth}"}
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://alviss.test", headers=headers
        )
        opened.append((client, app))
        return client

    yield make
    for client, app in opened:
        await client.aclose()
        app.state.store.close()


@pytest.fixture
def client(make_client: Maker) -> httpx.AsyncClient:
    """A client on an emulator whose jobs all finish at once."""
    made: httpx.AsyncClient = make_client(durations=ZERO)
    return made
