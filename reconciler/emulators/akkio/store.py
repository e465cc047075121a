"""The emulated Akkio world: the emulator's tables in its SQLite store (``../sqlite.py``).

Ids are derived from a per-kind sequence counted from the rows themselves, so they
are stable and never collide.

Trainings are rows with a creation time and a duration: their status is
computed when read (``world.py``), nothing runs in the background.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from reconciler.emulators.sqlite import Tables, record

#: Objects per kind, as ``/_emulator/stats`` counts them: kind and table.
KINDS = (("dataset", "datasets"), ("task", "tasks"), ("model", "models"))

TABLES = """
CREATE TABLE IF NOT EXISTS datasets (
    id TEXT PRIMARY KEY, seq INTEGER NOT NULL, name TEXT NOT NULL, created_at REAL NOT NULL,
    columns TEXT);
CREATE TABLE IF NOT EXISTS dataset_rows (
    dataset_id TEXT NOT NULL, n INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (dataset_id, n));
CREATE TABLE IF NOT EXISTS tasks (
    id TEXT PRIMARY KEY, seq INTEGER NOT NULL, created_at REAL NOT NULL, duration REAL NOT NULL,
    dataset_id TEXT NOT NULL, params TEXT NOT NULL, error TEXT, model_id TEXT, result TEXT);
CREATE TABLE IF NOT EXISTS models (
    id TEXT PRIMARY KEY, seq INTEGER NOT NULL, name TEXT NOT NULL, task_id TEXT NOT NULL,
    ready_at REAL NOT NULL, data TEXT NOT NULL);
"""


@dataclass(frozen=True)
class Dataset:
    """A dataset: a name and, once the first rows arrived, its columns."""

    id: str
    name: str
    created_at: float
    columns: list[str] | None


@dataclass(frozen=True)
class Task:
    """One training: when it started, how long it takes, and how it ends."""

    id: str
    created_at: float
    duration: float
    dataset_id: str
    params: dict[str, Any]
    error: str | None
    model_id: str | None
    result: dict[str, Any] | None


@dataclass(frozen=True)
class Model:
    """A trained model; listed once its training has finished (``ready_at``)."""

    id: str
    name: str
    task_id: str
    ready_at: float
    data: dict[str, Any]


class Tx(Tables):
    """The operations available inside one transaction."""

    TABLES = TABLES

    def next_seq(self, table: str) -> int:
        assert table in ("datasets", "tasks", "models")
        row = self._conn.execute(f"SELECT COALESCE(MAX(seq), 0) + 1 FROM {table}").fetchone()
        return int(row[0])

    # -- datasets ---------------------------------------------------------------
    def add_dataset(self, dataset: Dataset, *, seq: int) -> None:
        self._conn.execute(
            "INSERT INTO datasets VALUES (?, ?, ?, ?, ?)",
            (dataset.id, seq, dataset.name, dataset.created_at, None),
        )

    def dataset(self, dataset_id: str) -> Dataset | None:
        row = self._conn.execute("SELECT * FROM datasets WHERE id=?", (dataset_id,)).fetchone()
        return None if row is None else _dataset(row)

    def datasets(self) -> list[Dataset]:
        return [_dataset(row) for row in self._conn.execute("SELECT * FROM datasets ORDER BY seq")]

    def set_columns(self, dataset_id: str, columns: list[str]) -> None:
        self._conn.execute("UPDATE datasets SET columns=? WHERE id=?", (json.dumps(columns), dataset_id))

    def add_rows(self, dataset_id: str, rows: list[dict[str, Any]]) -> None:
        start = self.row_count(dataset_id)
        self._conn.executemany(
            "INSERT INTO dataset_rows VALUES (?, ?, ?)",
            ((dataset_id, start + index, json.dumps(row)) for index, row in enumerate(rows)),
        )

    def row_count(self, dataset_id: str) -> int:
        row = self._conn.execute("SELECT COUNT(*) FROM dataset_rows WHERE dataset_id=?", (dataset_id,))
        return int(row.fetchone()[0])

    def rows(self, dataset_id: str) -> list[dict[str, Any]]:
        found = self._conn.execute(
            "SELECT data FROM dataset_rows WHERE dataset_id=? ORDER BY n", (dataset_id,)
        )
        return [json.loads(row[0]) for row in found]

    # -- trainings ----------------------------------------------------------------
    def add_task(self, task: Task, *, seq: int) -> None:
        self._conn.execute(
            "INSERT INTO tasks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                task.id,
                seq,
                task.created_at,
                task.duration,
                task.dataset_id,
                json.dumps(task.params, sort_keys=True),
                task.error,
                task.model_id,
                None if task.result is None else json.dumps(task.result),
            ),
        )

    def task(self, task_id: str) -> Task | None:
        row = self._conn.execute("SELECT * FROM tasks WHERE id=?", (task_id,)).fetchone()
        return None if row is None else _task(row)

    def tasks_like(self, params: dict[str, Any]) -> list[Task]:
        """Trainings sent earlier with exactly these parameters, oldest first."""
        rows = self._conn.execute(
            "SELECT * FROM tasks WHERE params=? ORDER BY seq", (json.dumps(params, sort_keys=True),)
        )
        return [_task(row) for row in rows]

    # -- models -------------------------------------------------------------------
    def add_model(self, model: Model, *, seq: int) -> None:
        self._conn.execute(
            "INSERT INTO models VALUES (?, ?, ?, ?, ?, ?)",
            (model.id, seq, model.name, model.task_id, model.ready_at, json.dumps(model.data)),
        )

    def models(self, *, now: float) -> list[Model]:
        rows = self._conn.execute("SELECT * FROM models WHERE ready_at <= ? ORDER BY seq", (now,))
        return [_model(row) for row in rows]

    def model(self, model_id: str, *, now: float) -> Model | None:
        row = self._conn.execute("SELECT * FROM models WHERE id=? AND ready_at <= ?", (model_id, now))
        found = row.fetchone()
        return None if found is None else _model(found)

    # -- statistics -----------------------------------------------------------------
    def object_counts(self) -> dict[str, int]:
        return {kind: self.count(table) for kind, table in KINDS}


def _dataset(row: sqlite3.Row) -> Dataset:
    return record(Dataset, row, json=("columns",))


def _task(row: sqlite3.Row) -> Task:
    return record(Task, row, json=("params", "result"))


def _model(row: sqlite3.Row) -> Model:
    return record(Model, row, json=("data",))
