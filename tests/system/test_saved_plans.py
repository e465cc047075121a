"""Saved plans: applied exactly when nothing moved, refused (naming what) when state or a live object did."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from reconciler.workflow import Settings
from tests.support import Demo, mutating

from .support import run

CANARY = "canary-51d0e-token-never-printed"


def outsider(project: Path) -> Demo:
    return Demo(root=project, settings=Settings(emulator_dir=project / "emulators"))


def test_a_saved_plan_is_applied_exactly_when_nothing_changed(project: Path) -> None:
    code, output = run("plan", "specs/demo.yaml", "-out", "plan.json")
    assert code == 0, output
    assert "Saved the plan to plan.json" in output
    code, output = run("apply", "plan.json")
    assert code == 0, output
    assert "Apply these changes?" not in output
    assert "Apply complete! Resources: 2 added, 1 changed, 0 replaced, 0 adopted." in output
    assert run("plan", "specs/demo.yaml", "--detailed-exitcode")[0] == 0


def test_a_saved_plan_is_refused_after_another_apply(project: Path) -> None:
    run("plan", "specs/demo.yaml", "-out", "plan.json")
    assert run("apply", "specs/demo.yaml", "--auto-approve")[0] == 0
    serial = json.loads((project / "state" / "demo.json").read_text())["serial"]
    before = asyncio.run(outsider(project).stats())

    code, output = run("apply", "plan.json")
    assert code == 1
    assert f"state serial 0 → {serial}" in output
    assert mutating(asyncio.run(outsider(project).stats())) == mutating(before)


def test_a_saved_plan_is_refused_after_a_live_object_changed_outside(project: Path) -> None:
    assert run("apply", "specs/demo.yaml", "--auto-approve")[0] == 0
    data = project / "specs" / "data" / "demo" / "sales_w47.csv"
    data.write_text(data.read_text() + data.read_text().splitlines()[-1] + "\n")
    assert run("plan", "specs/demo.yaml", "-out", "plan.json")[0] == 0
    asyncio.run(outsider(project).call("POST", "/datasets/1/activate"))

    code, output = run("apply", "plan.json")
    assert code == 1
    assert "alviss.active_dataset.main: the live object changed" in output
    assert "alviss.upload.sales_w47" not in output  # its live object did not move
    assert "state serial" not in output


def test_a_saved_plan_is_refused_when_the_spec_changed(project: Path) -> None:
    run("plan", "specs/demo.yaml", "-out", "plan.json")
    spec = project / "specs" / "demo.yaml"
    spec.write_text(spec.read_text().replace("dataset_name: Media", "dataset_name: Sales"))
    code, output = run("apply", "plan.json")
    assert code == 1
    assert "alviss.upload.media_w47: the spec changed" in output


def test_a_damaged_plan_file_is_an_error_not_a_traceback(project: Path) -> None:
    Path("plan.json").write_text('{"format": "reconciler-plan", "format_version": 1, "changes": [{}]}')
    code, output = run("apply", "plan.json")
    assert code == 1
    assert "is damaged" in output


def test_no_secret_in_plan_files_or_machine_readable_output(project: Path, monkeypatch: object) -> None:
    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    monkeypatch.setenv("ALVISS_TOKEN", CANARY)
    spec = project / "specs" / "demo.yaml"
    spec.write_text(spec.read_text().replace("# token: ${env:ALVISS_TOKEN}", "token: ${env:ALVISS_TOKEN}"))
    outputs = [
        run("plan", "specs/demo.yaml", "-out", "plan.json")[1],
        run("plan", "specs/demo.yaml", "--format", "json")[1],
        run("plan", "specs/demo.yaml", "--format", "markdown")[1],
        run("apply", "plan.json", "--format", "json")[1],
        run("drift", "specs/demo.yaml")[1],
        run("state", "show", "specs/demo.yaml", "alviss.upload.sales_w47")[1],
    ]
    assert "token" in spec.read_text()
    assert '"type": "summary"' in outputs[3]
    for text in [*outputs, Path("plan.json").read_text(), (project / "state" / "demo.json").read_text()]:
        assert CANARY not in text
