"""``drift``: 0 in sync, 2 spec ahead, 3 changed outside, 4 jobs running; read-only (GET requests only)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from reconciler.workflow import Settings
from tests.support import Demo, mutating

from .support import run


def outsider(project: Path) -> Demo:
    return Demo(root=project, settings=Settings(emulator_dir=project / "emulators"))


def drift_checked(project: Path) -> tuple[int, str]:
    """``drift`` and proof that it sent nothing but GET requests and wrote no state."""
    state = project / "state" / "demo.json"
    before_state = state.read_bytes() if state.exists() else None
    before = mutating(asyncio.run(outsider(project).stats()))
    code, output = run("drift", "specs/demo.yaml")
    assert mutating(asyncio.run(outsider(project).stats())) == before
    assert (state.read_bytes() if state.exists() else None) == before_state
    return code, output


def test_spec_changes_not_yet_applied_exit_2(project: Path) -> None:
    code, output = drift_checked(project)
    assert code == 2, output
    assert "spec changes not yet applied (3):" in output
    assert "alviss.upload.sales_w47" in output


def test_in_sync_exit_0(project: Path) -> None:
    run("apply", "specs/demo.yaml", "--auto-approve")
    assert drift_checked(project) == (0, "In sync: the live platforms match the spec and the state.\n")


def test_live_change_outside_the_tool_exit_3(project: Path) -> None:
    run("apply", "specs/demo.yaml", "--auto-approve")
    asyncio.run(outsider(project).call("POST", "/datasets/1/activate"))
    code, output = drift_checked(project)
    assert code == 3, output
    assert "live state changed outside reconciler (1):" in output
    assert "alviss.active_dataset.main: the active dataset was changed outside reconciler" in output
    assert "spec changes" not in output


def test_jobs_still_running_exit_4(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECONCILER_EMULATOR_DURATIONS", "upload=3600,dataset=3600")
    code, applied = run("apply", "specs/demo.yaml", "--auto-approve", "--detach")
    assert code == 0, applied
    assert "Jobs still running: 2 (run apply again to wait for them)." in applied, applied
    code, output = drift_checked(project)
    assert code == 4, output
    assert "jobs still running (3):" in output
    assert "alviss.upload.media_w47" in output


def test_spec_edit_after_apply_is_a_spec_change_and_wins_over_running(project: Path) -> None:
    run("apply", "specs/demo.yaml", "--auto-approve")
    data = project / "specs" / "data" / "demo" / "media_w47.csv"
    data.write_text(data.read_text() + data.read_text().splitlines()[-1] + "\n")
    code, output = drift_checked(project)
    assert code == 2, output
    assert "alviss.upload.media_w47" in output and "alviss.active_dataset.main" in output


def test_an_error_is_exit_1(project: Path) -> None:
    (project / "specs" / "data" / "demo" / "media_w47.csv").unlink()
    code, output = run("drift", "specs/demo.yaml")
    assert code == 1
    assert "does not exist" in output
