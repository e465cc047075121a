"""The emulated Datrics tasks, kept in one SQLite file.

SQLite rather than memory because the world must outlive a process: the
embedded emulator starts afresh with every command, and a later run must be
able to ask about a task an earlier one submitted.  Each request runs in one
``BEGIN IMMEDIATE`` transaction, so several processes may share the file.

A task stores its outcome (predictions or the error) from the moment it is
submitted, with a creation time and a duration; its Celery state is computed
when read (``tasks.py``), so nothing runs in the background.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.emulators.sqlite import REQUEST_COUNTS, RequestCounts, SqliteFile

_SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS tasks (
    id TEXT PRIMARY KEY, created_at REAL NOT NULL, duration REAL NOT NULL,
    bucket TEXT NOT NULL, path TEXT NOT NULL, only_prediction INTEGER NOT NULL,
    records INTEGER NOT NULL, result TEXT, error TEXT);
"""
    + REQUEST_COUNTS
)


@dataclass(frozen=True)
class Task:
    """One prediction task and its (already known) outcome."""

    id: str
    created_at: float
    duration: float
    bucket: str
    path: str
    only_prediction: bool
    records: int
    result: list[dict[str, Any]] | None
    error: str | None


class Tx(RequestCounts):
    """The operations available inside one transaction."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def insert(self, task: Task) -> None:
        self._conn.execute(
            "INSERT INTO tasks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                task.id,
                task.created_at,
                task.duration,
                task.bucket,
                task.path,
                int(task.only_prediction),
                task.records,
                None if task.result is None else json.dumps(task.result),
                task.error,
            ),
        )

    def get(self, task_id: str) -> Task | None:
        row = self._conn.execute("SELECT * FROM tasks WHERE id=?", (task_id,)).fetchone()
        if row is None:
            return None
        return Task(
            id=row["id"],
            created_at=row["created_at"],
            duration=row["duration"],
            bucket=row["bucket"],
            path=row["path"],
            only_prediction=bool(row["only_prediction"]),
            records=row["records"],
            result=None if row["result"] is None else json.loads(row["result"]),
            error=row["error"],
        )

    def task_count(self) -> int:
        return int(self._conn.execute("SELECT COUNT(*) FROM tasks").fetchone()[0])


class Store(SqliteFile[Tx]):
    """A lazily opened SQLite file; one connection shared by the app's handlers under a lock."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, schema=_SCHEMA, tx=Tx)
