"""Unwritable directories, a read-only state and a full disk: one clear error, nothing half written.

Each failure is met where it happens (the state's lock and journal, the state
document, a saved plan, an emulator's SQLite world) and must end as an
``Error:`` line saying where and what to do, exit 1, never a traceback or a
crash report, with every file either as it was or whole.  A full disk is
simulated in-process (``ENOSPC`` from the system calls that flush, and SQLite's
own page limit for the world); read-only places are real where the machine
allows it: ``chmod`` for an ordinary user, a read-only bind mount for root
(which ``chmod`` does not stop), in a private mount namespace.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.emulators import sqlite as emulator_sqlite
from tests.support import REPO

INSTANT = "upload=0,dataset=0,refit=0,build=0,attribution=0,attribution_set=0"
SPEC = "specs/demo.yaml"
#: Runs commands (argument tuples) in a directory while some directories are read-only.
Runner = Callable[..., list[tuple[int, str]]]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    (root / "specs" / "data").mkdir(parents=True)
    shutil.copy(REPO / "specs" / "demo.yaml", root / "specs" / "demo.yaml")
    shutil.copytree(REPO / "specs" / "data" / "demo", root / "specs" / "data" / "demo")
    monkeypatch.chdir(root)
    monkeypatch.delenv("RECONCILER_EMULATOR_DIR", raising=False)
    monkeypatch.setenv("RECONCILER_EMULATOR_DURATIONS", INSTANT)
    monkeypatch.setenv("RECONCILER_CRASH_DIR", str(tmp_path / "crash"))
    return root


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def _clean_error(code: int, output: str, *words: str) -> None:
    assert code == 1, output
    assert "Traceback" not in output and "unexpected internal error" not in output, output
    assert output.count("Error: ") == 1 and "hint: " in output, output
    for word in words:
        assert word in output, output


def _edit_sales(project: Path) -> None:
    """A new week's numbers: the next apply replaces the Sales upload."""
    data = project / "specs" / "data" / "demo" / "sales_w47.csv"
    data.write_text(data.read_text().replace(",4303,", ",4304,"))


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(directory)): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file() and ".reconciler" not in path.parts
    }


def _no_leftovers(directory: Path) -> None:
    assert not [path for path in directory.rglob("*.tmp")], "a temporary file was left behind"


def _full(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    """The disk is full: these ``os`` calls (the ones that push bytes to the disk) fail with ENOSPC."""

    def refuse(*_: object, **__: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    for name in names:
        monkeypatch.setattr(os, name, refuse)


def _world_full(monkeypatch: pytest.MonkeyPatch) -> None:
    """An emulator's SQLite world cannot grow by a page: SQLite's own "database or disk is full"."""
    connect = emulator_sqlite.SqliteFile._connect

    def full(self: emulator_sqlite.SqliteFile[object]) -> sqlite3.Connection:
        fresh = self._conn is None
        conn = connect(self)
        if fresh:
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
            conn.execute(f"PRAGMA max_page_count={pages}")
        return conn

    monkeypatch.setattr(emulator_sqlite.SqliteFile, "_connect", full)


def test_a_read_only_state_file_is_read_but_never_written(project: Path) -> None:
    assert _run("apply", "--auto-approve", SPEC)[0] == 0
    _edit_sales(project)
    state = project / "state" / "demo.json"
    state.chmod(0o444)
    before = _snapshot(project / "state")
    try:
        code, output = _run("plan", SPEC)
        assert code == 0 and "1 to replace" in output  # reading is fine
        assert _run("show", SPEC)[0] == 0
        for args in (("apply", "--auto-approve", SPEC), ("state", "rm", SPEC, "alviss.upload.sales_w47")):
            code, output = _run(*args)
            _clean_error(
                code, output, "is read-only (mode 0444)", f"chmod u+w {state}", "nothing was changed"
            )
        assert _snapshot(project / "state") == before
        assert not (project / "state" / "demo.json.lock").exists()
    finally:
        state.chmod(0o644)
    assert _run("apply", "--auto-approve", SPEC)[0] == 0


def test_a_full_disk_at_the_lock_changes_nothing(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _run("plan", SPEC)[0] == 0
    _full(monkeypatch, "pwrite")
    _clean_error(*_run("apply", "--auto-approve", SPEC), "cannot write lock file", "the disk is full")
    assert not (project / "state" / "demo.json").exists()
    assert not (project / "state" / "demo.json.lock").exists()


def test_a_full_disk_during_apply_keeps_every_file_whole(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The journal's first checkpoint cannot be flushed: apply stops, the state file is as it was."""
    assert _run("apply", "--auto-approve", SPEC)[0] == 0
    _edit_sales(project)
    before = _snapshot(project / "state")
    _full(monkeypatch, "fsync", "fdatasync")
    code, output = _run("apply", "--auto-approve", "--no-color", SPEC)
    assert code == 1 and "Traceback" not in output and "unexpected internal error" not in output, output
    assert "No space left on device" in output and "the disk is full: free some space" in output
    assert json.loads((project / "state" / "demo.json").read_bytes()) == json.loads(before["demo.json"])
    _no_leftovers(project)
    monkeypatch.undo()
    monkeypatch.chdir(project)
    code, output = _run("apply", "--auto-approve", "--no-color", SPEC)  # the disk has room again: it goes on
    assert code == 0, output
    assert _run("plan", SPEC)[1].startswith("No changes.")


def test_a_saved_plan_is_written_whole_or_not_at_all(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _full(monkeypatch, "fsync")
    _clean_error(
        *_run("plan", SPEC, "-out", "plans/demo.json"),
        "cannot write the plan to plans/demo.json",
        "no plan file was written",
        "the disk is full",
    )
    assert list((project / "plans").iterdir()) == []


def test_a_full_disk_under_the_emulator_world_is_rolled_back(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite cannot grow the world by a page while filling it: the fill is rolled back, the run stops."""
    world = project / "state" / ".reconciler" / "emulators" / "alviss.sqlite3"
    _world_full(monkeypatch)
    for args in (("plan", SPEC), ("apply", "--auto-approve", SPEC)):
        _clean_error(*_run(*args), f"cannot write the emulator's world in {world.parent}", "disk is full")
    assert not (project / "state" / "demo.json").exists()
    monkeypatch.undo()
    monkeypatch.chdir(project)
    with sqlite3.connect(world) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert _run("apply", "--auto-approve", SPEC)[0] == 0
    assert _run("plan", SPEC)[1].startswith("No changes.")


# Real read-only places -------------------------------------------------------------------------


def _can_mount() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "--mount", "true"], capture_output=True)
    return probe.returncode == 0


@pytest.fixture
def read_only_runner(tmp_path: Path) -> Iterator[Runner]:
    """Runs ``reconciler`` commands with some directories read-only (chmod; for root, a read-only mount)."""
    if os.geteuid() == 0 and not _can_mount():
        pytest.skip("root ignores chmod, and this machine gives no private mount namespace")

    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(REPO),
        "RECONCILER_EMULATOR_DURATIONS": INSTANT,
        "RECONCILER_CRASH_DIR": str(tmp_path / "crash"),
    }

    def run(
        read_only: list[Path],
        cwd: Path,
        *commands: tuple[str, ...],
        prelude: str = "",
        watch: Path | None = None,
    ) -> list[tuple[int, str]]:
        """The commands' exit codes and output; ``prelude`` (root: shell, in the namespace) runs first.

        With ``watch``, the files left in that directory are listed in ``listing`` afterwards
        (each JSON file: whether it parses), as seen inside the namespace.
        """
        driver = tmp_path / "driver.py"
        results = tmp_path / "results.json"
        driver.write_text(
            "import json, os, subprocess, sys\n"
            f"commands = {json.dumps([list(command) for command in commands])}\n"
            "out = []\n"
            "for command in commands:\n"
            f"    argv = [{sys.executable!r}, '-m', 'reconciler', *command]\n"
            f"    done = subprocess.run(argv, cwd={str(cwd)!r}, capture_output=True, text=True)\n"
            "    out.append((done.returncode, done.stdout + done.stderr))\n"
            f"watch = {str(watch) if watch else None!r}\n"
            "listing = {}\n"
            "for name in sorted(os.listdir(watch)) if watch else []:\n"
            "    try:\n"
            "        path = os.path.join(watch, name)\n"
            "        json.loads(open(path, 'rb').read()) if name.endswith('.json') else None\n"
            "        listing[name] = 'whole'\n"
            "    except (ValueError, OSError):\n"
            "        listing[name] = 'damaged'\n"
            f"open({str(results)!r}, 'w').write(json.dumps({{'runs': out, 'listing': listing}}))\n"
        )
        if os.geteuid() == 0:
            mounts = " && ".join(
                [
                    f"mount --bind {path} {path} && mount -o remount,ro,bind {path} {path}"
                    for path in read_only
                ]
                + ([prelude] if prelude else [])
            )
            argv = ["unshare", "--mount", "sh", "-c", f"{mounts} && {sys.executable} {driver}"]
        else:
            for path in read_only:
                path.chmod(0o555)
            argv = [sys.executable, str(driver)]
        try:
            subprocess.run(argv, env=env, check=True, timeout=600)
        finally:
            for path in read_only:
                path.chmod(0o755)
        found = json.loads(results.read_text())
        listing.clear()
        listing.update(found["listing"])
        return [(code, output) for code, output in found["runs"]]

    listing: dict[str, str] = {}
    run.listing = listing  # type: ignore[attr-defined]
    yield run


def test_plan_and_apply_from_a_directory_without_write_permission(
    project: Path, read_only_runner: Runner
) -> None:
    """The issue's case: nothing is written where the command runs, so an unwritable one is fine."""
    here = project.parent / "read-only"
    here.mkdir()
    run = read_only_runner
    plan, apply, again = run(
        [here],
        here,
        ("plan", "../project/specs/demo.yaml"),
        ("apply", "--auto-approve", "../project/specs/demo.yaml"),
        ("plan", "../project/specs/demo.yaml"),
    )
    assert plan[0] == 0 and "Plan: 2 to create" in plan[1], plan
    assert apply[0] == 0, apply
    assert again == (0, again[1]) and again[1].startswith("No changes."), again
    assert list(here.iterdir()) == []


def test_a_state_directory_without_write_permission(project: Path, read_only_runner: Runner) -> None:
    assert _run("apply", "--auto-approve", SPEC)[0] == 0
    _edit_sales(project)
    state = project / "state"
    before = _snapshot(state)
    run = read_only_runner
    results = run(
        [state],
        project,
        ("plan", SPEC),
        ("apply", "--auto-approve", SPEC),
        ("state", "rm", SPEC, "alviss.upload.sales_w47"),
        ("plan", SPEC, "-out", "state/plan.json"),
        ("show", SPEC),
    )
    (plan, apply, rm, saved, show) = results
    _clean_error(*plan, "cannot keep the alviss emulator's world in", "emulator_dir:")
    _clean_error(*apply, "cannot take lock file", "nothing was changed")
    _clean_error(*rm, "cannot take lock file", "nothing was changed")
    _clean_error(*saved, "cannot keep the alviss emulator's world in")
    assert show[0] == 0 and "alviss.upload.sales_w47 [ready]" in show[1]
    assert _snapshot(state) == before
    _no_leftovers(state)


def test_a_really_full_disk_under_the_state(project: Path, read_only_runner: Runner) -> None:
    """A 64 KiB file system for the state, one page left: the lock takes it, the first checkpoint fails."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root (in a private mount namespace)")
    spec = project / "specs" / "demo.yaml"  # the world elsewhere: only the state is on the full disk
    spec.write_text(
        spec.read_text().replace("    team: 1\n", "    team: 1\n    emulator_dir: ../worlds\n", 1)
    )
    state = project / "state"
    state.mkdir()
    fill = f"mount -t tmpfs -o size=64k tmpfs {state} && "
    fill += f"dd if=/dev/zero of={state}/fill bs=4k count=15 status=none"
    (apply, plan) = read_only_runner(
        [],
        project,
        ("apply", "--auto-approve", "--no-color", SPEC),
        ("plan", SPEC),
        prelude=fill,
        watch=state,
    )
    _clean_error(*apply, "No space left on device", "the disk is full: free some space", "emergency")
    assert plan[0] == 0 and "Plan: 2 to create" in plan[1], plan  # nothing was recorded, nothing was sent
    listing = read_only_runner.listing  # type: ignore[attr-defined]
    assert "damaged" not in listing.values(), listing
    assert not [name for name in listing if name.endswith(".tmp") or name.endswith(".lock")], listing


@pytest.mark.parametrize(
    ("raised", "world_error"),
    [
        (sqlite3.OperationalError("database or disk is full"), True),
        (OSError(errno.ENOSPC, "No space left on device"), True),
        (PermissionError(errno.EACCES, "Permission denied", "/worlds/alviss.sqlite3-wal"), True),
        (FileNotFoundError(errno.ENOENT, "No such file or directory", "/data/sales.csv"), False),
    ],
)
def test_the_in_process_wire_tells_the_world_from_other_files(raised: Exception, world_error: bool) -> None:
    """A failure of the world is an EmulatorWorldError naming it; another file's error is left as it is."""
    import asyncio

    import httpx

    from reconciler import errors
    from reconciler.emulators.transport import EmulatorTransport

    async def app(scope: object, receive: object, send: object) -> None:
        raise raised

    async def call() -> None:
        transport = EmulatorTransport(app, world=Path("/worlds"))  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://alviss.emulator") as client:
            await client.get("/datasets/active")

    with pytest.raises(errors.EmulatorWorldError if world_error else type(raised)) as caught:
        asyncio.run(call())
    if world_error:
        assert "cannot write the emulator's world in /worlds" in str(caught.value)
        assert "emulator_dir:" in str(caught.value)
