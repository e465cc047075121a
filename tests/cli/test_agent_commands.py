"""``agent`` and ``approve`` on the command line: their mistakes exit 1 with a message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.system.support import run


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    import shutil

    from tests.support import REPO

    shutil.copytree(REPO / "specs", tmp_path / "specs")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RECONCILER_EMULATOR_DIR", str(tmp_path / "emulators"))
    return tmp_path


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "Missing option '--specs'"),
        (["--specs", "nothing/*.yaml"], "--specs nothing/*.yaml matches no spec file"),
        (["--specs", "specs/demo.yaml", "--apply", "sometimes"], "'sometimes' is not one of"),
        (["--specs", "specs/demo.yaml", "--interval", "soon"], "soon"),
        (["--specs", "specs/demo.yaml", "--concurrency", "0"], "--concurrency must be at least 1"),
        (["--specs", "specs/demo.yaml", "--var-file", "fi=vars/fi.yaml"], "matches none of the specs"),
    ],
)
def test_agent_mistakes_exit_1(here: Path, args: list[str], message: str) -> None:
    code, output = run("agent", *args)
    assert code == 1, output
    assert message in output
    assert "Traceback" not in output


def test_agent_once_reconciles_and_exits_0(here: Path) -> None:
    code, output = run("agent", "--specs", "specs/demo.yaml", "--once", "--apply", "auto", "--port", "0")
    assert code == 0, output
    assert "workspace demo: apply applied; drift spec" in output  # the log, one line per event
    assert "this agent runs alone" in output
    runs = (here / "state" / "demo.json.runs.jsonl").read_text().splitlines()
    assert json.loads(runs[-1])["outcome"] == "applied"


def test_approve_writes_the_approval_beside_the_plan(here: Path) -> None:
    assert run("plan", "specs/demo.yaml", "-out", "demo.plan")[0] == 0
    code, output = run("approve", "demo.plan")
    assert code == 0, output
    assert "Approved demo.plan: Plan: 2 to create, 1 to change" in output
    approval = json.loads((here / "demo.plan.approved").read_text())
    assert len(approval["plan_sha256"]) == 64


@pytest.mark.parametrize("content", [None, "not a plan"])
def test_approve_refuses_what_is_not_a_plan(here: Path, content: str | None) -> None:
    if content is not None:
        (here / "demo.plan").write_text(content)
    code, output = run("approve", "demo.plan")
    assert code == 1
    assert "demo.plan" in output and "Traceback" not in output
    assert not (here / "demo.plan.approved").exists()
