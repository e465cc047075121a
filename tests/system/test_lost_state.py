"""Lost state is found, not repeated: with the state file gone, the objects a full apply made are adopted.

The weekly-refresh spec is applied against a served Alviss emulator, the
state file is deleted (a CI runner without it, a removed file), and the next
plan must find every object on the platform: uploads by name, size and type,
the active dataset by its members, the refit by source model, dataset and
params, the attribution by model and dataset, the attribution set by its
members.  The apply that follows creates nothing, counted through
``/_emulator/stats``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from reconciler import emulators, errors
from reconciler.cli import main
from reconciler.providers.base import ClientOptions
from reconciler.render.plan_text import render_plan
from reconciler.vocabulary import Action
from reconciler.workflow import Settings, Workspace
from tests.served import served_emulator
from tests.support import REPO, no_wait
from tests.system.weekly_support import CONVERGED, TOKEN, held, weekly_against

SETTINGS = Settings(environ={"ALVISS_TOKEN": TOKEN}, client=ClientOptions(sleep=no_wait))


def _state_file(spec: Path) -> Path:
    return spec.parent.parent / "state" / "weekly-refresh.json"


async def test_state_deleted_after_a_full_apply_adopts_everything_and_creates_nothing(tmp_path: Path) -> None:
    with served_emulator("alviss", data_dir=tmp_path / "world", token=TOKEN) as base:
        spec = weekly_against(tmp_path, base)
        first = await Workspace(spec, settings=SETTINGS).apply()
        assert first.report.ok, first.report.messages
        after_first = held(base)
        recorded = json.loads(_state_file(spec).read_text())["resources"]

        _state_file(spec).unlink()
        saved = tmp_path / "adopt.plan.json"
        plan = (await Workspace(spec, settings=SETTINGS).plan(out=saved)).plan
        actions = {change.address: change.action for change in plan.changes}
        assert set(actions.values()) <= {Action.ADOPT, Action.NOOP}, actions
        assert actions["module.market[se].alviss.upload.sales"] is Action.ADOPT
        assert actions["module.market[no].alviss.refit.weekly"] is Action.ADOPT
        assert actions["module.market[se].alviss.attribution.weekly"] is Action.ADOPT
        text = render_plan(plan, width=120)
        assert "<= module.market[se].alviss.upload.sales: adopt" in text
        assert "file name, size and dataset type" in text
        assert "to adopt." in text

        httpx.delete(f"{base}/_emulator/stats", timeout=10).raise_for_status()
        second = await Workspace(spec, settings=SETTINGS).apply(plan_file=saved)
        assert second.report.ok, second.report.messages
        assert held(base) == after_first
        requests = httpx.get(f"{base}/_emulator/stats", timeout=10).json()["requests"]
        assert [route for route in requests if not route.startswith("GET ")] == []  # not even a read by POST
        adopted = json.loads(_state_file(spec).read_text())["resources"]
        for address, record in recorded.items():
            assert adopted[address]["outputs"] == record["outputs"], address
            assert adopted[address]["status"] == "ready", address
            assert adopted[address]["fingerprint"] == record["fingerprint"], address

        third = await Workspace(spec, settings=SETTINGS).plan()
        assert not third.plan.has_changes, [change.address for change in third.plan.actionable]
    for counts in after_first.values():
        assert counts == CONVERGED


async def test_a_second_matching_upload_with_a_state_stops_the_plan_with_the_import_commands(
    tmp_path: Path,
) -> None:
    with served_emulator("alviss", data_dir=tmp_path / "world", token=TOKEN) as base:
        spec = weekly_against(tmp_path, base)
        assert (await Workspace(spec, settings=SETTINGS).apply()).report.ok
        space = Workspace(spec, settings=SETTINGS)
        upload_id = space.state().resources["module.market[se].alviss.upload.sales"].outputs["upload_id"]
        space.state_rm(["module.market[se].alviss.upload.sales"])
        # The same file uploaded again by someone else: two objects match.
        data = spec.parent / "data" / "weekly" / "se" / "sales_w47.csv"
        with data.open("rb") as handle:
            answer = httpx.post(
                f"{base}/api/v1/api/projects/1/1/datauploads",
                params={"dataset_name": "Sales"},
                files={"file": ("sales_w47.csv", handle, "text/csv")},
                headers={"Authorization": f"Bearer {TOKEN}"},
            )
        answer.raise_for_status()
        other = answer.json()["upload_id"]
        with pytest.raises(errors.PlanError) as caught:
            await Workspace(spec, settings=SETTINGS).plan()
        message = caught.value.message
        assert "2 objects on the platform match it" in message
        assert f"reconciler import {spec} module.market[se].alviss.upload.sales {upload_id}" in message
        assert f"reconciler import {spec} module.market[se].alviss.upload.sales {other}" in message

        # The command the plan printed chooses; the plan goes on from there.
        command = f"import {spec} module.market[se].alviss.upload.sales {upload_id}".split()
        result = await asyncio.to_thread(CliRunner().invoke, main, command, env={"ALVISS_TOKEN": TOKEN})
        assert result.exit_code == 0, result.output
        after = await Workspace(spec, settings=SETTINGS).plan()
        assert not after.plan.has_changes, [change.address for change in after.plan.actionable]


async def _objects(data_dir: Path) -> dict[str, Any]:
    """Object counts of every emulator whose world lives in ``data_dir``."""
    counts: dict[str, Any] = {}
    for name in emulators.EMULATORS:
        app = emulators.create_app(name, data_dir=data_dir)
        try:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://e") as client:
                counts[name] = (await client.get("/_emulator/stats")).json()["objects"]
        finally:
            app.state.store.close()
    return counts


#: What each platform's API allows after the state is lost (see docs/providers/*.md).
def _example(tmp_path: Path, spec_name: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Settings]:
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    monkeypatch.chdir(tmp_path)
    settings = Settings(
        environ={},
        emulator_dir=tmp_path / "emulators",
        emulator_durations={name: dict.fromkeys(kinds, 0.0) for name, kinds in emulators.JOB_KINDS.items()},
        client=ClientOptions(sleep=no_wait),
    )
    return tmp_path / "specs" / spec_name, settings


#: Akkio: the dataset by its content-derived name; the training deduplicated by Akkio (force: false).
ADOPTABLE = ["akkio-leads.yaml", "demo.yaml", "weekly-refresh.yaml"]


@pytest.mark.parametrize("spec_name", ADOPTABLE)
async def test_every_adoptable_example_creates_nothing_after_its_state_is_deleted(
    tmp_path: Path, spec_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec, settings = _example(tmp_path, spec_name, monkeypatch)
    world = tmp_path / "emulators"
    assert (await Workspace(spec, settings=settings).apply()).report.ok
    before = await _objects(world)
    state = Workspace(spec, settings=settings).backend()
    recorded = state.read()
    _lose_state(tmp_path / "state")

    again = await Workspace(spec, settings=settings).apply()
    assert again.report.ok, again.report.messages
    assert not any(change.action is Action.REPLACE for change in again.plan.changes)
    assert await _objects(world) == before
    after = state.read()
    assert {address: record.outputs for address, record in after.resources.items()} == {
        address: record.outputs for address, record in recorded.resources.items()
    }
    assert not (await Workspace(spec, settings=settings).plan()).plan.has_changes


@pytest.mark.parametrize(
    ("spec_name", "address", "says"),
    [
        ("sony-retrain.yaml", "sony_epa.retrain.churn", "Sony EPA lists no retrain jobs"),
        ("datrics-scoring.yaml", "datrics.predictions.passengers", "Datrics lists no prediction tasks"),
    ],
)
async def test_a_platform_without_lists_says_in_the_plan_that_it_could_not_look(
    tmp_path: Path, spec_name: str, address: str, says: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec, settings = _example(tmp_path, spec_name, monkeypatch)
    assert (await Workspace(spec, settings=settings).apply()).report.ok
    _lose_state(tmp_path / "state")
    change = (await Workspace(spec, settings=settings).plan()).plan[address]
    assert change.action is Action.CREATE
    assert any(reason.startswith(f"not looked up: {says}") for reason in change.reasons), change.reasons


async def test_jobs_still_running_when_the_state_was_lost_are_adopted_and_waited_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A runner cancelled mid-apply, its state gone: the running uploads are found, not sent again."""
    spec, settings = _example(tmp_path, "weekly-refresh.yaml", monkeypatch)
    durations = {name: dict.fromkeys(kinds, 0.2) for name, kinds in emulators.JOB_KINDS.items()}
    settings = dataclasses.replace(settings, emulator_durations=durations)
    detached = await Workspace(spec, settings=settings).apply(detach=True)
    assert set(detached.report.outcomes.values()) >= {"pending"}
    submitted = await _objects(tmp_path / "emulators")
    _lose_state(tmp_path / "state")

    plan = (await Workspace(spec, settings=settings).plan()).plan
    assert all(plan[address].action is Action.ADOPT for address in plan_uploads(plan))
    finished = await Workspace(spec, settings=settings).apply()
    assert finished.report.ok, finished.report.messages
    after = await _objects(tmp_path / "emulators")
    assert after["alviss"]["upload"] == submitted["alviss"]["upload"]  # no upload sent twice
    assert not (await Workspace(spec, settings=settings).plan()).plan.has_changes


def plan_uploads(plan: Any) -> list[str]:
    return [change.address for change in plan.changes if change.type == "alviss.upload"]


def _lose_state(directory: Path) -> None:
    """Everything beside the spec's state is gone: its files, and what the tool keeps in ``.reconciler/``."""
    for path in directory.glob("*"):
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
