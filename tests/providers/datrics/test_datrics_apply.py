"""Apply specs/datrics-scoring.yaml against the Datrics emulator (ASGI transport): converge, stay converged.

Every check of "nothing was sent" reads the emulator's own request counts
(``/_emulator/stats``), kept in its SQLite world.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from datrics_provider_support import CREDIT, PASSENGERS, Example, posts

from reconciler.engine.executor import Event
from reconciler.providers.base import ClientOptions
from reconciler.vocabulary import Action


def actions(planned: Any) -> dict[str, Action]:
    return {change.address: change.action for change in planned.actionable}


async def test_the_example_applies_and_the_next_plan_sends_nothing(example: Example) -> None:
    result = await example.workspace().apply()
    assert result.report.ok, result.report.messages
    assert actions(result.plan) == {CREDIT: Action.CREATE, PASSENGERS: Action.CREATE}

    scores = json.loads(example.output("credit_scores.json").read_text())
    assert scores[0] == {"prediction": 1, "probability": 0.71095}  # return_only_prediction: true
    assert len(scores) == 6
    survival = json.loads(example.output("passenger_survival.json").read_text())
    assert survival[0]["passenger"] == "Allen, Miss. Elisabeth Walton" and survival[0]["prediction"] == 1
    state = json.loads(example.state_file.read_text())
    record = state["resources"][CREDIT]
    assert record["status"] == "ready" and record["pending"] is None
    assert record["outputs"]["output"] == "../predictions/datrics/credit_scores.json"
    assert len(record["outputs"]["output_sha256"]) == 64 and record["outputs"]["task_id"]
    first = await example.stats()
    assert first["objects"] == {"prediction_task": 2} and posts(first) == 2

    assert not (await example.workspace().plan()).plan.has_changes
    again = await example.workspace().apply()
    assert not again.plan.has_changes
    second = await example.stats()
    assert second == first  # not a single request: the outputs are local, nothing to ask the platform
    assert json.loads(example.state_file.read_text())["serial"] == state["serial"]


async def test_a_changed_input_plans_exactly_one_new_task(example: Example) -> None:
    await example.workspace().apply()
    passengers = example.data("passengers.json")
    records = json.loads(passengers.read_text())
    passengers.write_text(json.dumps([*records, {**records[1], "passenger": "Another, Mr. A", "age": 40}]))
    before = await example.stats()

    planned = (await example.workspace().plan()).plan
    assert actions(planned) == {PASSENGERS: Action.REPLACE}
    assert "data/datrics/passengers.json changed (sha256" in planned[PASSENGERS].reasons[0]

    assert (await example.workspace().apply()).report.ok
    after = await example.stats()
    assert posts(after) == posts(before) + 1
    assert after["objects"]["prediction_task"] == before["objects"]["prediction_task"] + 1
    assert len(json.loads(example.output("passenger_survival.json").read_text())) == 6


async def test_a_new_model_version_plans_one_new_task_and_changes_the_output(example: Example) -> None:
    await example.workspace().apply()
    old = example.output("passenger_survival.json").read_text()
    example.edit_spec("model_path: 1/4/model-groups/2/2.json", "model_path: 1/4/model-groups/2/1.json")
    planned = (await example.workspace().plan()).plan
    assert actions(planned) == {PASSENGERS: Action.REPLACE}
    assert planned[PASSENGERS].reasons == (
        "model_path changed (1/4/model-groups/2/2.json → 1/4/model-groups/2/1.json)",
    )
    before = posts(await example.stats())
    assert (await example.workspace().apply()).report.ok
    assert posts(await example.stats()) == before + 1
    assert example.output("passenger_survival.json").read_text() != old


@pytest.mark.parametrize("damage", ["edit", "delete"])
async def test_an_edited_or_missing_output_plans_one_new_task(example: Example, damage: str) -> None:
    await example.workspace().apply()
    output = example.output("credit_scores.json")
    original = output.read_text()
    if damage == "edit":
        output.write_text(original.replace("0.71095", "0.99"))
    else:
        output.unlink()
    planned = (await example.workspace().plan()).plan
    expected = Action.REPLACE if damage == "edit" else Action.CREATE
    assert actions(planned) == {CREDIT: expected}
    reason = "was edited (sha256" if damage == "edit" else "credit_scores.json does not exist"
    assert reason in planned[CREDIT].reasons[0]
    before = posts(await example.stats())
    assert (await example.workspace().apply()).report.ok
    assert posts(await example.stats()) == before + 1
    assert output.read_text() == original  # same inputs, same model: the same predictions
    assert not (await example.workspace().plan()).plan.has_changes


async def test_a_failed_task_taints_the_resource_with_the_platforms_message(example: Example) -> None:
    credit = example.data("credit_applications.csv")
    good = credit.read_text()
    credit.write_text("\n".join(",".join(line.split(",")[:3]) for line in good.splitlines()) + "\n")
    result = await example.workspace().apply()
    assert result.report.outcomes == {CREDIT: "failed", PASSENGERS: "done"}
    assert "lacks feature(s) the model needs: employment_status_Employed" in result.report.messages[CREDIT]
    record = json.loads(example.state_file.read_text())["resources"][CREDIT]
    assert record["status"] == "tainted" and "employment_status_Employed" in record["error"]
    assert not example.output("credit_scores.json").exists()

    credit.write_text(good)
    planned = (await example.workspace().plan()).plan
    assert actions(planned) == {CREDIT: Action.REPLACE}
    assert (await example.workspace().apply()).report.ok
    assert example.output("credit_scores.json").exists()


async def test_an_interrupted_apply_resumes_the_recorded_task_instead_of_resubmitting(
    example: Example,
) -> None:
    clock = [1_900_000_000.0]
    slow = {"datrics": {"predict": 60.0}}
    workspace = example.workspace(emulator_durations=slow, emulator_clock=lambda: clock[0])
    seen: set[str] = set()
    running = asyncio.Event()  # set by the status events: every job was submitted and is running

    def on_event(event: Event) -> None:
        if event.kind == "status":
            seen.add(event.address)
        if {CREDIT, PASSENGERS} <= seen:
            running.set()

    task = asyncio.create_task(workspace.apply(on_event=on_event))
    await asyncio.wait_for(running.wait(), timeout=30)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    pending = json.loads(example.state_file.read_text())["resources"][CREDIT]["pending"]
    assert pending["job_id"] and pending["step"] == "predict"
    before = await example.stats()
    assert posts(before) == 2

    clock[0] += 3600
    resumed = example.workspace(emulator_durations=slow, emulator_clock=lambda: clock[0])
    planned = (await resumed.plan()).plan
    assert actions(planned) == {CREDIT: Action.RESUME, PASSENGERS: Action.RESUME}
    assert (await resumed.apply()).report.ok
    after = await example.stats()
    assert posts(after) == 2 and after["objects"] == before["objects"]
    assert example.output("credit_scores.json").exists()


async def test_a_task_the_platform_lost_reads_pending_until_the_deadline_then_stays_recorded(
    example: Example,
) -> None:
    clock = [0.0]

    async def sleep(seconds: float) -> None:
        clock[0] += seconds
        await asyncio.sleep(0)

    await example.workspace().apply()
    example.output("credit_scores.json").unlink()
    state = json.loads(example.state_file.read_text())
    record = state["resources"][CREDIT]
    record["status"] = "pending"
    record["pending"] = {"action": "create", "step": "predict", "fingerprint": record["fingerprint"],
                         "job_id": "a-task-the-platform-forgot", "detail": {}}  # fmt: skip
    example.state_file.write_text(json.dumps(state))

    # poll_scale stretches the intervals (fewer polls), not the deadline.
    options = ClientOptions(sleep=sleep, clock=lambda: clock[0], poll_scale=20.0)
    result = await example.workspace(client=options).apply()
    assert result.plan[CREDIT].action is Action.RESUME
    assert result.report.outcomes[CREDIT] == "pending"
    assert "still PENDING after 3600s" in result.report.messages[CREDIT]
    kept = json.loads(example.state_file.read_text())["resources"][CREDIT]["pending"]
    assert kept["job_id"] == "a-task-the-platform-forgot"
