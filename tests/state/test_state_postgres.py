"""What only the PostgreSQL backend promises: history, CAS writes, session locks, schema races, no DSN leaks.

The shared contract (documents, serials, lineage, locking against a second
process) runs against this backend through ``test_state_contract.py``,
``test_state_locking.py`` and ``test_state_concurrency.py``; these tests cover
what a database adds.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from reconciler import errors
from reconciler.state import LockInfo, ResourceState, StateDocument, pg_lock, pg_schema
from reconciler.state.postgres import PostgresBackend

from .pg_cluster import PgCluster
from .support import CHILD_START_TIMEOUT, FakeClock, Holder, fresh_workspace, postgres_setup, run_child

Spawn = Callable[[str, str], Holder]
CANARY = "Canary-Pa55word-7f3e"


@pytest.fixture
def workspace() -> str:
    return fresh_workspace()


@pytest.fixture
def make(pg_cluster: PgCluster, workspace: str) -> Iterator[Callable[..., PostgresBackend]]:
    made: list[PostgresBackend] = []

    def make(**kwargs: Any) -> PostgresBackend:
        backend = PostgresBackend(pg_cluster.dsn, workspace=workspace, **kwargs)
        made.append(backend)
        return backend

    yield make
    for backend in made:
        backend.close()


@pytest.fixture
def backend(make: Callable[..., PostgresBackend]) -> PostgresBackend:
    return make()


@pytest.fixture
def setup(pg_cluster: PgCluster, workspace: str) -> str:
    return postgres_setup(pg_cluster.dsn, workspace)


@pytest.fixture(autouse=True)
def cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Emergency copies land in the working directory: keep them inside the test's own directory."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _sql(dsn: str, query: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        cursor = conn.execute(query, params)
        return cursor.fetchall() if cursor.description else []


def _add(document: StateDocument, address: str) -> StateDocument:
    document.resources[address] = ResourceState(type="alviss.upload", provider="alviss", outputs={"id": 7})
    return document


# -- naming and secrets ----------------------------------------------------------------------------


def test_describe_names_the_workspace_and_never_the_dsn() -> None:
    backend = PostgresBackend(f"postgresql://ops:{CANARY}@db.example:5432/state", workspace="demo")

    assert backend.describe() == "PostgreSQL workspace demo"
    assert CANARY not in repr(backend)


def test_the_lock_key_is_a_stable_64_bit_digest_of_the_workspace() -> None:
    # Fixed forever: processes of different versions must agree on it.
    assert pg_schema.workspace_key("demo") == -3997292265902715833
    assert pg_schema.workspace_key("demo") != pg_schema.workspace_key("demo2")
    assert pg_schema.key_halves(-1) == {"high": 0xFFFF_FFFF, "low": 0xFFFF_FFFF}


def test_a_dsn_that_does_not_parse_is_refused_without_quoting_it() -> None:
    with pytest.raises(errors.StateError) as caught:
        PostgresBackend(f"host=db password={CANARY} port=notaport oops {CANARY}x", workspace="demo")

    assert CANARY not in str(caught.value)
    assert caught.value.__cause__ is None
    assert "workspace demo" in caught.value.message


def test_an_unreachable_server_never_shows_the_password(cwd: Path, caplog: pytest.LogCaptureFixture) -> None:
    # Port 1 on the loopback: closed, so every call fails at once.
    backend = PostgresBackend(f"postgresql://ops:{CANARY}@127.0.0.1:1/state", workspace="demo")
    failures: list[errors.StateError] = []

    for call in (
        backend.read,
        lambda: backend.force_unlock("x"),
        lambda: backend.lock(operation="apply").__enter__(),
    ):
        with pytest.raises(errors.StateError) as caught:
            call()
        failures.append(caught.value)
    with pytest.raises(errors.StateWriteFailed) as caught_write:
        backend.write(_add(StateDocument(), "alviss.upload.a"))
    failures.append(caught_write.value)

    for failure in failures:
        assert "PostgreSQL workspace demo" in failure.message
        assert CANARY not in str(failure)
        assert isinstance(failure.__cause__, psycopg.Error)
    assert all(CANARY not in record.getMessage() for record in caplog.records)
    emergency = caught_write.value.emergency_path
    assert emergency is not None
    assert Path(emergency).parent == cwd
    saved = StateDocument.model_validate_json(Path(emergency).read_bytes())
    assert (saved.serial, list(saved.resources)) == (1, ["alviss.upload.a"])
    assert CANARY not in Path(emergency).read_text()


# -- documents -------------------------------------------------------------------------------------


def test_every_stored_version_is_kept_in_history(
    backend: PostgresBackend, pg_cluster: PgCluster, workspace: str
) -> None:
    first = backend.write(_add(backend.read(), "alviss.upload.a"))
    backend.write(first)  # unchanged: neither stored nor recorded
    second = backend.write(_add(first.model_copy(deep=True), "alviss.upload.b"))

    rows = _sql(
        pg_cluster.dsn,
        "SELECT serial, lineage, document::text FROM reconciler_state_history "
        "WHERE workspace = %s ORDER BY serial",
        workspace,
    )
    assert [(serial, lineage) for serial, lineage, _ in rows] == [(1, first.lineage), (2, first.lineage)]
    assert [StateDocument.model_validate_json(text) for _, _, text in rows] == [first, second]
    assert _sql(pg_cluster.dsn, "SELECT serial FROM reconciler_state WHERE workspace = %s", workspace) == [
        (2,)
    ]


@pytest.mark.parametrize("existing", [True, False], ids=["update", "insert"])
def test_a_write_racing_another_is_refused_by_compare_and_swap(
    make: Callable[..., PostgresBackend], existing: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine, theirs = make(), make()
    if existing:
        mine.write(_add(mine.read(), "alviss.upload.base"))
    my_document = _add(mine.read(), "alviss.upload.mine")
    their_document = _add(my_document.model_copy(deep=True), "alviss.upload.theirs")
    del their_document.resources["alviss.upload.mine"]
    real_stored = PostgresBackend._stored

    def read_then_let_the_other_run_write(self: PostgresBackend, conn: psycopg.Connection[Any]) -> Any:
        # Between this write's read and its update, another run stores its own change.
        stored = real_stored(self, conn)
        monkeypatch.setattr(PostgresBackend, "_stored", real_stored)
        theirs.write(their_document)
        return stored

    monkeypatch.setattr(PostgresBackend, "_stored", read_then_let_the_other_run_write)

    with pytest.raises(errors.StateError, match="another run") as caught:
        mine.write(my_document)

    expected = "(serial 2, expected 1)" if existing else "(serial 1, expected no state yet)"
    assert expected in caught.value.message
    assert "plan again" in caught.value.message
    stored = make().read()
    assert "alviss.upload.theirs" in stored.resources
    assert "alviss.upload.mine" not in stored.resources


def test_a_stored_document_of_another_format_is_corrupt_and_points_at_history(
    backend: PostgresBackend, pg_cluster: PgCluster, workspace: str
) -> None:
    backend.write(_add(backend.read(), "alviss.upload.a"))
    _sql(
        pg_cluster.dsn,
        "UPDATE reconciler_state SET document = %s WHERE workspace = %s",
        json.dumps({"format_version": 2}),
        workspace,
    )

    with pytest.raises(errors.StateCorrupt, match="format_version 2") as caught:
        backend.read()

    assert caught.value.hint is not None
    assert "reconciler_state_history" in caught.value.hint


def test_a_data_connection_ended_by_the_server_is_opened_again(pg_cluster: PgCluster) -> None:
    dsn = pg_cluster.new_database()
    backend = PostgresBackend(dsn, workspace="demo")
    stored = backend.write(_add(backend.read(), "alviss.upload.a"))
    ended = _sql(
        dsn,
        "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
        "WHERE datname = current_database() AND application_name = 'reconciler'",
    )

    assert ended == [(True,)]
    assert backend.write(_add(stored, "alviss.upload.b")).serial == 2
    assert backend.read().serial == 2
    backend.close()


# -- the schema ------------------------------------------------------------------------------------

FIRST_USE_BODY = """
    import sys
    from reconciler.state import ResourceState
    print("ready", flush=True)
    sys.stdin.readline()
    backend.read()  # the first use: every child creates the schema at the same moment
    with backend.lock(operation="apply", timeout=10.0):
        document = backend.read()
        document.resources["test.item." + sys.argv[1]] = ResourceState(type="test.item", provider="test")
        backend.write(document)
"""
CHILDREN = 3


def test_many_processes_creating_the_schema_at_once_all_succeed(pg_cluster: PgCluster) -> None:
    dsn = pg_cluster.new_database()
    setup = postgres_setup(dsn, "race")
    children = [run_child(setup, FIRST_USE_BODY, str(n)) for n in range(CHILDREN)]
    try:
        for child in children:
            assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        for child in children:
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
    finally:
        outcomes = [child.communicate(timeout=CHILD_START_TIMEOUT) for child in children]

    assert [child.returncode for child in children] == [0] * CHILDREN, [err for _, err in outcomes]
    tables = _sql(dsn, "SELECT tablename FROM pg_tables WHERE tablename LIKE 'reconciler%%' ORDER BY 1")
    names = ["reconciler_locks", "reconciler_runs", "reconciler_state", "reconciler_state_history"]
    assert tables == [(name,) for name in names]
    final = PostgresBackend(dsn, workspace="race")
    assert sorted(final.read().resources) == [f"test.item.{n}" for n in range(CHILDREN)]
    final.close()


# -- the lock --------------------------------------------------------------------------------------

CONTENDER_BODY = """
    import sys, time
    from reconciler import errors
    print("trying", flush=True)
    started = time.monotonic()
    try:
        with backend.lock(operation="apply", timeout=float(sys.argv[1])) as info:
            print(f"acquired {time.monotonic() - started:.3f}", flush=True)
    except errors.StateLocked as exc:
        print(f"refused {time.monotonic() - started:.3f}", flush=True)
        print(str(exc), file=sys.stderr)
        sys.exit(3)
"""


def test_of_three_processes_one_holds_one_fails_fast_naming_it_and_one_waits_then_proceeds(
    setup: str, holders: Spawn
) -> None:
    holder = holders(setup, "apply")
    impatient = run_child(setup, CONTENDER_BODY, "0")
    patient = run_child(setup, CONTENDER_BODY, "30")
    try:
        out, err = impatient.communicate(timeout=CHILD_START_TIMEOUT)
        assert impatient.returncode == 3, err
        assert float(out.split()[-1]) < 1.0
        assert f"pid {holder.info['pid']}" in err
        assert f"reconciler force-unlock SPEC {holder.info['id']}" in err

        assert patient.stdout is not None
        assert patient.stdout.readline().strip() == "trying"
        time.sleep(0.3)  # a real process polling a real lock: let it be refused a few times
        assert patient.poll() is None
        holder.release()
        out, err = patient.communicate(timeout=CHILD_START_TIMEOUT)
    finally:
        for child in (impatient, patient):
            if child.poll() is None:
                child.kill()
                child.communicate()

    assert patient.returncode == 0, err
    assert out.startswith("acquired")
    assert float(out.split()[-1]) >= 0.3


def test_the_next_holder_replaces_a_killed_holders_record(
    backend: PostgresBackend, setup: str, holders: Spawn, pg_cluster: PgCluster, workspace: str
) -> None:
    holder = holders(setup, "apply")
    holder.kill()

    with backend.lock(operation="plan") as info:
        rows = _sql(pg_cluster.dsn, "SELECT info FROM reconciler_locks WHERE workspace = %s", workspace)
        assert [row[0]["id"] for row in rows] == [info.id]
        with pytest.raises(errors.StateError, match=info.id):
            backend.force_unlock(holder.info["id"])

    assert _sql(pg_cluster.dsn, "SELECT info FROM reconciler_locks WHERE workspace = %s", workspace) == []


def test_force_unlock_of_a_live_holder_ends_its_session(
    backend: PostgresBackend, setup: str, holders: Spawn, caplog: pytest.LogCaptureFixture
) -> None:
    holder = holders(setup, "apply")

    with caplog.at_level(logging.WARNING, logger="reconciler.state.pg_lock"):
        backend.force_unlock(holder.info["id"])

    assert "no longer protected" in caplog.text
    assert holder.info["id"] in caplog.text
    with backend.lock(operation="plan"):
        pass
    # The holder's own release finds its session gone and still ends cleanly.
    holder.release()
    assert holder.process.returncode == 0


def test_force_unlock_of_a_dead_holder_removes_its_record_quietly(
    backend: PostgresBackend,
    setup: str,
    holders: Spawn,
    pg_cluster: PgCluster,
    caplog: pytest.LogCaptureFixture,
) -> None:
    holder = holders(setup, "apply")
    holder.kill()
    _wait_until_nobody_holds(pg_cluster.dsn, backend.workspace)

    with caplog.at_level(logging.WARNING, logger="reconciler.state.pg_lock"):
        backend.force_unlock(holder.info["id"])

    assert caplog.records == []
    with pytest.raises(errors.StateError, match="not locked"):
        backend.force_unlock(holder.info["id"])


def _wait_until_nobody_holds(dsn: str, workspace: str) -> None:
    """The server ends a killed client's session a moment after the kill; wait for that moment."""
    deadline = time.monotonic() + 5.0
    halves = pg_schema.key_halves(pg_schema.workspace_key(workspace))
    while _sql(
        dsn, pg_schema.HOLDERS_SQL.replace("%(high)s", "%s").replace("%(low)s", "%s"), *halves.values()
    ):
        assert time.monotonic() < deadline, "the killed holder's session did not end"
        time.sleep(0.01)


def _hold_as(dsn: str, workspace: str, info: LockInfo | None) -> psycopg.Connection[Any]:
    """A session holding the workspace lock, recorded as ``info`` (or with a record of no session)."""
    conn = psycopg.connect(dsn, autocommit=True)
    conn.execute("SELECT pg_advisory_lock(%s)", (pg_schema.workspace_key(workspace),))
    if info is not None:
        conn.execute(
            "INSERT INTO reconciler_locks (workspace, info, backend_pid) VALUES (%s, %s, pg_backend_pid())",
            (workspace, Jsonb(info.to_dict())),
        )
    return conn


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_holder_that_died_on_this_host_is_waited_for_until_its_session_ends(
    make: Callable[..., PostgresBackend], pg_cluster: PgCluster, workspace: str
) -> None:
    clock = FakeClock()
    backend = make(clock=clock, sleep=clock.sleep)
    backend.read()  # the tables exist before the simulated holder writes its record
    dead = dataclasses.replace(LockInfo.create("apply", path="x", clock=clock), pid=_dead_pid())
    session = _hold_as(pg_cluster.dsn, workspace, dead)
    key = pg_schema.workspace_key(workspace)
    # The server has not yet noticed the death; it ends the session during the third poll.
    clock.on_sleep = lambda: (
        len(clock.sleeps) == 3 and session.execute("SELECT pg_advisory_unlock(%s)", (key,))
    )

    with backend.lock(operation="plan") as info:
        assert info.pid == os.getpid()

    session.close()
    assert len(clock.sleeps) == 3
    assert sum(clock.sleeps) < pg_lock.DEAD_HOLDER_GRACE


def test_the_wait_for_a_dead_holders_session_is_bounded(
    make: Callable[..., PostgresBackend], pg_cluster: PgCluster, workspace: str
) -> None:
    clock = FakeClock()
    backend = make(clock=clock, sleep=clock.sleep)
    backend.read()
    dead = dataclasses.replace(LockInfo.create("apply", path="x", clock=clock), pid=_dead_pid())
    session = _hold_as(pg_cluster.dsn, workspace, dead)
    try:
        with pytest.raises(errors.StateLocked, match=f"pid {dead.pid}"), backend.lock(operation="plan"):
            pass
    finally:
        session.close()

    assert sum(clock.sleeps) == pytest.approx(pg_lock.DEAD_HOLDER_GRACE)


def test_a_record_left_by_a_session_that_no_longer_holds_the_lock_is_not_named(
    make: Callable[..., PostgresBackend], pg_cluster: PgCluster, workspace: str
) -> None:
    backend = make()
    backend.read()
    stale = LockInfo.create("apply", path="x", clock=time.time)
    _hold_as(pg_cluster.dsn, workspace, stale).close()  # its record stays, its lock goes
    session = _hold_as(pg_cluster.dsn, workspace, None)  # a new holder, not recorded yet
    try:
        with (
            pytest.raises(errors.StateLocked, match="not recorded who it is") as caught,
            backend.lock(operation="plan"),
        ):
            pass
    finally:
        session.close()

    assert stale.id not in str(caught.value)
