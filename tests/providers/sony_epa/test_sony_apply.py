"""Apply ``specs/sony-retrain.yaml`` against the in-process Sony EPA emulator: converge, stay converged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sony_provider_support import CHURN, DEMAND, PUT, SWITCH, UPLOAD_URL, Example, copy_example, no_wait, sent

from reconciler.providers.base import ClientOptions
from reconciler.vocabulary import Action
from reconciler.workflow import Settings


@pytest.fixture
def example(tmp_path: Path) -> Example:
    settings = Settings(
        environ={},
        emulator_dir=tmp_path / "emulators",
        emulator_durations={"sony_epa": {"retrain": 0}},
        client=ClientOptions(sleep=no_wait),
    )
    return Example(root=tmp_path, spec=copy_example(tmp_path), settings=settings)


async def test_the_example_applies_then_plans_nothing_and_sends_nothing(example: Example) -> None:
    result = await example.workspace().apply()
    assert result.report.ok, result.report.messages
    assert {change.address: change.action for change in result.plan.actionable} == {
        CHURN: Action.CREATE,
        DEMAND: Action.CREATE,
    }
    first = await example.stats()
    assert first["objects"] == {"model": 2, "retrain_job": 2, "switch": 1, "retrain_started": 2}
    assert first["statuses"] == {"finished": 2}  # the churn zip (train_src/, eval_src/) trained too
    state = json.loads(example.state_file.read_text())
    assert state["resources"][CHURN]["outputs"]["switched"] is True
    assert state["resources"][DEMAND]["outputs"]["switched"] is False

    assert not (await example.workspace().plan()).plan.has_changes
    again = await example.workspace().apply()
    assert not again.plan.has_changes
    assert sent(first, await example.stats()) == {}  # no upload URL, no upload, no switch
    assert json.loads(example.state_file.read_text())["serial"] == state["serial"]


async def test_a_changed_file_plans_exactly_one_new_retrain(example: Example) -> None:
    await example.workspace().apply()
    train = example.data("churn_train.csv")
    train.write_text(train.read_text() + "C09999,2,99.5,month-to-month,5,yes\n")
    before = await example.stats()

    planned = (await example.workspace().plan()).plan
    assert {change.address: change.action for change in planned.actionable} == {CHURN: Action.REPLACE}
    assert "churn_train.csv changed (sha256" in planned[CHURN].reasons[0]
    result = await example.workspace().apply()
    assert result.report.ok, result.report.messages
    assert sent(before, await example.stats()) == {UPLOAD_URL: 1, PUT: 1, SWITCH: 1}
    assert not (await example.workspace().plan()).plan.has_changes


async def test_a_job_gone_from_the_platform_plans_a_new_retrain(example: Example) -> None:
    await example.workspace().apply()
    state = json.loads(example.state_file.read_text())
    job = state["resources"][DEMAND]["outputs"]["retrain_job_id"]
    await example.emulator("DELETE", f"/_emulator/retrain_jobs/{job}")

    planned = (await example.workspace().plan()).plan
    assert {change.address: change.action for change in planned.actionable} == {DEMAND: Action.REPLACE}
    assert "Not found retrain job." in planned[DEMAND].reasons[0]
    assert (await example.workspace().apply()).report.ok
    assert json.loads(example.state_file.read_text())["resources"][DEMAND]["outputs"]["retrain_job_id"] != job


async def test_a_run_that_stops_waiting_is_resumed_not_resubmitted(example: Example) -> None:
    emulator_now = [1_800_000_000.0]
    client_now = [0.0]

    async def hours_pass(seconds: float) -> None:
        client_now[0] += 7200  # every poll interval ends hours later: the wait reaches its deadline

    slow = example.workspace(
        emulator_durations={"sony_epa": {"retrain": 600}},
        emulator_clock=lambda: emulator_now[0],
        client=ClientOptions(sleep=hours_pass, clock=lambda: client_now[0]),
    )
    first = await slow.apply()
    assert first.report.count("pending") == 2, first.report.messages
    pending = json.loads(example.state_file.read_text())["resources"][CHURN]["pending"]
    assert pending["step"] == "send_data" and pending["job_id"] and pending["detail"]["data_sent"]
    before = await example.stats()

    planned = (await slow.plan()).plan
    assert {change.address: change.action for change in planned.actionable} == {
        CHURN: Action.RESUME,
        DEMAND: Action.RESUME,
    }
    emulator_now[0] += 600
    resumed = await slow.apply()
    assert resumed.report.ok, resumed.report.messages
    assert sent(before, await example.stats()) == {SWITCH: 1}  # only the churn model's switch
    state = json.loads(example.state_file.read_text())
    assert state["resources"][CHURN]["outputs"]["retrain_job_id"] == pending["job_id"]


async def test_data_that_never_arrived_is_uploaded_again(example: Example) -> None:
    await example.workspace().apply()
    train = example.data("demand_weekly.csv")
    train.write_text(train.read_text() + "2026-11-02,STO-01,espresso-beans,none,77\n")
    document = json.loads(example.state_file.read_text())
    plan = (await example.workspace().plan()).plan
    # An earlier run got its job id, then stopped before its PUT went out.
    issued = await _upload_url(example, "demand_weekly.csv", key="emulator-sony_epa.demand")
    document["resources"][DEMAND]["status"] = "pending"
    document["resources"][DEMAND]["pending"] = {
        "action": "replace", "step": "upload", "fingerprint": plan[DEMAND].fingerprint, "job_id": issued,
    }  # fmt: skip
    example.state_file.write_text(json.dumps(document))

    planned = (await example.workspace().plan()).plan
    assert planned[DEMAND].action is Action.REPLACE
    assert "never arrived" in planned[DEMAND].reasons[0]
    assert (await example.workspace().apply()).report.ok
    assert (
        json.loads(example.state_file.read_text())["resources"][DEMAND]["outputs"]["retrain_job_id"] != issued
    )


async def _upload_url(example: Example, filename: str, *, key: str) -> str:
    body = await example.emulator(
        "GET",
        "/v1/external/retrain_jobs/upload_url",
        params={"filename": filename},
        headers={"x-api-key": key},
    )
    return str(body["retrain_job_id"])
