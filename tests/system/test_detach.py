"""``apply --detach`` and the closing summary.

Exit 0 with jobs still running, what waits on them named, this run's counts only.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .support import INSTANT, run

WEEKLY = "specs/weekly-refresh.yaml"
#: Long enough that a detached apply's one look finds every upload still running.
SLOW_UPLOADS = "upload=2,dataset=0,refit=0,build=0,attribution=0,attribution_set=0"


def test_detach_on_the_weekly_spec_exits_0_then_drift_4_then_apply_finishes(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECONCILER_EMULATOR_DURATIONS", SLOW_UPLOADS)
    code, output = run("apply", WEEKLY, "--auto-approve", "--detach")
    assert code == 0, output
    se = "module.market[se].alviss"
    assert f"{se}.active_dataset.main: waiting on {se}.upload.sales (running)" in output
    # What waits on a change that is itself waiting names the job it is held up by, not the next link.
    no = "module.market[no].alviss"
    assert f"{no}.attribution.weekly: waiting on {no}.upload.sales (running)" in output
    assert "skipped" not in output and "not started" not in output and "Error" not in output
    assert output.endswith(
        "\nApply complete! Resources: 0 added, 0 changed, 0 replaced, 0 adopted. "
        "Jobs still running: 4 (run apply again to wait for them). Waiting on them: 8 changes.\n"
    )

    code, output = run("drift", WEEKLY)
    assert code == 4, output

    monkeypatch.setenv("RECONCILER_EMULATOR_DURATIONS", INSTANT)
    code, output = run("apply", WEEKLY, "--auto-approve")
    assert code == 0, output
    assert "Plan: 4 to create, 4 to change, 0 to replace, 4 to resume, 0 to forget." in output
    # This run's changes only: the four uploads the detached run submitted are the 4 resumed.
    assert "\nApply complete! Resources: 4 added, 4 changed, 0 replaced, 0 adopted, 4 resumed.\n" in output
    assert output.split("Apply complete!")[1].split("\n")[2:4] == ["Outputs:", ""]  # then the spec's outputs
    assert run("drift", WEEKLY)[0] == 0


def test_detach_with_format_json_has_the_same_figures(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECONCILER_EMULATOR_DURATIONS", SLOW_UPLOADS)
    code, output = run("apply", "specs/demo.yaml", "--auto-approve", "--detach", "--format", "json")
    assert code == 0, output
    lines = [json.loads(line) for line in output.splitlines()]
    waiting = [line for line in lines if line.get("kind") == "waiting"]
    assert [(line["address"], line["message"]) for line in waiting] == [
        ("alviss.active_dataset.main", "waiting on alviss.upload.sales_w47 (running)")
    ]
    summary = lines[-1]
    assert summary["type"] == "summary"
    assert (summary["ok"], summary["complete"], summary["jobs_still_running"], summary["waiting"]) == (
        True,
        False,
        2,
        1,
    )
    assert summary["resources"] == dict.fromkeys(
        ("added", "changed", "replaced", "adopted", "resumed", "forgotten"), 0
    )
    assert summary["counts"] == {
        "done": 0,
        "failed": 0,
        "pending": 2,
        "waiting": 1,
        "skipped": 0,
        "rejected": 0,
    }


def test_a_plan_of_two_changes_ends_with_two_counted(project: Path) -> None:
    assert run("apply", "specs/demo.yaml", "--auto-approve")[0] == 0
    media = project / "specs" / "data" / "demo" / "media_w47.csv"
    media.write_text(media.read_text() + media.read_text().splitlines()[-1] + "\n")
    code, output = run("apply", "specs/demo.yaml", "--auto-approve")
    assert code == 0, output
    assert "Plan: 0 to create, 1 to change, 1 to replace, 0 to resume, 0 to forget." in output
    # Not 3: the unchanged sales upload is a no-op, and the first apply's work is not this run's.
    assert output.endswith("\nApply complete! Resources: 0 added, 1 changed, 1 replaced, 0 adopted.\n")

    code, output = run("apply", "specs/demo.yaml", "--auto-approve", "--format", "json")
    assert code == 0, output
    summary = json.loads(output.splitlines()[-1])
    assert (summary["ok"], summary["complete"], summary["outcomes"]) == (True, True, {})


def test_a_failure_is_an_error_and_no_apply_complete(project: Path) -> None:
    sales = project / "specs" / "data" / "demo" / "sales_w47.csv"
    sales.write_text("Country,Region,Date,Product\nSWE,all,2026-11-23,Classic\n")  # no UnitsSold: refused
    code, output = run("apply", "specs/demo.yaml", "--auto-approve")
    assert code == 1, output
    assert "Apply complete!" not in output
    assert (
        "\nApply failed: 1 failed, 1 not started. Resources: 1 added, 0 changed, 0 replaced, 0 adopted.\n"
        in output
    )
    assert "Error: alviss.upload.sales_w47: " in output and "UnitsSold" in output
    assert "Not started because of these errors: alviss.active_dataset.main." in output
    assert "alviss.active_dataset.main: skipped (not started: alviss.upload.sales_w47 failed)" in output
    assert output.endswith("Fix what the errors say, then run apply again (plan shows what it would do).\n")
