"""``results_file``: the retrain's results file (the status check's ``download_url``) saved locally,
downloaded again when it is missing or edited, and nothing else sent for it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sony_provider_support import CHURN, PUT, REPO, SWITCH, UPLOAD_URL, Example, no_wait, sent

from reconciler.errors import ReconcilerError
from reconciler.providers.base import ClientOptions
from reconciler.vocabulary import Action, Reason
from reconciler.workflow import Settings

DOWNLOAD = "GET /_downloads/{retrain_job_id}"


@pytest.fixture
def example(tmp_path: Path) -> Example:
    (tmp_path / "specs" / "data").mkdir(parents=True)
    shutil.copy(REPO / "specs" / "sony-results.yaml", tmp_path / "specs" / "sony-results.yaml")
    shutil.copytree(REPO / "specs" / "data" / "sony_epa", tmp_path / "specs" / "data" / "sony_epa")
    settings = Settings(
        environ={},
        emulator_dir=tmp_path / "emulators",
        emulator_durations={"sony_epa": {"retrain": 0}},
        client=ClientOptions(sleep=no_wait),
    )
    return Example(root=tmp_path, spec=tmp_path / "specs" / "sony-results.yaml", settings=settings)


def results(example: Example) -> Path:
    return example.root / "state" / "sony-churn-results.csv"


def record(example: Example) -> dict[str, object]:
    state = json.loads((example.root / "state" / "sony-results.json").read_text())
    found: dict[str, object] = state["resources"][CHURN]
    return found


async def test_the_results_file_is_saved_and_then_nothing_is_sent(example: Example) -> None:
    result = await example.workspace().apply()
    assert result.report.ok, result.report.messages
    job = record(example)["outputs"]["retrain_job_id"]  # type: ignore[index]
    header, row = results(example).read_text().splitlines()  # the emulator's results file, as sent
    assert "accuracy" in header.split(",")
    assert row.startswith(f"{job},")
    assert sent({"requests": {}}, await example.stats()) == {UPLOAD_URL: 1, PUT: 1, SWITCH: 1, DOWNLOAD: 1}

    before = await example.stats()
    assert not (await example.workspace().plan()).plan.has_changes
    assert not (await example.workspace().apply()).plan.has_changes
    assert sent(before, await example.stats()) == {}


@pytest.mark.parametrize("damage", ["missing", "edited"])
async def test_a_missing_or_edited_results_file_is_only_downloaded_again(
    example: Example, damage: str
) -> None:
    assert (await example.workspace().apply()).report.ok
    original = results(example).read_bytes()
    job = record(example)["outputs"]["retrain_job_id"]  # type: ignore[index]
    if damage == "missing":
        results(example).unlink()
    else:
        results(example).write_bytes(original + b"edited,by,hand\n")
    before = await example.stats()

    planned = (await example.workspace().plan()).plan
    assert {change.address: change.action for change in planned.actionable} == {CHURN: Action.UPDATE}
    assert planned[CHURN].reason is Reason.STEP_NOT_DONE
    assert ("is missing" if damage == "missing" else "was edited") in planned[CHURN].reasons[0]
    result = await example.workspace().apply()
    assert result.report.ok, result.report.messages
    assert sent(before, await example.stats()) == {DOWNLOAD: 1}  # no new retrain, no second switch
    assert results(example).read_bytes() == original
    assert record(example)["outputs"]["retrain_job_id"] == job  # type: ignore[index]
    assert not (await example.workspace().plan()).plan.has_changes


async def test_adding_results_file_to_a_finished_retrain_only_downloads(example: Example) -> None:
    text = example.spec.read_text()
    line = next(line for line in text.splitlines() if "results_file:" in line)
    example.spec.write_text(text.replace(line + "\n", ""))
    assert (await example.workspace().apply()).report.ok
    assert not results(example).exists()
    before = await example.stats()

    example.spec.write_text(text)
    planned = (await example.workspace().plan()).plan
    assert {change.address: change.action for change in planned.actionable} == {CHURN: Action.UPDATE}
    assert "not saved at ../state/sony-churn-results.csv yet" in planned[CHURN].reasons[0]
    assert (await example.workspace().apply()).report.ok
    assert sent(before, await example.stats()) == {DOWNLOAD: 1}
    assert results(example).exists()
    assert not (await example.workspace().plan()).plan.has_changes


PIN = "sony_epa.pin.churn"
PIN_LINE = "    retrain: sony_epa.retrain.churn"


async def serving(example: Example) -> object:
    key = {"x-api-key": "emulator-sony_epa.churn"}  # the stand-in key of provider sony_epa.churn
    answer = await example.emulator("GET", "/_emulator/model", headers=key)
    return answer["serving_retrain_job_id"]


def pin_to(example: Example, job: object) -> None:
    text = example.spec.read_text()
    line = next(line for line in text.splitlines() if line.startswith(PIN_LINE))
    example.spec.write_text(text.replace(line, f'    retrain_job_id: "{job}"'))


async def test_the_pin_follows_a_new_retrain_and_switches_back_to_an_earlier_one(example: Example) -> None:
    assert (await example.workspace().apply()).report.ok
    first = record(example)["outputs"]["retrain_job_id"]  # type: ignore[index]
    assert await serving(example) == first
    train = example.data("churn_train.csv")
    train.write_text(train.read_text() + "C09999,2,99.5,month-to-month,5,yes\n")
    planned = (await example.workspace().plan()).plan
    assert {change.address: change.action for change in planned.actionable} == {
        CHURN: Action.REPLACE,
        PIN: Action.UPDATE,
    }
    assert (await example.workspace().apply()).report.ok
    second = record(example)["outputs"]["retrain_job_id"]  # type: ignore[index]
    assert second != first
    assert await serving(example) == second

    pin_to(example, first)
    before = await example.stats()
    planned = (await example.workspace().plan()).plan
    assert {change.address: change.action for change in planned.actionable} == {PIN: Action.UPDATE}
    assert f"from retrain job {second} to retrain job {first}" in planned[PIN].reasons[0]
    result = await example.workspace().apply()
    assert result.report.ok, result.report.messages
    assert sent(before, await example.stats()) == {SWITCH: 1}  # no retrain, no download
    assert await serving(example) == first
    assert not (await example.workspace().plan()).plan.has_changes


async def test_a_pin_to_a_job_the_platform_does_not_know_is_a_located_plan_error(example: Example) -> None:
    assert (await example.workspace().apply()).report.ok
    pin_to(example, "no-such-job")
    before = await example.stats()
    with pytest.raises(ReconcilerError) as caught:
        await example.workspace().plan()
    text = str(caught.value)
    assert "retrain job no-such-job is not on the platform" in text
    assert "sony-results.yaml:" in text
    assert sent(before, await example.stats()) == {}


async def test_a_retrain_its_checks_reject_is_not_pinned_but_its_results_file_is_saved(
    example: Example,
) -> None:
    text = example.spec.read_text()
    example.spec.write_text(
        text.replace(
            "    switch: false", "    switch: false\n    checks: [{metric: accuracy, at_least: 0.99}]"
        )
    )
    result = await example.workspace().apply()
    assert not result.report.ok
    assert record(example)["status"] == "rejected"
    assert results(example).exists()  # the file the checks read is kept
    assert await serving(example) is None  # the pin was held back: the API still serves the original model
    assert PIN not in json.loads((example.root / "state" / "sony-results.json").read_text())["resources"]
