"""Apply progress: live lines in a terminal, clean timestamped lines anywhere else."""

from __future__ import annotations

import fcntl
import io
import os
import pty
import select
import shutil
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
from rich.console import Console

from reconciler.engine.executor import Event
from reconciler.render.progress import LiveProgress, duration, progress_view, wants_color
from reconciler.vocabulary import Action
from tests.support import REPO

DURATIONS = "upload=0.1,dataset=0.1,refit=0.1,build=0.1,attribution=0.1,attribution_set=0.1"
DRIVER = """
import asyncio, sys
from reconciler import Workspace
from reconciler.render.progress import progress_view
with progress_view(stream=sys.stdout) as on_event:
    result = asyncio.run(Workspace(sys.argv[1]).apply(on_event=on_event))
print("Apply finished:", result.report.count("done"), "done")
"""


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def text_of(console: Console, renderable: object) -> str:
    with console.capture() as captured:
        console.print(renderable)
    return captured.get()


def test_the_live_view_shows_status_word_elapsed_estimate_and_a_summary() -> None:
    clock = Clock()
    console = Console(file=io.StringIO(), width=100, color_system=None)
    view = LiveProgress(console, clock=clock)
    view(Event("start", "alviss.refit.se", Action.CREATE))
    view(Event("start", "alviss.upload.no", Action.CREATE))
    clock.now += 75
    view(Event("status", "alviss.refit.se", Action.CREATE, word="training", estimate_seconds=600))
    clock.now += 60
    shown = text_of(console, view)
    assert "alviss.refit.se" in shown and "training" in shown
    assert "2m15s" in shown and "~9m00s left" in shown
    assert "2 running, 0 done, 0 failed" in shown
    view(Event("done", "alviss.upload.no", Action.CREATE, "upload_id=3"))
    shown = text_of(console, view)
    assert "alviss.upload.no" not in shown and "1 running, 1 done" in shown
    printed = console.file.getvalue()  # type: ignore[attr-defined]
    assert "alviss.upload.no done in 2m15s  upload_id=3" in printed


def test_durations_are_short() -> None:
    assert [duration(s) for s in (0, 42, 185, 3725)] == ["0s", "42s", "3m05s", "1h02m"]


def test_without_a_terminal_each_event_is_one_plain_line() -> None:
    stream = io.StringIO()
    with progress_view(stream=stream, color=True) as on_event:
        on_event(Event("start", "alviss.upload.s", Action.CREATE))
        on_event(Event("status", "alviss.upload.s", Action.CREATE, word="processing"))
    lines = stream.getvalue().splitlines()
    assert [line[9:] for line in lines] == ["alviss.upload.s: create started", "alviss.upload.s: processing"]
    assert "\x1b" not in stream.getvalue()


@pytest.mark.parametrize(
    ("environ", "color", "tty", "expected"),
    [
        ({}, None, True, True),
        ({}, None, False, False),
        ({"NO_COLOR": "1"}, None, True, False),
        ({"NO_COLOR": "1"}, True, True, False),
        ({}, False, True, False),
        ({}, True, False, True),
    ],
)
def test_colour_follows_no_color_the_option_and_the_terminal(
    environ: dict[str, str], color: bool | None, tty: bool, expected: bool
) -> None:
    stream = io.StringIO()
    stream.isatty = lambda: tty  # type: ignore[method-assign]
    assert wants_color(stream, color, environ) is expected


@pytest.fixture
def copy(tmp_path: Path) -> dict[str, str]:
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    return {
        **os.environ,
        "RECONCILER_EMULATOR_DIR": str(tmp_path / "emulators"),
        "RECONCILER_EMULATOR_DURATIONS": DURATIONS,
        "TERM": "xterm-256color",
        "COLUMNS": "120",
        "PYTHONPATH": str(REPO),
    }


def in_pty(command: list[str], *, env: dict[str, str], cwd: Path, timeout: float = 30) -> tuple[int, str]:
    """Run ``command`` on a pseudo-terminal; its exit code and everything it wrote."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    process = subprocess.Popen(command, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd)
    os.close(slave)
    output = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            output += data
        elif process.poll() is not None:
            break
    os.close(master)
    return process.wait(timeout=5), output.decode("utf-8", errors="replace")


def apply_command(*, cli: bool) -> list[str]:
    if cli:
        return [sys.executable, "-m", "reconciler", "apply", "specs/weekly-refresh.yaml", "--auto-approve"]
    return [sys.executable, "-c", DRIVER, "specs/weekly-refresh.yaml"]


def cli_is_wired() -> bool:
    return "progress_view" in (REPO / "reconciler" / "cli" / "core.py").read_text()


@pytest.mark.parametrize("cli", [False, True], ids=["workspace", "cli"])
def test_an_apply_in_a_terminal_shows_live_per_job_lines(
    cli: bool, copy: dict[str, str], tmp_path: Path
) -> None:
    if cli and not cli_is_wired():
        pytest.skip("reconciler/cli/core.py does not use progress_view yet")
    code, output = in_pty(apply_command(cli=cli), env=copy, cwd=tmp_path)
    assert code == 0, output
    assert "\x1b[" in output and "\x1b[2K" in output  # redrawn in place
    assert "running, " in output and " done, 0 failed" in output  # the summary line
    for address in (
        "module.market[se].alviss.upload.sales",
        "module.market[no].alviss.refit.weekly",
        "module.market[se].alviss.active_attribution_set.main",
    ):
        assert f"{address}\x1b[0m" in output  # a live line per job, the address in bold
    assert "done in" in output  # finished jobs scroll above


def test_the_same_apply_piped_to_a_file_has_no_control_characters(
    copy: dict[str, str], tmp_path: Path
) -> None:
    log = tmp_path / "apply.log"
    with log.open("w") as out:
        done = subprocess.run(
            apply_command(cli=True), stdout=out, stderr=subprocess.STDOUT, env=copy, cwd=tmp_path
        )
    text = log.read_text()
    assert done.returncode == 0, text
    assert "\x1b" not in text and "\r" not in text
    assert "module.market[se].alviss.refit.weekly: done (model_id=" in text
