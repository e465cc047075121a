"""``results_file``: the retrain's results file (the status check's ``download_url``) saved locally,
downloaded again when it is missing or edited, and nothing else sent for it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sony_provider_support import CHURN, PUT, REPO, SWITCH, UPLOAD_URL, Example, no_wait, sent

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
