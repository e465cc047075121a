"""Helpers for the state tests: a fake clock, backend cases, and real lock-holding processes.

A backend joins the contract suite by adding a :class:`BackendCase` factory
to ``CASES``; a factory gets the test's ``tmp_path`` and a way to ask for
fixtures (the PostgreSQL case asks for the session's throwaway cluster, so
only tests that use that case start one).  Lock tests need a second, real process (``flock`` and advisory
locks are per process), so :class:`Holder` runs a tiny Python program that
builds the same backend, takes the lock and keeps it until told to let go.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.state import LocalBackend, StateBackend
from reconciler.state.postgres import PostgresBackend

from .pg_cluster import PgCluster

REPO_ROOT = Path(__file__).resolve().parents[2]
CHILD_START_TIMEOUT = 20.0


@dataclass
class FakeClock:
    """A clock that only moves when the code under test sleeps."""

    now: float = 1_700_000_000.0
    sleeps: list[float] = field(default_factory=list)
    on_sleep: Callable[[], None] | None = None

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        if self.on_sleep is not None:
            self.on_sleep()


@dataclass
class BackendCase:
    """How to build one backend kind on one store, here and in a child process."""

    name: str
    make: Callable[..., StateBackend]
    # Python source that defines `backend` on the same store, run in a child process.
    child_setup: str


def local_setup(path: Path) -> str:
    """Child-process source building a local backend on ``path``."""
    setup = f"""
        from pathlib import Path
        from reconciler.state.local import LocalBackend
        backend = LocalBackend(Path({str(path)!r}))
    """
    return textwrap.dedent(setup)


def _local_case(tmp_path: Path, fixture: Callable[[str], Any]) -> BackendCase:
    # A directory that does not exist yet: backends must create it.
    path = tmp_path / "nested" / "state" / "demo.json"

    def make(**kwargs: Any) -> StateBackend:
        return LocalBackend(path, **kwargs)

    return BackendCase("local", make, local_setup(path))


def postgres_setup(dsn: str, workspace: str) -> str:
    """Child-process source building a PostgreSQL backend on ``workspace``."""
    setup = f"""
        from reconciler.state.postgres import PostgresBackend
        backend = PostgresBackend({dsn!r}, workspace={workspace!r})
    """
    return textwrap.dedent(setup)


def fresh_workspace() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


def _postgres_case(tmp_path: Path, fixture: Callable[[str], Any]) -> BackendCase:
    cluster: PgCluster = fixture("pg_cluster")
    # One cluster for the session; a workspace of its own for every test.
    workspace = fresh_workspace()

    def make(**kwargs: Any) -> StateBackend:
        return PostgresBackend(cluster.dsn, workspace=workspace, **kwargs)

    return BackendCase("postgres", make, postgres_setup(cluster.dsn, workspace))


CASES: dict[str, Callable[[Path, Callable[[str], Any]], BackendCase]] = {
    "local": _local_case,
    "postgres": _postgres_case,
}


def run_child(setup: str, body: str, *args: str) -> subprocess.Popen[str]:
    source = setup + "\n" + textwrap.dedent(body)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", source, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO_ROOT,
    )


HOLDER_BODY = """
    import dataclasses, json, sys
    with backend.lock(operation=sys.argv[1]) as info:
        print(json.dumps(dataclasses.asdict(info)), flush=True)
        sys.stdin.readline()
    print("released", flush=True)
"""


class Holder:
    """A separate process holding the state lock until released or killed."""

    def __init__(self, setup: str, operation: str) -> None:
        self.process = run_child(setup, HOLDER_BODY, operation)
        self.info: dict[str, Any] = json.loads(self._line())

    def _line(self) -> str:
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], CHILD_START_TIMEOUT)
        line = self.process.stdout.readline() if ready else ""
        if not line:
            self.process.kill()
            _, stderr = self.process.communicate()
            raise AssertionError(f"holder process said nothing; stderr:\n{stderr}")
        return line

    def release(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("\n")
        self.process.stdin.flush()
        assert self._line().strip() == "released"
        self.process.communicate(timeout=CHILD_START_TIMEOUT)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.communicate(timeout=CHILD_START_TIMEOUT)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        if self.process.stdout is not None and not self.process.stdout.closed:
            self.process.communicate(timeout=CHILD_START_TIMEOUT)
