"""The PostgreSQL state backend: one workspace's state shared by a team or a CI fleet.

A local file cannot be shared between CI runners; a database row can.  Each
workspace is one row of ``reconciler_state`` (see :mod:`.pg_schema`), and
every version is appended to ``reconciler_state_history`` by the same
transaction.

Writes are compare-and-swap on the serial: the row is updated only ``WHERE
serial`` is still the one this write started from, so two runs that both
skipped the lock can never silently overwrite each other; the second is told
to plan again.

The lock is a session-level ``pg_try_advisory_lock`` held by a connection
opened for the lock's whole life.  The server frees it when that session ends,
so a killed run never blocks the next one; the holder's
:class:`~reconciler.state.lock.LockInfo` is written to ``reconciler_locks`` so
a refused run can say who holds it and ``force-unlock`` can end the holder's
session by its id.

The DSN may carry a password: it never appears in a message, a log line or
:meth:`PostgresBackend.describe`, and database messages are passed through a
:class:`~reconciler.redact.Redactor` that knows it.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import psycopg
from psycopg.conninfo import conninfo_to_dict

from reconciler import errors
from reconciler.redact import Redactor, cut, remember
from reconciler.state import pg_schema, runs
from reconciler.state.document import StateDocument, parse_document
from reconciler.state.emergency import write_emergency
from reconciler.state.lock import LockInfo
from reconciler.state.pg_lock import AdvisoryLock
from reconciler.state.runs import RunRecord

T = TypeVar("T")
Connection = psycopg.Connection[Any]

CONNECT_TIMEOUT = 10


class _Connection:
    """The backend's data connection, closed when the backend is garbage-collected."""

    def __init__(self) -> None:
        self.conn: Connection | None = None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class PostgresBackend:
    """State kept in a PostgreSQL row per workspace, with history, CAS writes and an advisory lock."""

    def __init__(
        self,
        dsn: str,
        *,
        workspace: str,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        poll_interval: float = 0.05,
    ) -> None:
        if not workspace:
            raise errors.StateError("a PostgreSQL state needs a workspace name")
        self.workspace = workspace
        self._redact = _redactor(dsn, workspace)
        self._dsn = dsn
        self._clock = clock
        self._sleep = sleep
        self._poll_interval = poll_interval
        self._lock = AdvisoryLock(workspace, what=self.describe(), explain=self._why)
        self._schema_ready = False
        self._runs_ready = False
        # The serial this backend last read or wrote: a store at another serial was changed elsewhere.
        self._known_serial: int | None = None
        self._data = _Connection()
        weakref.finalize(self, self._data.close)

    def describe(self) -> str:
        return f"PostgreSQL workspace {self.workspace}"

    def close(self) -> None:
        """Close the data connection now rather than when the backend is collected."""
        self._data.close()

    def read(self) -> StateDocument:
        try:
            stored = self._on_data_connection(self._read)
        except psycopg.Error as exc:
            raise self._failure("read", exc) from exc
        if stored is None:
            return StateDocument()
        return stored

    def write(self, document: StateDocument) -> StateDocument:
        try:
            return self._on_data_connection(lambda conn: self._write(conn, document))
        except psycopg.Error as exc:
            raise self._write_failed(exc, document) from exc

    @contextmanager
    def lock(self, *, operation: str, timeout: float = 0.0) -> Iterator[LockInfo]:
        info = LockInfo.create(operation, path=self.describe(), clock=self._clock)
        try:
            conn = self._connect(application_name="reconciler lock")
        except psycopg.Error as exc:
            raise self._failure("lock", exc) from exc
        try:
            self._lock.acquire(
                conn,
                info,
                timeout=timeout,
                clock=self._clock,
                sleep=self._sleep,
                poll_interval=self._poll_interval,
            )
        except psycopg.Error as exc:
            conn.close()
            raise self._failure("lock", exc) from exc
        except BaseException:
            conn.close()
            raise
        try:
            yield info
        finally:
            self._lock.release(conn, info)

    def force_unlock(self, lock_id: str) -> None:
        try:
            with self._connect(application_name="reconciler force-unlock") as conn:
                self._lock.force_unlock(conn, lock_id)
        except psycopg.Error as exc:
            raise self._failure("unlock", exc) from exc

    # -- run history (see :mod:`.runs`) -----------------------------------------------------------

    def record_run(self, run: RunRecord) -> RunRecord:
        """Store ``run`` (cleaned) in ``reconciler_runs``; keep this workspace's newest ``runs.KEEP``."""
        try:
            return self._on_data_connection(lambda conn: self._record_run(conn, run))
        except psycopg.Error as exc:
            raise self._failure("record a run in", exc) from exc

    def recent_runs(self, limit: int) -> list[RunRecord]:
        """This workspace's newest runs first, at most ``limit``."""
        try:
            return self._on_data_connection(lambda conn: self._recent_runs(conn, limit))
        except psycopg.Error as exc:
            raise self._failure("read the run history of", exc) from exc

    def _record_run(self, conn: Connection, run: RunRecord) -> RunRecord:
        if not self._runs_ready:
            pg_schema.ensure_runs_table(conn)
            self._runs_ready = True
        text = run.model_dump_json()
        with conn.transaction():
            row = conn.execute(
                "INSERT INTO reconciler_runs (workspace, kind, outcome, started_at, finished_at, record) "
                "VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
                (self.workspace, run.kind, run.outcome, run.started_at, run.finished_at, text),
            ).fetchone()
            conn.execute(
                "DELETE FROM reconciler_runs WHERE workspace = %(ws)s AND id <= ("
                "SELECT id FROM reconciler_runs WHERE workspace = %(ws)s "
                "ORDER BY id DESC OFFSET %(keep)s LIMIT 1)",
                {"ws": self.workspace, "keep": runs.KEEP},
            )
        assert row is not None
        return run.model_copy(update={"id": int(row[0])})

    def _recent_runs(self, conn: Connection, limit: int) -> list[RunRecord]:
        if not self._runs_ready and not pg_schema.has_runs_table(conn):
            return []
        rows = conn.execute(
            "SELECT id, record::text FROM reconciler_runs WHERE workspace = %s ORDER BY id DESC LIMIT %s",
            (self.workspace, limit),
        ).fetchall()
        found = []
        for number, text in rows:
            run = runs.parse_run(text)
            if run is not None:
                found.append(run.model_copy(update={"id": int(number)}))
        return found

    # -- documents -----------------------------------------------------------------------------

    def _read(self, conn: Connection) -> StateDocument | None:
        stored = self._stored(conn)
        self._known_serial = None if stored is None else stored.serial
        return stored

    def _stored(self, conn: Connection) -> StateDocument | None:
        row = conn.execute(
            "SELECT document::text FROM reconciler_state WHERE workspace = %s", (self.workspace,)
        ).fetchone()
        return None if row is None else parse_document(row[0], corrupt=self._corrupt)

    def _write(self, conn: Connection, document: StateDocument) -> StateDocument:
        with conn.transaction():
            stored = self._stored(conn)
            if stored is not None:
                if document.content_equal(stored):
                    self._known_serial = stored.serial
                    return document
                self._check_may_replace(stored, document)
            serial = (stored.serial if stored is not None else document.serial) + 1
            new = document.model_copy(update={"serial": serial}, deep=True)
            text = new.model_dump_json()
            values = {"ws": self.workspace, "lineage": new.lineage, "serial": serial, "doc": text}
            if stored is None:
                cursor = conn.execute(
                    "INSERT INTO reconciler_state (workspace, lineage, serial, document) "
                    "VALUES (%(ws)s, %(lineage)s, %(serial)s, %(doc)s) ON CONFLICT (workspace) DO NOTHING",
                    values,
                )
            else:
                cursor = conn.execute(
                    "UPDATE reconciler_state SET lineage = %(lineage)s, serial = %(serial)s, "
                    "document = %(doc)s, updated_at = now() "
                    "WHERE workspace = %(ws)s AND serial = %(expected)s",
                    {**values, "expected": stored.serial},
                )
            if cursor.rowcount != 1:
                raise self._conflict(conn, expected=None if stored is None else stored.serial)
            conn.execute(
                "INSERT INTO reconciler_state_history (workspace, lineage, serial, document) "
                "VALUES (%(ws)s, %(lineage)s, %(serial)s, %(doc)s)",
                values,
            )
        self._known_serial = serial
        return new.model_copy(deep=True)

    def _check_may_replace(self, stored: StateDocument, document: StateDocument) -> None:
        if document.lineage != stored.lineage:
            raise errors.StateError(
                f"refusing to write a state of lineage {document.lineage} over {self.describe()}, "
                f"which has lineage {stored.lineage}",
                hint="the document belongs to another workspace; check the state workspace in the spec",
            )
        if stored.serial != self._known_serial and document.serial < stored.serial:
            raise errors.StateError(
                f"{self.describe()} was changed by another run (serial {stored.serial}, "
                f"expected {document.serial}); plan again",
                hint="read the state again, under the lock, and redo the change on top of it",
            )

    def _conflict(self, conn: Connection, *, expected: int | None) -> errors.StateError:
        row = conn.execute(
            "SELECT serial FROM reconciler_state WHERE workspace = %s", (self.workspace,)
        ).fetchone()
        now = "gone" if row is None else row[0]
        self._known_serial = None
        return errors.StateError(
            f"{self.describe()} was changed by another run (serial {now}, "
            f"expected {'no state yet' if expected is None else expected}); plan again",
            hint="two runs wrote without sharing the lock; read the state again and redo the change",
        )

    def _corrupt(self, detail: str) -> errors.StateCorrupt:
        return errors.StateCorrupt(
            f"{self.describe()} {detail}",
            hint=(
                "every stored version is kept in reconciler_state_history: restore the latest good one "
                "into reconciler_state (see docs/state-backends.md, 'Recovery')"
            ),
        )

    # -- connections and failures ----------------------------------------------------------------

    def _connect(self, *, application_name: str) -> Connection:
        conn = psycopg.connect(
            self._dsn, autocommit=True, connect_timeout=CONNECT_TIMEOUT, application_name=application_name
        )
        try:
            if not self._schema_ready:
                pg_schema.ensure_schema(conn)
                self._schema_ready = True
        except BaseException:
            conn.close()
            raise
        return conn

    def _on_data_connection(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` on the data connection, reconnecting once if the old one has died."""
        for attempt in (1, 2):
            if self._data.conn is None or self._data.conn.closed:
                self._data.close()
                self._data.conn = self._connect(application_name="reconciler")
            conn = self._data.conn
            try:
                return work(conn)
            except psycopg.OperationalError:
                if not (conn.closed or conn.broken):
                    raise
                self._data.close()
                # An idle connection ended by the server fails on first use: one retry is safe,
                # because a write that did commit reads back as an unchanged document.
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _why(self, exc: psycopg.Error) -> str:
        text = " ".join(str(exc).split()) or type(exc).__name__
        return cut(self._redact(text), 300)

    def _failure(self, doing: str, exc: psycopg.Error) -> errors.StateError:
        hint = None
        if isinstance(exc, psycopg.OperationalError):
            hint = "check that the database is reachable and that the state DSN is right"
        elif isinstance(exc, psycopg.errors.InsufficientPrivilege):
            hint = "the role needs SELECT, INSERT, UPDATE and DELETE on the reconciler_* tables"
        return errors.StateError(f"cannot {doing} {self.describe()}: {self._why(exc)}", hint=hint)

    def _write_failed(self, exc: psycopg.Error, document: StateDocument) -> errors.StateWriteFailed:
        base = self._known_serial if self._known_serial is not None else document.serial
        new = document.model_copy(update={"serial": base + 1}, deep=True)
        emergency = write_emergency(new, (new.model_dump_json(indent=2) + "\n").encode())
        reason = self._why(exc)
        if emergency is None:
            return errors.StateWriteFailed(
                f"could not write {self.describe()} ({reason}), and no emergency copy could be saved",
                emergency_path=None,
                hint="fix the cause (database reachable? permissions?) before running anything else on it",
            )
        return errors.StateWriteFailed(
            f"could not write {self.describe()} ({reason}); the new state (serial {new.serial}) "
            f"was saved to {emergency}",
            emergency_path=str(emergency),
            hint=(
                f"fix the cause, then load {emergency} into the workspace "
                "(docs/state-backends.md, 'Recovery')"
            ),
        )


def _redactor(dsn: str, workspace: str) -> Redactor:
    """A redactor for everything secret in ``dsn``; a DSN that does not parse is refused here."""
    try:
        params = conninfo_to_dict(dsn)
    except psycopg.Error:
        # The parser's message quotes the text around the mistake, which may be the password.
        raise errors.StateError(
            f"the PostgreSQL DSN of workspace {workspace} is not a valid connection string",
            hint="use postgresql://USER@HOST:PORT/DB or 'host=… dbname=…', with the password in PGPASSWORD",
        ) from None
    secrets = [dsn]
    password = params.get("password")
    if password:
        secrets.append(str(password))
    remember(*secrets)
    return Redactor(secrets)
