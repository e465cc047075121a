"""Two agents, one PostgreSQL database, six workspaces: each change applied once; a killed agent's taken over.

Both agents are real processes given the same six specs (Alviss projects 1/1
to 1/6 of one emulator served on loopback, each spec its own PostgreSQL
workspace).  What the platform was asked to do is counted by the emulator
itself (``/_emulator/stats``): every upload and dataset is created once per
change, whoever applied it, and killing one agent (SIGKILL) in the middle of
its applies leaves the other to finish them without sending a job twice.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.served import served_emulator
from tests.state.conftest import pg_cluster  # noqa: F401  (fixture)
from tests.state.pg_cluster import PgCluster

from .agent_support import TOKEN, AgentProcess, change_data, stats, wait_for, write_workspace

WORKSPACES = 6
INTERVAL = 3.0
CONCURRENCY = 3
#: Jobs long enough that an agent is surely in the middle of an apply when it is killed.
DURATIONS = {"upload": 2.0, "dataset": 2.0}
UPLOAD = "POST /api/v1/api/projects/{team_id}/{project_id}/datauploads"
DATASET = "POST /api/v1/api/projects/{team_id}/{project_id}/datasets"
ACTIVATE = "POST /api/v1/api/projects/{team_id}/{project_id}/datasets/{dataset_id}/activate"
#: What a seeded project holds before anything is applied to it.
SEEDED = {"upload": 2, "dataset": 1}


@pytest.fixture
def database(pg_cluster: PgCluster) -> str:  # noqa: F811
    return pg_cluster.new_database()


def _latest_runs(dsn: str, names: list[str]) -> dict[str, dict[str, Any]]:
    """Each workspace's newest run in the shared history (absent before its first)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        if conn.execute("SELECT to_regclass('reconciler_runs')").fetchone() == (None,):
            return {}
        rows = conn.execute(
            "SELECT DISTINCT ON (workspace) workspace, record FROM reconciler_runs "
            "WHERE workspace = ANY(%s) ORDER BY workspace, id DESC",
            (names,),
        ).fetchall()
    return {name: record for name, record in rows}


def _all_runs(dsn: str, names: list[str]) -> list[dict[str, Any]]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT record FROM reconciler_runs WHERE workspace = ANY(%s) ORDER BY id", (names,)
        ).fetchall()
    return [record for (record,) in rows]


def _lock_holders(dsn: str) -> dict[str, int]:
    """Workspace -> pid of the run holding its state lock (only rows whose session still holds it)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        if conn.execute("SELECT to_regclass('reconciler_locks')").fetchone() == (None,):
            return {}
        rows = conn.execute(
            "SELECT l.workspace, (l.info->>'pid')::int FROM reconciler_locks l "
            "JOIN pg_locks p ON p.pid = l.backend_pid AND p.locktype = 'advisory' AND p.granted"
        ).fetchall()
    return dict(rows)


def _converged(dsn: str, names: list[str], *, after: float = 0.0) -> bool:
    runs = _latest_runs(dsn, names)
    if len(runs) < len(names):
        return False
    return all(run["outcome"] == "in_sync" and _started(run) > after for run in runs.values())


def _started(run: dict[str, Any]) -> float:
    from datetime import datetime

    return datetime.fromisoformat(run["started_at"]).timestamp()


def _per_project(emulator: str) -> dict[int, dict[str, int]]:
    projects = stats(emulator)["projects"]
    return {n: projects.get(f"1/{n}", {}) for n in range(1, WORKSPACES + 1)}


def test_two_agents_apply_each_change_once_and_take_over_a_killed_agents_workspaces(
    tmp_path: Path, database: str
) -> None:
    tag = uuid.uuid4().hex[:8]
    names = [f"ws{n}-{tag}" for n in range(1, WORKSPACES + 1)]
    args = [
        "--specs",
        "specs/ws*.yaml",
        "--apply",
        "auto",
        "--interval",
        f"{INTERVAL:g}s",
        "--concurrency",
        str(CONCURRENCY),
    ]
    env = {"RECONCILER_PG_DSN": database, "ALVISS_TOKEN": TOKEN}
    with served_emulator("alviss", data_dir=tmp_path / "world", token=TOKEN, durations=DURATIONS) as emulator:
        for n, name in enumerate(names, start=1):
            state = f"{{backend: postgres, dsn: '${{env:RECONCILER_PG_DSN}}', workspace: {name}}}"
            write_workspace(tmp_path, n, emulator_url=emulator, state=state)
        first = AgentProcess(args, cwd=tmp_path, env=env)
        second = AgentProcess(args, cwd=tmp_path, env=env)
        try:
            # 1. Both agents converge the six workspaces: every upload and dataset made once.
            wait_for(lambda: _converged(database, names), timeout=90, what="the six workspaces to converge")
            projects = _per_project(emulator)
            for n in range(1, WORKSPACES + 1):
                assert projects[n]["upload"] == SEEDED["upload"] + 2, (n, projects[n])
                assert projects[n]["dataset"] == SEEDED["dataset"] + 1, (n, projects[n])
            requests = stats(emulator)["requests"]
            assert requests[UPLOAD] == 2 * WORKSPACES
            assert requests[DATASET] == WORKSPACES
            assert requests[ACTIVATE] == WORKSPACES
            applied_by = {
                run["agent"].split(":")[1] for run in _all_runs(database, names) if run["kind"] == "apply"
            }
            assert applied_by <= {str(first.pid), str(second.pid)}

            # 2. A change to every workspace; the first agent is killed in the middle of its applies.
            for n in range(1, WORKSPACES + 1):
                change_data(tmp_path, n, f"NOR,all,all,2026-11-23,Classic,{1000 + n},12.9")
            import time

            changed_at = time.time()
            holding = wait_for(
                lambda: [
                    ws for ws, pid in _lock_holders(database).items() if pid == first.pid and ws in names
                ],
                timeout=60,
                what="the first agent to be applying a workspace",
                every=0.05,
            )
            first.kill()
            # 3. The second agent finishes everything, within an interval or so of each workspace.
            wait_for(
                lambda: _converged(database, names, after=changed_at),
                timeout=90,
                what="the second agent to take over and converge every workspace",
            )
            projects = _per_project(emulator)
            for n in range(1, WORKSPACES + 1):
                assert projects[n]["upload"] == SEEDED["upload"] + 3, (n, projects[n], holding)
                assert projects[n]["dataset"] == SEEDED["dataset"] + 2, (n, projects[n], holding)
            # Requests are counted as they arrive, before their body is read: a POST the killed agent
            # was cut off in the middle of sending is counted and makes nothing (the objects above are
            # exact). Each of the (at most CONCURRENCY) workspaces it was applying had at most one
            # such POST in flight.
            requests = stats(emulator)["requests"]
            extra = requests[UPLOAD] - 3 * WORKSPACES, requests[DATASET] - 2 * WORKSPACES
            assert min(extra) >= 0, requests  # 2 uploads each, then the changed sales file once
            assert sum(extra) <= CONCURRENCY, (requests, holding)
            # What the killed agent held is now the second agent's: taken over, not started again.
            taken = _latest_runs(database, holding)
            assert all(run["agent"].endswith(f":{second.pid}") for run in taken.values())
            status, page = second.get("/")
            assert status == 200 and all(name in page for name in names)
            assert database not in page and TOKEN not in page
            assert (
                second.metric("reconciler_workspace_drift", workspace=names[0], **{"class": "in_sync"}) == 1
            )
            assert second.terminate() == 0, second.log()
            assert "claims released" in second.log()
        finally:
            first.kill()
            second.kill()
