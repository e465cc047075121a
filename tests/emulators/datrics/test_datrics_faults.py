"""Faults in the Datrics emulator: answered before or after the route, counted, and failed tasks."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from datrics_emulator_support import BUCKET, PASSENGER, PREDICT, SECRET, TITANIC, FakeClock, auth, token

from reconciler.emulators import create_app
from reconciler.emulators.faults import Faults
from reconciler.emulators.transport import EmulatorTransport

Make = Callable[..., httpx.AsyncClient]
QUERY = {"path": TITANIC, "bucket": BUCKET}


@pytest.fixture
async def make(tmp_path: Path) -> AsyncIterator[Make]:
    """Clients on apps sharing one world; ``faults=None`` gives a well-behaved observer."""
    opened: list[tuple[httpx.AsyncClient, Any]] = []
    clock = FakeClock()

    def build(faults: Faults | None = None) -> httpx.AsyncClient:
        app = create_app(
            "datrics", data_dir=tmp_path, durations={"predict": 0.0}, token=SECRET, clock=clock, faults=faults
        )
        client = httpx.AsyncClient(
            transport=EmulatorTransport(app), base_url="http://datrics.test", headers=auth(token())
        )
        opened.append((client, app))
        return client

    yield build
    for client, app in opened:
        await client.aclose()
        app.state.store.close()


async def _stats(observer: httpx.AsyncClient) -> Any:
    return (await observer.get("/_emulator/stats")).json()


@pytest.mark.parametrize("kind", ["500", "502", "503", "429"])
async def test_a_status_fault_queues_nothing_and_is_counted(make: Make, kind: str) -> None:
    faulty, observer = make(Faults(rate=1.0, kinds=(kind,))), make()
    answer = await faulty.post(PREDICT, params=QUERY, json=[PASSENGER])
    assert answer.status_code == int(kind)
    assert await _stats(observer) == {
        "objects": {"prediction_task": 0},
        "requests": {f"POST {PREDICT}": 1},
        "faults": {kind: 1},
    }


@pytest.mark.parametrize(("kind", "queued"), [("drop", 0), ("lost", 1)])
async def test_a_broken_connection_queued_a_task_only_when_the_answer_was_lost(
    make: Make, kind: str, queued: int
) -> None:
    faulty, observer = make(Faults(rate=1.0, kinds=(kind,))), make()
    with pytest.raises(httpx.TransportError):
        await faulty.post(PREDICT, params=QUERY, json=[PASSENGER])
    stats = await _stats(observer)
    assert stats["objects"] == {"prediction_task": queued}
    assert stats["faults"] == {kind: 1}


async def test_an_injected_job_failure_ends_the_task_in_failure(make: Make) -> None:
    failing = make(Faults(job_failure_rate=1.0, seed=5))
    task_id = (await failing.post(PREDICT, params=QUERY, json=[PASSENGER])).json()["id"]
    info = (await failing.get(f"{PREDICT}/info/{task_id}")).json()
    assert info == {"id": task_id, "state": "FAILURE", "error": "injected failure (seed 5)"}
