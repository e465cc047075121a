"""The PostgreSQL state lock: a session advisory lock, and a record of who holds it.

``pg_try_advisory_lock`` on the workspace's key (see
:func:`~reconciler.state.pg_schema.workspace_key`) is held by a connection kept
open for the lock's whole life.  The lock belongs to that server session: when
the holder exits, crashes or is killed, the server ends the session and frees
the lock, so a dead run never blocks the next one.

The holder's :class:`~reconciler.state.lock.LockInfo` goes into
``reconciler_locks`` together with its session's process id.  A record is
believed only while that session still holds the lock (``pg_locks`` says so):
a killed holder leaves its record behind, and the next holder overwrites it.
``force_unlock`` ends the recorded session with ``pg_terminate_backend``, which
is what frees a lock whose holder is stuck rather than dead.

The server notices a killed client a few milliseconds after the kill.  A run
refused by a holder that is already dead on this very host waits that moment
out (at most :data:`DEAD_HOLDER_GRACE` seconds) instead of failing on a lock
that is about to be free.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from reconciler import errors
from reconciler.state import pg_schema
from reconciler.state.lock import LockInfo, locked_error, wrong_lock_id

logger = logging.getLogger(__name__)

Connection = psycopg.Connection[Any]

DEAD_HOLDER_GRACE = 2.0
TERMINATE_WAIT_MS = 5000


class AdvisoryLock:
    """One workspace's advisory lock and its record in ``reconciler_locks``."""

    def __init__(self, workspace: str, *, what: str, explain: Callable[[psycopg.Error], str]) -> None:
        self.workspace = workspace
        self.key = pg_schema.workspace_key(workspace)
        self._what = what
        self._explain = explain

    def acquire(
        self,
        conn: Connection,
        info: LockInfo,
        *,
        timeout: float,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
        poll_interval: float,
    ) -> None:
        """Take the lock on ``conn`` (polling until ``timeout``) and record ``info`` as its holder."""
        deadline = clock() + timeout
        grace_until: float | None = None
        while True:
            if self._try_lock(conn, info):
                return
            now = clock()
            if now >= deadline:
                holder = self._live_holder(conn)
                if holder is not None and _gone_from_this_host(holder):
                    grace_until = now + DEAD_HOLDER_GRACE if grace_until is None else grace_until
                    deadline = min(max(deadline, now + poll_interval), grace_until)
                if now >= deadline:
                    raise locked_error(holder, what=self._what)
            sleep(min(poll_interval, deadline - now))

    def release(self, conn: Connection, info: LockInfo) -> None:
        """Remove our record, free the lock and close its connection."""
        try:
            conn.execute(
                "DELETE FROM reconciler_locks WHERE workspace = %s AND info->>'id' = %s",
                (self.workspace, info.id),
            )
            # Explicitly: closing alone frees the lock only once the server has processed it.
            conn.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
        except psycopg.Error as exc:
            # Ended by force-unlock, or the server went away: either way the lock is gone.
            logger.warning(
                "lock %s on %s was lost before it was released: %s", info.id, self._what, self._explain(exc)
            )
        finally:
            conn.close()

    def force_unlock(self, conn: Connection, lock_id: str) -> None:
        """Remove the lock recorded under ``lock_id``, ending its holder's session if it still runs."""
        row = conn.execute(
            "SELECT info, backend_pid FROM reconciler_locks WHERE workspace = %s", (self.workspace,)
        ).fetchone()
        if row is None:
            raise errors.StateError(f"{self._what} is not locked; there is nothing to unlock")
        holder = LockInfo.from_dict(row[0])
        if holder is None:
            raise errors.StateError(
                f"{self._what} has a lock record that cannot be read, so lock id {lock_id} cannot be checked",
                hint=(
                    "if no reconciler run is using this workspace, delete its row from reconciler_locks "
                    "(see docs/state-backends.md)"
                ),
            )
        if holder.id != lock_id:
            raise wrong_lock_id(holder, given=lock_id, what=self._what)
        alive = row[1] in self._holding_sessions(conn)
        if alive:
            # Only the recorded session: a lock held by a session without a record is a newer run's.
            conn.execute("SELECT pg_terminate_backend(%s, %s)", (row[1], TERMINATE_WAIT_MS))
        conn.execute(
            "DELETE FROM reconciler_locks WHERE workspace = %s AND info->>'id' = %s",
            (self.workspace, lock_id),
        )
        if alive:
            logger.warning(
                "removed lock %s on %s and ended the database session of %s, which still held it; "
                "that run is no longer protected",
                lock_id,
                self._what,
                holder.describe(),
            )

    def _try_lock(self, conn: Connection, info: LockInfo) -> bool:
        row = conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
        if row is None or not row[0]:
            return False
        conn.execute(
            "INSERT INTO reconciler_locks (workspace, info, backend_pid) "
            "VALUES (%s, %s, pg_backend_pid()) ON CONFLICT (workspace) DO UPDATE "
            "SET info = EXCLUDED.info, backend_pid = EXCLUDED.backend_pid, locked_at = now()",
            (self.workspace, Jsonb(info.to_dict())),
        )
        return True

    def _live_holder(self, conn: Connection) -> LockInfo | None:
        """The recorded holder, if the session that recorded it still holds the lock."""
        row = conn.execute(
            "SELECT info, backend_pid FROM reconciler_locks WHERE workspace = %s", (self.workspace,)
        ).fetchone()
        if row is None or row[1] not in self._holding_sessions(conn):
            return None
        return LockInfo.from_dict(row[0])

    def _holding_sessions(self, conn: Connection) -> set[int]:
        rows = conn.execute(pg_schema.HOLDERS_SQL, pg_schema.key_halves(self.key)).fetchall()
        return {pid for (pid,) in rows}


def _gone_from_this_host(holder: LockInfo) -> bool:
    """True when the holder ran on this host and its process no longer exists."""
    if holder.host != socket.gethostname():
        return False
    try:
        os.kill(holder.pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False
