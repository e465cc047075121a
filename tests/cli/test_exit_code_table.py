"""Every command, driven with Terraform's spellings, exits with a code of the one table.

0 success; 1 any error, usage errors included; 2 only "changes present"
(``plan -detailed-exitcode``) and "spec not applied" (``drift``); 3 drift;
4 jobs still running (``drift``); 130 interrupted.  No other code.

One scenario on a copy of the demo runs every command the group has (checked
against the group itself, so a new command must join it) with the spellings a
Terraform user types: ``-auto-approve``, ``-detailed-exitcode``, ``-out=FILE``,
``-target=ADDR``, ``-replace=ADDR``, ``-lock-timeout=30s``, ``-no-color``,
``-json`` (where the command has ``--format json``).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.workflow import Settings
from tests.support import REPO, Demo

SPEC = "specs/demo.yaml"
INSTANT = "upload=0,dataset=0,refit=0,build=0,attribution=0,attribution_set=0"
TABLE = {0, 1, 2, 3, 4, 130}
SALES, MEDIA = "alviss.upload.sales_w47", "alviss.upload.media_w47"


def leaves(group: click.Group = main, path: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    found: set[tuple[str, ...]] = set()
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found |= leaves(command, (*path, name))
        else:
            found.add((*path, name))
    return found


def offers_json(*words: str) -> bool:
    command: click.Command = main
    for word in words:
        assert isinstance(command, click.Group)
        command = command.commands[word]
    option = next((p for p in command.params if isinstance(p, click.Option) and "--format" in p.opts), None)
    return option is not None and isinstance(option.type, click.Choice) and "json" in option.type.choices


class Driver:
    """Runs ``reconciler ARGS`` in-process and keeps every (command, spellings, exit code) it saw."""

    def __init__(self) -> None:
        self.ran: list[tuple[tuple[str, ...], int]] = []

    def __call__(self, *args: str, code: int) -> str:
        result = CliRunner().invoke(main, list(args), prog_name="reconciler")
        assert result.exit_code == code, f"reconciler {' '.join(args)}\n{result.output}"
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        assert "Traceback" not in result.output
        self.ran.append((args, result.exit_code))
        return result.output

    def commands(self) -> set[tuple[str, ...]]:
        every = leaves()
        return {words for args, _ in self.ran for words in every if tuple(args[: len(words)]) == words}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RECONCILER_EMULATOR_DIR", str(tmp_path / "emulators"))
    monkeypatch.setenv("RECONCILER_EMULATOR_DURATIONS", INSTANT)
    return tmp_path


def outsider(project: Path) -> Demo:
    return Demo(root=project, settings=Settings(emulator_dir=project / "emulators"))


def test_every_command_with_terraforms_spellings_exits_by_the_table(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = Driver()

    # the spec, read offline
    run("validate", "-no-color", SPEC, code=0)
    if offers_json("validate"):
        assert json.loads(run("validate", "-json", SPEC, code=0))["valid"] is True
        assert json.loads(run("validate", "-json", "specs/nope.yaml", code=1))["valid"] is False
    run("graph", "-format=mermaid", SPEC, code=0)
    run("schema", "-output=schema.json", code=0)
    assert json.loads((project / "schema.json").read_text())["type"] == "object"
    run("init", "-platform=akkio", "-state=local", "fresh", code=0)
    assert (project / "fresh" / "spec.yaml").is_file()
    run("fmt", "-check", "-recursive", "specs", code=0)  # 1 only when a file is not in the layout

    # plan: 2 only for changes under -detailed-exitcode
    assert "Plan: 2 to create" in run("plan", "-detailed-exitcode", "-no-color", SPEC, code=2)
    assert json.loads(run("plan", "-json", SPEC, code=0))["summary"]["create"] == 2
    run("plan", "-out=first.plan", f"-target={SALES}", SPEC, code=0)
    assert (project / "first.plan").is_file()
    if offers_json("show"):  # Terraform's `show -json PLANFILE`
        assert json.loads(run("show", "-json", "first.plan", code=0))["summary"]["create"] == 1

    # apply: a saved plan, then the rest with -auto-approve and JSON events
    run("apply", "-lock-timeout=30s", "-no-color", "first.plan", code=0)
    events = run("apply", "-auto-approve", "-json", "-lock-timeout=1m", SPEC, code=0).splitlines()
    assert json.loads(events[-1])["type"] == "summary"
    assert run("plan", "-detailed-exitcode", SPEC, code=0).startswith("No changes.")
    assert "In sync" in run("drift", "-no-color", SPEC, code=0)
    run("plan", f"-replace={SALES}", "-detailed-exitcode", SPEC, code=2)

    # the state
    if offers_json("show"):
        json.loads(run("show", "-json", SPEC, code=0))
    else:
        assert MEDIA in run("show", "-no-color", SPEC, code=0)
    assert MEDIA in run("state", "list", "-no-color", SPEC, code=0)
    media_id = json.loads(run("state", "show", "-no-color", SPEC, MEDIA, code=0))[MEDIA]["outputs"][
        "upload_id"
    ]
    run("state", "mv", "-lock-timeout=5s", SPEC, MEDIA, "alviss.upload.media", code=0)
    run("state", "mv", "-lock-timeout=5s", SPEC, "alviss.upload.media", MEDIA, code=0)
    run("state", "rm", "-lock-timeout=5s", SPEC, MEDIA, code=0)
    run("import", "-lock-timeout=5s", SPEC, MEDIA, str(media_id), code=0)
    moved = project / "specs" / "moved.yaml"
    moved.write_text((project / SPEC).read_text().replace("../state/demo.json", "../state/moved.json"))
    run("state", "migrate", "-to-spec=specs/moved.yaml", "-lock-timeout=5s", SPEC, code=0)
    assert "serial" in (project / "state" / "moved.json").read_text()
    run("force-unlock", "-no-color", SPEC, "no-such-lock", code=1)  # nothing is locked: an error
    assert json.loads(run("output", "-json", SPEC, code=0)) == {}  # the demo declares no outputs
    run("output", "no_such_output", SPEC, code=1)

    # the agent: one cycle of the spec; a saved plan approved for it
    run("agent", f"-specs={SPEC}", "-once", "-apply=never", "-interval=1m", "-port=0", code=0)
    run("agent", "-specs=nothing/*.yaml", code=1)
    run("plan", "-out=approve.plan", "-no-color", SPEC, code=0)
    run("approve", "approve.plan", code=0)
    run("approve", "missing.plan", code=1)

    # drift's codes: 3 changed outside, 2 spec not applied (3 wins over 2)
    asyncio.run(outsider(project).call("POST", "/datasets/1/activate"))
    assert "live state changed outside reconciler" in run("drift", "-no-color", SPEC, code=3)
    run("apply", "-auto-approve", SPEC, code=0)
    data = project / "specs" / "data" / "demo" / "media_w47.csv"
    data.write_text(data.read_text() + data.read_text().splitlines()[-1] + "\n")
    assert "spec changes not yet applied" in run("drift", SPEC, code=2)

    # 4: jobs still running, after a detached apply
    monkeypatch.setenv("RECONCILER_EMULATOR_DURATIONS", "upload=3600,dataset=3600")
    run("apply", "-auto-approve", "-detach", SPEC, code=0)
    assert "jobs still running" in run("drift", "-no-color", SPEC, code=4)
    assert "demo: running;" in run("report", "-html=status.html", "-refresh=0", SPEC, code=0)
    run("report", "-html=status.html", "specs/nope.yaml", code=1)  # the page is written, showing the error

    # 1: usage errors and errors, never 2
    run("plan", "-no-such-flag", SPEC, code=1)
    run("plan", code=1)
    run("apply", "-lock-timeout=soon", SPEC, code=1)
    run("graph", "-json", SPEC, code=1)
    run("plan", "specs/nope.yaml", code=1)
    run("emulator", "serve", "-variant=partial", "-port=0", "alviss", code=1)
    run("emulator", "serve", "-help", code=0)
    run("-version", code=0)

    untouched = leaves() - run.commands()
    assert not untouched, f"commands the scenario does not drive: {sorted(untouched)}"
    assert {code for _, code in run.ran} <= TABLE
    assert {args[0] for args, code in run.ran if code == 2} <= {"plan", "drift"}
    assert all("-detailed-exitcode" in args for args, code in run.ran if code == 2 and args[0] == "plan")


def test_an_interrupted_apply_exits_130(project: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("RECONCILER_")}
    env.update(
        PYTHONPATH=str(REPO),
        RECONCILER_EMULATOR_DIR=str(project / "emulators"),
        RECONCILER_EMULATOR_DURATIONS="upload=3600,dataset=3600",
    )
    command = [
        sys.executable,
        "-m",
        "reconciler",
        "apply",
        "-auto-approve",
        "-lock-timeout=10s",
        "-no-color",
        SPEC,
    ]
    process = subprocess.Popen(
        command, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    state = project / "state" / "demo.json"
    deadline = time.monotonic() + 60
    while not (state.exists() and '"job_id"' in state.read_text()):
        assert process.poll() is None and time.monotonic() < deadline, "no job was submitted"
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    output, problems = process.communicate(timeout=30)
    assert process.returncode == 130, output + problems
    assert "Interrupted." in problems and "Traceback" not in problems
