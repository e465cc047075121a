"""Who works on a workspace now: a non-blocking claim per workspace, held for one cycle.

Replicas pointed at one PostgreSQL database share the work through the
server's session advisory locks, the same mechanism as the state lock but on
a key of their own (``agent:<workspace>``), so a cycle that holds the claim
can still take the state lock for its apply.  ``pg_try_advisory_lock`` never
waits: a workspace claimed elsewhere is simply someone else's this time.  All
of an agent's claims live on one connection; when the agent dies, the server
ends its session and every claim it held is free for the next replica.

A local state cannot be shared between machines: its claim is an ``flock`` on
``<state>.agent`` beside the file, which keeps a second agent on the same
machine off it (it runs alone, and says so at start).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from pathlib import Path
from typing import Any, Protocol

from reconciler import errors

logger = logging.getLogger(__name__)


class Claims(Protocol):
    """Claims on workspaces, each taken without waiting and released after its cycle."""

    def try_claim(self, key: str) -> bool:
        """Take the claim on ``key`` if nobody holds it; False when someone does."""
        ...

    def release(self, key: str) -> None:
        """Give the claim on ``key`` back (nothing if it is not held)."""
        ...

    def check(self) -> bool:
        """Whether claims can be taken now (the database answers)."""
        ...

    def close(self) -> None:
        """Give every claim back."""
        ...


class PostgresClaims:
    """Claims as session advisory locks on one connection to the state database."""

    def __init__(self, dsn: str, *, what: str = "the state database") -> None:
        _remember_secrets(dsn)
        self._dsn = dsn
        self._what = what
        self._conn: Any = None
        self._held: set[str] = set()

    def try_claim(self, key: str) -> bool:
        for attempt in (1, 2):
            conn = self._connection()
            try:
                row = conn.execute("SELECT pg_try_advisory_lock(%s)", (_key(key),)).fetchone()
                break
            except Exception as exc:
                dead = bool(conn.closed or conn.broken)
                self._lost(exc)
                # A session the server ended (a restart, an idle timeout) fails on first use: one retry.
                if attempt == 2 or not dead:
                    raise errors.StateError(f"cannot claim {key} in {self._what}: {_why(exc)}") from exc
        if row is not None and row[0]:
            self._held.add(key)
            return True
        return False

    def release(self, key: str) -> None:
        if key not in self._held:
            return
        self._held.discard(key)
        if self._conn is None:
            return
        try:
            self._conn.execute("SELECT pg_advisory_unlock(%s)", (_key(key),))
        except Exception as exc:  # the session is gone: so is the claim
            self._lost(exc)

    def check(self) -> bool:
        try:
            self._connection().execute("SELECT 1")
        except Exception as exc:
            self._lost(exc)
            return False
        return True

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                for key in sorted(self._held):
                    self._conn.execute("SELECT pg_advisory_unlock(%s)", (_key(key),))
            with contextlib.suppress(Exception):
                self._conn.close()
        self._conn = None
        self._held.clear()

    def _connection(self) -> Any:
        if self._conn is None or self._conn.closed:
            import psycopg  # only for a PostgreSQL state

            try:
                self._conn = psycopg.connect(
                    self._dsn, autocommit=True, connect_timeout=10, application_name="reconciler agent"
                )
            except psycopg.Error as exc:
                raise errors.StateError(f"cannot connect to {self._what}: {_why(exc)}") from exc
        return self._conn

    def _lost(self, exc: Exception) -> None:
        if self._held:
            logger.warning(
                "the connection holding this agent's claims failed (%s); its claims are gone", _why(exc)
            )
        self._held.clear()
        with contextlib.suppress(Exception):
            if self._conn is not None:
                self._conn.close()
        self._conn = None


class LocalClaims:
    """Claims as ``flock``s on ``<state>.agent`` files: one agent per local state on this machine."""

    def __init__(self) -> None:
        self._held: dict[str, int] = {}

    def try_claim(self, key: str) -> bool:
        path = Path(key)
        path = path.with_name(path.name + ".agent")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise errors.StateError(f"cannot claim {key}: {exc.strerror or exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._held[key] = fd
        return True

    def release(self, key: str) -> None:
        fd = self._held.pop(key, None)
        if fd is not None:
            os.close(fd)  # closing frees the flock

    def check(self) -> bool:
        return True

    def close(self) -> None:
        for key in list(self._held):
            self.release(key)


def _remember_secrets(dsn: str) -> None:
    """Mask the DSN and its password in every message, as the PostgreSQL backend does."""
    from psycopg.conninfo import conninfo_to_dict

    from reconciler.redact import remember

    secrets = [dsn]
    try:
        password = conninfo_to_dict(dsn).get("password")
    except Exception:  # a DSN that does not parse: the backend refuses it, naming no part of it
        password = None
    if password:
        secrets.append(str(password))
    remember(*secrets)


def _key(name: str) -> int:
    from reconciler.state.pg_schema import advisory_key

    return advisory_key(f"agent:{name}")


def _why(exc: Exception) -> str:
    from reconciler.redact import cut, known

    return cut(known()(" ".join(str(exc).split()) or type(exc).__name__), 300)
