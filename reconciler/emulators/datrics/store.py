"""The emulated Datrics tasks: the emulator's tables in its SQLite store (``../sqlite.py``).

A task stores its outcome (predictions or the error) from the moment it is
submitted, with a creation time and a duration; its Celery state is computed
when read (``tasks.py``), so nothing runs in the background.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from reconciler.emulators.sqlite import Tables, record

TABLES = """
CREATE TABLE IF NOT EXISTS tasks (
    id TEXT PRIMARY KEY, created_at REAL NOT NULL, duration REAL NOT NULL,
    bucket TEXT NOT NULL, path TEXT NOT NULL, only_prediction INTEGER NOT NULL,
    records INTEGER NOT NULL, result TEXT, error TEXT);
"""


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


class Tx(Tables):
    """The operations available inside one transaction."""

    TABLES = TABLES

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
        return None if row is None else record(Task, row, flags=("only_prediction",), json=("result",))

    def task_count(self) -> int:
        return self.count("tasks")
