"""Faults in the Sony EPA emulator: the storage PUT can be lost too, faults are counted, retrains fail."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sony_emulator_support import API, BASE, KEY, EpaClock

from reconciler.emulators import create_app
from reconciler.emulators.faults import Faults
from reconciler.emulators.transport import EmulatorTransport

H = {"x-api-key": KEY}
CSV = b"customer_id,tenure,churned\nC1,12,no\nC2,3,yes\n"
Make = Callable[..., httpx.AsyncClient]


@pytest.fixture
async def make(tmp_path: Path) -> AsyncIterator[Make]:
    """Clients on apps sharing one world; ``faults=None`` gives a well-behaved observer."""
    opened: list[tuple[httpx.AsyncClient, Any]] = []
    clock = EpaClock()

    def build(faults: Faults | None = None) -> httpx.AsyncClient:
        app = create_app(
            "sony_epa", data_dir=tmp_path, durations={"retrain": 0.0}, token=KEY, clock=clock, faults=faults
        )
        client = httpx.AsyncClient(transport=EmulatorTransport(app), base_url=BASE)
        opened.append((client, app))
        return client

    yield build
    for client, app in opened:
        await client.aclose()
        app.state.store.close()


async def _upload_url(client: httpx.AsyncClient) -> dict[str, Any]:
    answer = await client.get(f"{API}/retrain_jobs/upload_url", params={"filename": "t.csv"}, headers=H)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def _stats(observer: httpx.AsyncClient) -> Any:
    return (await observer.get("/_emulator/stats")).json()


async def test_a_status_fault_answers_before_the_route_and_is_counted(make: Make) -> None:
    faulty, observer = make(Faults(rate=1.0, kinds=("503",))), make()
    answer = await faulty.get(f"{API}/retrain_jobs/upload_url", params={"filename": "t.csv"}, headers=H)
    assert answer.status_code == 503
    stats = await _stats(observer)
    assert stats["objects"]["retrain_job"] == 0
    assert stats["faults"] == {"503": 1}
    assert stats["requests"] == {"GET /v1/external/retrain_jobs/upload_url": 1}


async def test_a_lost_put_started_the_retrain_and_a_dropped_one_did_not(make: Make) -> None:
    observer = make()
    lost, dropped = await _upload_url(observer), await _upload_url(observer)
    with pytest.raises(httpx.TransportError):
        await make(Faults(rate=1.0, kinds=("lost",))).put(lost["upload_url"], content=CSV)
    with pytest.raises(httpx.RemoteProtocolError):
        await make(Faults(rate=1.0, kinds=("drop",))).put(dropped["upload_url"], content=CSV)
    words = {}
    for job in (lost, dropped):
        answer = await observer.get(f"{API}/retrain_jobs/{job['retrain_job_id']}", headers=H)
        words[job["retrain_job_id"]] = answer.json()["status"]
    assert words == {lost["retrain_job_id"]: "finished", dropped["retrain_job_id"]: "waiting"}
    stats = await _stats(observer)
    assert stats["objects"]["retrain_started"] == 1
    assert stats["faults"] == {"drop": 1, "lost": 1}


async def test_an_injected_job_failure_fails_the_retrain_with_its_message(make: Make) -> None:
    failing = make(Faults(job_failure_rate=1.0, seed=3))
    job = await _upload_url(failing)
    assert (await failing.put(job["upload_url"], content=CSV)).status_code == 200
    answer = await failing.get(f"{API}/retrain_jobs/{job['retrain_job_id']}", headers=H)
    assert answer.json() == {
        "status": "failed",
        "message": "injected failure (seed 3)",
        "metadata": {"retrain_job_id": job["retrain_job_id"]},
    }
