"""Messages that tell a user what to do next: each command they print is run, as printed.

The lock hint's ``force-unlock``, ``init``'s next steps and the targeting
warning's ``plan`` are taken out of the output and executed through a shell,
from the directory the first command ran in, with the spec path as the user
gave it (spaces included).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.state.local import LocalBackend
from tests.workflow.support import REPO

from ..team.support import INSTANT

SPEC = "specs/my demo.yaml"  # a space: the printed commands must quote it
SALES, MEDIA, ACTIVE = "alviss.upload.sales_w47", "alviss.upload.media_w47", "alviss.active_dataset.main"


def shell(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``command`` pasted into a shell in ``cwd``, with this checkout's reconciler first on PATH."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(
        ["sh", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def quoted_commands(text: str) -> list[str]:
    """The commands a message shows between backquotes."""
    return re.findall(r"`(reconciler [^`]*)`", text)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the example specs, the demo renamed to a path with a space, and its state applied."""
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    (tmp_path / "specs" / "demo.yaml").rename(tmp_path / SPEC)
    monkeypatch.setenv("RECONCILER_EMULATOR_DIR", str(tmp_path / "emulators"))
    monkeypatch.setenv("RECONCILER_EMULATOR_DURATIONS", INSTANT)
    applied = shell(f"reconciler apply '{SPEC}' --auto-approve", tmp_path)
    assert applied.returncode == 0, applied.stderr
    return tmp_path


# --- the lock hint ------------------------------------------------------------------------------


def test_the_lock_hint_prints_a_force_unlock_that_works_as_printed(project: Path) -> None:
    backend = LocalBackend(project / "state" / "demo.json")
    with backend.lock(operation="apply") as info:
        refused = shell(f"reconciler state rm '{SPEC}' {SALES}", project)
        assert refused.returncode == 1
        assert "Traceback" not in refused.stderr
        [command] = quoted_commands(refused.stderr)
        assert command == f"reconciler force-unlock '{SPEC}' {info.id}"

        # The same hint from apply, and from force-unlock given a wrong id.
        for refused_too in (
            shell(f"reconciler apply '{SPEC}' --auto-approve", project),
            shell(f"reconciler force-unlock '{SPEC}' not-the-id", project),
        ):
            assert refused_too.returncode == 1
            assert quoted_commands(refused_too.stderr) == [command]

        unlocked = shell(command, project)
        assert unlocked.returncode == 0, unlocked.stderr
        assert f"Lock {info.id} removed." in unlocked.stdout
    assert shell(f"reconciler state rm '{SPEC}' {SALES}", project).returncode == 0


# --- state list and show ------------------------------------------------------------------------


def test_state_list_and_show_are_sorted_by_address(project: Path) -> None:
    listed = shell(f"reconciler state list '{SPEC}'", project)
    assert listed.returncode == 0, listed.stderr
    addresses = [line.split("\t")[0] for line in listed.stdout.splitlines()]
    assert addresses == sorted([SALES, MEDIA, ACTIVE])

    shown = shell(f"reconciler show '{SPEC}'", project)
    assert shown.returncode == 0, shown.stderr
    addresses = [line.split()[0] for line in shown.stdout.splitlines() if line.startswith("  ")]
    assert addresses == sorted([SALES, MEDIA, ACTIVE])
