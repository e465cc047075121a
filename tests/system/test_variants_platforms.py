"""Akkio, Sony EPA and Datrics against every emulator variant: the bugs each variant exposed.

``full`` serves what the platforms were seen to do, INFERRED parts included;
``documented`` only what the vendors' pages show (Akkio without the legacy
model listing, Sony without its INFERRED status words, Datrics without
``result``); ``strict`` also refuses what the pages require but a request
lacks (Akkio's ``duration``) and reports what they say comes first (Datrics'
``PENDING`` before ``STARTED``).  That every example converges against each
variant is checked in ``test_convergence.py``; the known bugs each variant
exposed have a test of their own here.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler import emulators
from reconciler.emulators.faults import Faults
from reconciler.providers.base import ClientOptions
from reconciler.vocabulary import Action
from reconciler.workflow import Settings, Workspace
from tests.support import REPO, no_wait


def settings(world: Path, variant: str, seconds: float = 0.0) -> Settings:
    return Settings(
        environ={},
        emulator_dir=world,
        emulator_durations={
            name: dict.fromkeys(kinds, seconds) for name, kinds in emulators.JOB_KINDS.items()
        },
        emulator_variant=variant,
        client=ClientOptions(sleep=no_wait),
    )


async def stats_of(name: str, world: Path) -> dict[str, Any]:
    app = emulators.create_app(name, data_dir=world)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://e") as client:
            found: dict[str, Any] = (await client.get("/_emulator/stats")).json()
    finally:
        app.state.store.close()
    return found


@pytest.fixture
def specs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "specs"


@pytest.mark.parametrize("variant", ["documented", "strict"])
async def test_akkio_without_the_legacy_model_listing_trains_once(
    specs: Path, tmp_path: Path, variant: str
) -> None:
    """The listing is how a deleted model is noticed; without it the model is kept, never trained again."""
    world = tmp_path / "emulators"
    for _ in range(3):
        applied = await Workspace(specs / "akkio-leads.yaml", settings=settings(world, variant)).apply()
        assert applied.report.ok, applied.report.messages
    found = await stats_of("akkio", world)
    assert found["objects"]["task"] == 1
    assert "GET /v1/models" not in found["requests"]


async def test_a_strict_akkio_refuses_a_training_request_without_duration(tmp_path: Path) -> None:
    app = emulators.create_app("akkio", data_dir=tmp_path, variant="strict")
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://e") as client:
            body = {"dataset_id": "D", "predict_fields": ["y"]}
            refused = await client.post("/api/v1/models/train/new", json=body, headers={"X-API-Key": "k"})
            assert refused.status_code == 422 and "duration" in refused.text
            listing = await client.get("/v1/models", params={"api_key": "k"})
            assert listing.status_code in (404, 405)  # no listing: only the legacy prediction POST
    finally:
        app.state.store.close()


@pytest.mark.parametrize("variant", ["documented", "strict"])
async def test_datrics_without_the_result_key_keeps_the_finished_prediction(
    specs: Path, tmp_path: Path, variant: str
) -> None:
    world = tmp_path / "emulators"
    spec = specs / "datrics-scoring.yaml"
    first = await Workspace(spec, settings=settings(world, variant)).apply()
    assert first.report.ok, first.report.messages
    written = (tmp_path / "predictions" / "datrics" / "credit_scores.json").read_text()
    assert '"predictions"' in written  # the answer as the platform gave it
    again = await Workspace(spec, settings=settings(world, variant)).plan()
    assert not again.plan.has_changes
    assert (await stats_of("datrics", world))["objects"]["prediction_task"] == 2


async def test_a_strict_datrics_task_reads_pending_before_started(specs: Path, tmp_path: Path) -> None:
    world = tmp_path / "emulators"
    spec = specs / "datrics-scoring.yaml"
    detached = await Workspace(spec, settings=settings(world, "strict", seconds=600)).apply(detach=True)
    assert "failed" not in set(detached.report.outcomes.values())
    plan = (await Workspace(spec, settings=settings(world, "strict", seconds=600)).plan()).plan
    resumed = [change for change in plan.changes if change.action is Action.RESUME]
    assert resumed and all("PENDING" in " ".join(change.reasons) for change in resumed)


async def test_a_sony_job_whose_data_was_refused_is_not_waited_for(specs: Path, tmp_path: Path) -> None:
    """The documented platform has no ``waiting`` word: the state, not the word, says the data never came."""
    world = tmp_path / "emulators"
    spec = specs / "sony-retrain.yaml"
    clock = [0.0]

    async def hours_pass(seconds: float) -> None:
        clock[0] += 7200  # a wait for a job that never trains would reach its day-long deadline at once

    refused = Settings(
        environ={},
        emulator_dir=world,
        emulator_durations={"sony_epa": {"retrain": 0.0}},
        emulator_variant="documented",
        emulator_faults=Faults(rate=1.0, kinds=("429",), only="PUT /_uploads"),
        client=ClientOptions(sleep=no_wait),
    )
    first = await Workspace(spec, settings=refused).apply()
    assert not first.report.ok
    assert (await stats_of("sony_epa", world))["objects"]["retrain_started"] == 0

    calm = Settings(
        environ={},
        emulator_dir=world,
        emulator_durations={"sony_epa": {"retrain": 0.0}},
        emulator_variant="documented",
        client=ClientOptions(sleep=hours_pass, clock=lambda: clock[0]),
    )
    plan = (await Workspace(spec, settings=calm).plan()).plan
    assert {change.action for change in plan.actionable} == {Action.CREATE}, plan.actionable
    second = await Workspace(spec, settings=calm).apply()
    assert second.report.ok, second.report.messages
    assert clock[0] < 24 * 3600  # a poll or two, not a day-long wait for a job that never trains
    found = await stats_of("sony_epa", world)
    assert found["objects"]["retrain_started"] == 2
