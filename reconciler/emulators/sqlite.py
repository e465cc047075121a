"""The SQLite file every emulator keeps its world in, and the request counts every one of them keeps.

An emulator's world must outlive a process: the embedded emulator starts
afresh with every command, and a later run (or a served emulator beside it)
must see what an earlier one created; hence a file, not memory.

One connection per app, shared by its handlers under a lock (handlers are
``async`` and run on one loop in-process, or in uvicorn's threads when
served); each handler's work is one ``BEGIN IMMEDIATE`` transaction, so two
processes sharing a data directory (a served emulator and a test reading its
world) never see half a change.
"""

from __future__ import annotations

import json as _json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

#: Every emulator's store has this table beside its own (``/_emulator/stats`` reads it).
REQUEST_COUNTS = "CREATE TABLE IF NOT EXISTS request_counts (route TEXT PRIMARY KEY, count INTEGER NOT NULL);"

TxT = TypeVar("TxT")
RecordT = TypeVar("RecordT")


def world_file(data_dir: Path | str, name: str) -> Path:
    """The SQLite file an emulator named ``name`` keeps its world in, inside ``data_dir``."""
    return Path(data_dir) / f"{name}.sqlite3"


def record(
    kind: type[RecordT], row: sqlite3.Row, *, flags: tuple[str, ...] = (), json: tuple[str, ...] = ()
) -> RecordT:
    """The dataclass ``kind`` from a row with a column per field; ``flags`` are 0/1, ``json`` text or NULL."""
    values: dict[str, Any] = {}
    for one in fields(kind):  # type: ignore[arg-type]
        value = row[one.name]
        if one.name in flags:
            value = bool(value)
        elif one.name in json and value is not None:
            value = _json.loads(value)
        values[one.name] = value
    return kind(**values)


class Tables:
    """The operations of one transaction: an emulator's own subclass adds its tables' to request counts."""

    #: The subclass's tables: SQL ``CREATE TABLE IF NOT EXISTS`` statements.
    TABLES: ClassVar[str] = ""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def count(self, table: str, where: str = "") -> int:
        """The number of rows of ``table`` (one of the store's own names), under ``where`` if given."""
        query = f"SELECT COUNT(*) FROM {table}" + (f" WHERE {where}" if where else "")
        return int(self._conn.execute(query).fetchone()[0])

    def count_request(self, route: str) -> None:
        self._conn.execute(
            "INSERT INTO request_counts VALUES (?, 1) ON CONFLICT(route) DO UPDATE SET count = count + 1",
            (route,),
        )

    def request_counts(self) -> dict[str, int]:
        rows = self._conn.execute("SELECT route, count FROM request_counts ORDER BY route").fetchall()
        return {str(route): int(count) for route, count in rows}

    def reset_requests(self) -> None:
        self._conn.execute("DELETE FROM request_counts")


class SqliteFile(Generic[TxT]):
    """A lazily opened SQLite file; ``transaction()`` yields the emulator's own transaction object."""

    def __init__(self, path: Path, *, schema: str, tx: Callable[[sqlite3.Connection], TxT]) -> None:
        self.path = path
        self._schema = schema + REQUEST_COUNTS
        self._tx = tx
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")  # an emulator needs no power-loss durability
            conn.executescript(self._schema)
            self._conn = conn
        return self._conn

    @contextmanager
    def transaction(self) -> Iterator[TxT]:
        with self._lock:
            conn = self._connect()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._tx(conn)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:  # SQLite already rolled back after some errors (a full disk)
                    conn.execute("ROLLBACK")
                raise

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
