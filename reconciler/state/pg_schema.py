"""The PostgreSQL backend's tables, created on first use, and the keys of its advisory locks.

The tables live wherever the connection's ``search_path`` points, so one
database can hold several teams' workspaces (one schema each) or share a
schema between them: every row is keyed by workspace name.

* ``reconciler_state``: one row per workspace, the current document.  The
  document column is ``json``, not ``jsonb``: ``jsonb`` reorders object keys,
  and resources must read back in the order they were written.
* ``reconciler_state_history``: every version ever stored, appended by the
  same transaction that stores it, so any earlier serial can be restored.
* ``reconciler_runs``: the run history (:mod:`.runs`), one row per plan or
  apply the agent made, the :class:`~reconciler.state.runs.RunRecord` as
  ``json`` beside the columns a query sorts or filters by.  It is created
  with the others, or on the first run recorded into a database whose tables
  an earlier version made; its absence never stops a state read or write.
* ``reconciler_locks``: who holds each workspace's lock (a
  :class:`~reconciler.state.lock.LockInfo`) and the server process that holds
  it.  The lock itself is a session advisory lock; this row only describes it,
  and a row whose process no longer holds the lock is stale.

Two runs meeting an empty database at once would race on ``CREATE TABLE IF
NOT EXISTS`` (PostgreSQL checks existence before taking its catalog locks),
so creation happens under a transaction-level advisory lock of its own.
"""

from __future__ import annotations

import hashlib
from typing import Any

import psycopg

TABLES = ("reconciler_state", "reconciler_state_history", "reconciler_locks")

_DDL = (
    """
    CREATE TABLE IF NOT EXISTS reconciler_state (
        workspace text PRIMARY KEY,
        lineage text NOT NULL,
        serial bigint NOT NULL,
        document json NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS reconciler_state_history (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        workspace text NOT NULL,
        lineage text NOT NULL,
        serial bigint NOT NULL,
        document json NOT NULL,
        written_at timestamptz NOT NULL DEFAULT now()
    )
    """,
    """
    CREATE INDEX IF NOT EXISTS reconciler_state_history_by_workspace
        ON reconciler_state_history (workspace, serial)
    """,
    """
    CREATE TABLE IF NOT EXISTS reconciler_locks (
        workspace text PRIMARY KEY,
        info jsonb NOT NULL,
        backend_pid integer NOT NULL,
        locked_at timestamptz NOT NULL DEFAULT now()
    )
    """,
)

RUNS_TABLE = "reconciler_runs"

_RUNS_DDL = (
    """
    CREATE TABLE IF NOT EXISTS reconciler_runs (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        workspace text NOT NULL,
        kind text NOT NULL,
        outcome text NOT NULL,
        started_at timestamptz NOT NULL,
        finished_at timestamptz NOT NULL,
        record json NOT NULL
    )
    """,
    """
    CREATE INDEX IF NOT EXISTS reconciler_runs_by_workspace ON reconciler_runs (workspace, id)
    """,
)

# The granted advisory locks on one key in this database, as pg_locks shows a bigint key.
HOLDERS_SQL = """
    SELECT pid FROM pg_locks
    WHERE locktype = 'advisory' AND granted AND objsubid = 1
      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND classid::bigint = %(high)s AND objid::bigint = %(low)s
"""


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for ``name``: the first 8 bytes of SHA-256("reconciler:" + name).

    Python's ``hash()`` is salted per process, so two runs would disagree; a
    digest gives every process, host and version the same key.
    """
    digest = hashlib.sha256(f"reconciler:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def workspace_key(workspace: str) -> int:
    """The advisory lock key of one workspace's state lock."""
    return advisory_key(f"workspace:{workspace}")


SCHEMA_KEY = advisory_key("schema")


def key_halves(key: int) -> dict[str, int]:
    """The ``classid``/``objid`` pair under which ``pg_locks`` lists a bigint advisory key."""
    unsigned = key & 0xFFFF_FFFF_FFFF_FFFF
    return {"high": unsigned >> 32, "low": unsigned & 0xFFFF_FFFF}


def ensure_schema(conn: psycopg.Connection[Any]) -> None:
    """Create the backend's tables unless they all exist; safe when many processes do it at once."""
    if _all_tables_exist(conn):
        # Checked first so that a role without CREATE can use tables an administrator made.
        return
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_KEY,))
        for statement in (*_DDL, *_RUNS_DDL):
            conn.execute(statement)


def has_runs_table(conn: psycopg.Connection[Any]) -> bool:
    """Whether the run history's table exists (a database set up by an earlier version has none)."""
    row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (RUNS_TABLE,)).fetchone()
    return row is not None and bool(row[0])


def ensure_runs_table(conn: psycopg.Connection[Any]) -> None:
    """Create the run history's table unless it exists, under the schema lock like the others."""
    if has_runs_table(conn):
        return
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_KEY,))
        for statement in _RUNS_DDL:
            conn.execute(statement)


def _all_tables_exist(conn: psycopg.Connection[Any]) -> bool:
    row = conn.execute(
        "SELECT " + ", ".join("to_regclass(%s) IS NOT NULL" for _ in TABLES), TABLES
    ).fetchone()
    return row is not None and all(row)
