"""The run history: the same behaviour from the local file and the PostgreSQL table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from reconciler.redact import forget_all, remember
from reconciler.state import LocalBackend, StateBackend
from reconciler.state import runs as runs_module
from reconciler.state.runs import RunRecord, recent_runs, record_run, runs_path

from .pg_cluster import PgCluster

START = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def run(number: int, **fields: object) -> RunRecord:
    values: dict[str, object] = {
        "workspace": "demo",
        "kind": "plan",
        "started_at": START + timedelta(minutes=number),
        "finished_at": START + timedelta(minutes=number, seconds=3),
        "outcome": "in_sync",
        "drift": "in_sync",
        **fields,
    }
    return RunRecord.model_validate(values)


def test_no_history_reads_empty(backend: StateBackend) -> None:
    assert recent_runs(backend) == []


def test_newest_first_with_increasing_ids(backend: StateBackend) -> None:
    stored = [record_run(backend, run(n, outcome="changes", drift="spec")) for n in range(5)]
    assert [r.id for r in stored] == sorted({r.id for r in stored})
    found = recent_runs(backend, limit=3)
    assert [r.started_at for r in found] == [START + timedelta(minutes=n) for n in (4, 3, 2)]
    assert [r.id for r in found] == [stored[4].id, stored[3].id, stored[2].id]
    assert recent_runs(backend, limit=0) == []


def test_fields_round_trip(backend: StateBackend) -> None:
    original = run(
        1,
        kind="apply",
        outcome="failed",
        drift="live",
        plan_summary={"create": 2, "update": 0, "replace": 1},
        apply_summary={"done": 2, "failed": 1},
        failures={"alviss.refit.se": "refit 7 failed: not enough data"},
        agent="host-a:123",
        plan_file="plans/demo.plan",
    )
    record_run(backend, original)
    (found,) = recent_runs(backend)
    assert found.kind == "apply" and found.outcome == "failed" and found.drift == "live"
    assert found.plan_summary == {"create": 2, "replace": 1}  # zero counts are not kept
    assert found.apply_summary == {"done": 2, "failed": 1}
    assert found.failures == {"alviss.refit.se": "refit 7 failed: not enough data"}
    assert found.agent == "host-a:123" and found.plan_file == "plans/demo.plan"
    assert found.started_at == original.started_at and found.duration == 3.0


def test_times_are_stored_in_utc(backend: StateBackend) -> None:
    east = timezone(timedelta(hours=2))
    record_run(backend, run(0, started_at=datetime(2026, 11, 30, 14, 0, tzinfo=east)))
    (found,) = recent_runs(backend)
    assert found.started_at.utcoffset() == timedelta(0)
    assert found.started_at == START


def test_secrets_are_masked_and_messages_cut(backend: StateBackend) -> None:
    remember("hunter2-secret-token")
    try:
        record_run(
            backend,
            run(
                0,
                outcome="error",
                drift=None,
                error="401 from https://x?token=hunter2-secret-token\n  details " + "x" * 1000,
                failures={"a.b.c": "bad key hunter2-secret-token"},
            ),
        )
    finally:
        forget_all()
    (found,) = recent_runs(backend)
    assert found.error is not None and "hunter2" not in found.error
    assert "\n" not in found.error and len(found.error) < runs_module.MESSAGE_LIMIT + 40
    assert "hunter2" not in found.failures["a.b.c"]


def test_history_is_kept_to_its_bound(backend: StateBackend, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runs_module, "KEEP", 3)
    for n in range(8):
        record_run(backend, run(n))
    found = recent_runs(backend, limit=100)
    assert 3 <= len(found) < 6
    assert found[0].started_at == START + timedelta(minutes=7)
    ids = [r.id for r in found]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids)


def test_local_history_beside_the_state_skips_a_cut_line(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path / "state" / "demo.json")
    record_run(backend, run(0))
    path = runs_path(backend.path)
    assert path == tmp_path / "state" / "demo.json.runs.jsonl"
    with path.open("a") as handle:
        handle.write('{"workspace": "demo", "kind": "pl')  # a crash in the middle of a line
    assert len(recent_runs(backend)) == 1
    record_run(backend, run(1))
    found = recent_runs(backend)
    assert [r.id for r in found] == [2, 1]
    assert not (tmp_path / "state" / "demo.json").exists()  # the history does not make a state


def test_local_history_unwritable_is_a_state_error(tmp_path: Path) -> None:
    from reconciler import errors

    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    backend = LocalBackend(blocker / "demo.json")
    with pytest.raises(errors.StateError, match="cannot record the run"):
        record_run(backend, run(0))


def test_postgres_database_of_an_earlier_version_gets_the_table_on_first_run(pg_cluster: PgCluster) -> None:
    import psycopg

    from reconciler.state.postgres import PostgresBackend

    dsn = pg_cluster.new_database()
    backend = PostgresBackend(dsn, workspace="old")
    backend.read()  # the tables made
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE reconciler_runs")  # as an earlier version left the database
    other = PostgresBackend(dsn, workspace="old")
    try:
        assert recent_runs(other) == []
        stored = record_run(other, run(0))
        assert recent_runs(backend) == [stored]
    finally:
        backend.close()
        other.close()
