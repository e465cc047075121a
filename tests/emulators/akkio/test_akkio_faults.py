"""Faults in the Akkio emulator: both doors share one seeded sequence, faults are counted, trainings fail."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.emulators import create_app
from reconciler.emulators.faults import FaultInjector, Faults
from reconciler.emulators.transport import EmulatorTransport

KEY = "akkio-faults-test-key"
H = {"X-API-Key": KEY}
ROWS = [{"Title": title, "Visits": n, "Lead": int(n % 2 == 0)} for n, title in enumerate("ABCABC")]
Make = Callable[..., httpx.AsyncClient]


@pytest.fixture
async def make(tmp_path: Path) -> AsyncIterator[Make]:
    """Clients on apps sharing one world; ``faults=None`` gives a well-behaved observer."""
    opened: list[tuple[httpx.AsyncClient, Any]] = []

    def build(faults: Faults | None = None) -> httpx.AsyncClient:
        app = create_app(
            "akkio", data_dir=tmp_path, durations={"train": 0.0}, token=KEY, clock=lambda: 1e9, faults=faults
        )
        client = httpx.AsyncClient(transport=EmulatorTransport(app), base_url="http://akkio.test", headers=H)
        opened.append((client, app))
        return client

    yield build
    for client, app in opened:
        await client.aclose()
        app.state.store.close()


async def _stats(observer: httpx.AsyncClient) -> Any:
    return (await observer.get("/_emulator/stats")).json()


async def test_both_doors_draw_from_one_seeded_sequence_and_faults_are_counted(make: Make) -> None:
    faults = Faults(rate=0.5, seed=11, kinds=("500", "429"))
    faulty, observer = make(faults), make()
    expected = [FaultInjector(faults).decision(n) for n in range(12)]
    seen = []
    for number in range(12):
        if number % 2:
            response = await faulty.get("/api/v1/models/train/no-such-task/status")
        else:
            response = await faulty.get("/v1/datasets", params={"api_key": KEY})
        seen.append(response.status_code)
    assert seen == [
        decision.status or (404 if number % 2 else 200) for number, decision in enumerate(expected)
    ]
    counted: dict[str, int] = {}
    for decision in expected:
        if decision.faulted:
            counted[decision.kind] = counted.get(decision.kind, 0) + 1
    stats = await _stats(observer)
    assert counted and stats["faults"] == dict(sorted(counted.items()))
    assert stats["requests"] == {
        "GET /api/v1/models/train/{task_id}/status": 6,
        "GET /v1/datasets": 6,
    }


async def test_a_lost_dataset_creation_made_the_dataset(make: Make) -> None:
    faulty, observer = make(Faults(rate=1.0, kinds=("lost",))), make()
    with pytest.raises(httpx.TransportError):
        await faulty.post("/v1/datasets", json={"api_key": KEY, "name": "Leads"})
    listed = (await observer.get("/v1/datasets", params={"api_key": KEY})).json()["datasets"]
    assert [item["name"] for item in listed] == ["Leads"]
    assert (await _stats(observer))["faults"] == {"lost": 1}


async def test_a_dropped_training_request_trains_nothing(make: Make) -> None:
    faulty, observer = make(Faults(rate=1.0, kinds=("drop",))), make()
    with pytest.raises(httpx.RemoteProtocolError):
        await faulty.post("/api/v1/models/train/new", json={"dataset_id": "d", "predict_fields": ["Lead"]})
    assert (await _stats(observer))["objects"]["task"] == 0


async def test_an_injected_job_failure_ends_the_training_failed_with_no_model(make: Make) -> None:
    failing = make(Faults(job_failure_rate=1.0, seed=7))
    created = await failing.post("/v1/datasets", json={"api_key": KEY, "name": "Leads"})
    dataset_id = created.json()["dataset_id"]
    await failing.post("/v1/datasets", json={"api_key": KEY, "id": dataset_id, "rows": ROWS})
    body = {"dataset_id": dataset_id, "predict_fields": ["Lead"], "duration": 10}
    task_id = (await failing.post("/api/v1/models/train/new", json=body)).json()["task_id"]
    status = (await failing.get(f"/api/v1/models/train/{task_id}/status")).json()
    assert status == {
        "status": "FAILED",
        "metadata": {"type": "FAILED", "error": "injected failure (seed 7)"},
    }
    assert (await _stats(failing))["objects"] == {"dataset": 1, "task": 1, "model": 0}
