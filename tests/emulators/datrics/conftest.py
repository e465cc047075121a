"""Fixtures for the Datrics emulator tests: a fake clock and in-process clients."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from datrics_emulator_support import SECRET, FakeClock, Maker, auth, token

from reconciler.emulators import create_app


@pytest.fixture
def datrics_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def make_datrics(tmp_path: Path, datrics_clock: FakeClock) -> AsyncIterator[Maker]:
    """Build clients on Datrics apps sharing ``tmp_path``; all are closed at the end."""
    opened: list[tuple[httpx.AsyncClient, Any]] = []

    def make(
        *, predict: float = 0.0, secret: str | None = SECRET, bearer: str | None = None
    ) -> httpx.AsyncClient:
        app = create_app(
            "datrics",
            data_dir=tmp_path / "data",
            durations={"predict": predict},
            token=secret,
            clock=datrics_clock,
        )
        headers = auth(bearer if bearer is not None else token())
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://datrics.test", headers=headers
        )
        opened.append((client, app))
        return client

    yield make
    for client, app in opened:
        await client.aclose()
        app.state.store.close()


@pytest.fixture
def datrics(make_datrics: Maker) -> httpx.AsyncClient:
    """A client on an emulator whose tasks finish at once, with a valid token."""
    made: httpx.AsyncClient = make_datrics()
    return made
