"""Apply against the Alviss emulator through real HTTP (ASGI transport): converge, stay converged."""

from __future__ import annotations

import asyncio
import json

import pytest

from reconciler import errors
from reconciler.engine.executor import Event
from reconciler.vocabulary import Action
from tests.support import Demo, mutating

SALES = "alviss.upload.sales_w47"
MEDIA = "alviss.upload.media_w47"
ACTIVE = "alviss.active_dataset.main"


async def test_apply_converges_and_the_next_plan_sends_nothing(demo: Demo) -> None:
    result = await demo.workspace().apply()
    assert result.report.ok, result.report.messages
    assert {change.address: change.action for change in result.plan.actionable} == {
        SALES: Action.CREATE,
        MEDIA: Action.CREATE,
        ACTIVE: Action.UPDATE,
    }
    state = json.loads(demo.state_file.read_text())
    assert {address: record["status"] for address, record in state["resources"].items()} == {
        SALES: "ready",
        MEDIA: "ready",
        ACTIVE: "ready",
    }
    after_first = await demo.stats()
    assert after_first["objects"]["upload"] == 4  # two in the default world, two uploaded
    assert after_first["objects"]["dataset"] == 2

    again = await demo.workspace().plan()
    assert not again.plan.has_changes
    second = await demo.workspace().apply()
    assert not second.plan.has_changes
    after_second = await demo.stats()
    assert mutating(after_second) == mutating(after_first)
    assert json.loads(demo.state_file.read_text())["serial"] == state["serial"]


async def test_new_dataset_extends_the_live_active_one_and_is_activated(demo: Demo) -> None:
    await demo.workspace().apply()
    state = json.loads(demo.state_file.read_text())
    active = state["resources"][ACTIVE]["outputs"]
    uploads = {
        state["resources"][SALES]["outputs"]["upload_id"],
        state["resources"][MEDIA]["outputs"]["upload_id"],
    }
    assert uploads <= set(active["upload_ids"])
    assert {1, 2} <= set(active["upload_ids"])  # the default world's uploads are kept


async def test_edited_file_plans_one_upload_and_one_dataset(demo: Demo) -> None:
    await demo.workspace().apply()
    sales = demo.data("sales_w47.csv")
    sales.write_text(sales.read_text() + "SWE,all,all,2026-11-23,Lime,100,12.9\n")
    before = await demo.stats()

    planned = (await demo.workspace().plan()).plan
    assert {change.address: change.action for change in planned.actionable} == {
        SALES: Action.REPLACE,
        ACTIVE: Action.UPDATE,
    }
    assert "sales_w47.csv changed" in planned[SALES].reasons[0]
    assert planned[ACTIVE].caused_by == (SALES,)

    result = await demo.workspace().apply()
    assert result.report.ok
    after = await demo.stats()
    assert after["objects"]["upload"] == before["objects"]["upload"] + 1
    assert after["objects"]["dataset"] == before["objects"]["dataset"] + 1


async def test_failed_upload_taints_it_skips_dependents_and_finishes_the_rest(demo: Demo) -> None:
    demo.data("sales_w47.csv").write_text("Country,Region,Date,Product\nSWE,all,2026-11-23,Classic\n")
    result = await demo.workspace().apply()
    assert result.report.outcomes == {SALES: "failed", MEDIA: "done", ACTIVE: "skipped"}
    assert "UnitsSold" in result.report.messages[SALES]
    state = json.loads(demo.state_file.read_text())
    assert state["resources"][SALES]["status"] == "tainted"
    assert "UnitsSold" in state["resources"][SALES]["error"]
    assert state["resources"][MEDIA]["status"] == "ready"

    demo.data("sales_w47.csv").write_text(
        "Country,Region,Grouping,Date,Product,UnitsSold\nSWE,all,all,2026-11-23,Classic,10\n"
    )
    planned = (await demo.workspace().plan()).plan
    assert {change.address: change.action for change in planned.actionable} == {
        SALES: Action.REPLACE,
        ACTIVE: Action.UPDATE,
    }
    assert (await demo.workspace().apply()).report.ok


async def test_interrupted_apply_resumes_the_recorded_jobs_instead_of_resubmitting(demo: Demo) -> None:
    clock = [1_000_000.0]
    slow = {"upload": 60.0, "dataset": 60.0}
    workspace = demo.workspace(emulator_durations={"alviss": slow}, emulator_clock=lambda: clock[0])
    seen: set[str] = set()
    running = asyncio.Event()  # set by the status events: every job was submitted and is running

    def on_event(event: Event) -> None:
        if event.kind == "status":
            seen.add(event.address)
        if {SALES, MEDIA} <= seen:
            running.set()

    task = asyncio.create_task(workspace.apply(on_event=on_event))
    await asyncio.wait_for(running.wait(), timeout=30)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    state = json.loads(demo.state_file.read_text())
    assert state["resources"][SALES]["pending"]["job_id"] is not None
    uploads_before = (await demo.stats())["objects"]["upload"]

    clock[0] += 3600
    resumed = demo.workspace(emulator_durations={"alviss": slow}, emulator_clock=lambda: clock[0])
    planned = (await resumed.plan()).plan
    assert planned[SALES].action is Action.RESUME
    assert planned[MEDIA].action is Action.RESUME

    async def advance(seconds: float) -> None:
        clock[0] += 60
        await asyncio.sleep(0)

    from dataclasses import replace

    finishing = demo.workspace(
        emulator_durations={"alviss": slow},
        emulator_clock=lambda: clock[0],
        client=replace(demo.settings.client, sleep=advance),
    )
    result = await finishing.apply()
    assert result.report.ok, result.report.messages
    after = await demo.stats()
    assert after["objects"]["upload"] == uploads_before  # waited for, not uploaded again
    assert not (await finishing.plan()).plan.has_changes


async def test_apply_refuses_while_another_holds_the_lock(demo: Demo) -> None:
    workspace = demo.workspace()
    with workspace.backend().lock(operation="apply"), pytest.raises(errors.StateLocked) as caught:
        await demo.workspace().apply()
    assert "apply" in str(caught.value)


async def test_missing_data_file_is_a_located_spec_error(demo: Demo) -> None:
    demo.data("media_w47.csv").unlink()
    with pytest.raises(errors.SpecError) as caught:
        await demo.workspace().plan()
    assert "demo.yaml:" in str(caught.value)
    assert "media_w47.csv does not exist" in str(caught.value)
