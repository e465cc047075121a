"""The emulated Alviss world: the emulator's tables in its SQLite store (``../sqlite.py``).

Several processes may share a data directory (an embedded run next to a
served one), so ids are allocated inside each request's transaction from the
rows themselves; no counter can drift from the data.

Jobs are rows with a creation time and a duration; their status is computed
when read (see ``jobs.py``), so nothing here runs in the background.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from reconciler.emulators.sqlite import Tables, record

OBJECT_KINDS: tuple[str, ...] = ("upload", "dataset", "model", "attribution", "attribution_set")

TABLES = """
CREATE TABLE IF NOT EXISTS projects (
    team INTEGER NOT NULL, project INTEGER NOT NULL, created_at REAL NOT NULL,
    PRIMARY KEY (team, project));
CREATE TABLE IF NOT EXISTS objects (
    team INTEGER NOT NULL, project INTEGER NOT NULL, kind TEXT NOT NULL, id INTEGER NOT NULL,
    created_at REAL NOT NULL, duration REAL NOT NULL, error TEXT, activated_at REAL, data TEXT NOT NULL,
    PRIMARY KEY (team, project, kind, id));
CREATE TABLE IF NOT EXISTS upload_keys (
    team INTEGER NOT NULL, project INTEGER NOT NULL, upload_id INTEGER NOT NULL,
    country TEXT NOT NULL, region TEXT NOT NULL, grouping TEXT NOT NULL, date TEXT NOT NULL,
    PRIMARY KEY (team, project, upload_id, country, region, grouping, date)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS graphs (
    team INTEGER NOT NULL, kind TEXT NOT NULL, id INTEGER NOT NULL, graph_id INTEGER, data TEXT NOT NULL,
    PRIMARY KEY (team, kind, id));
"""


@dataclass(frozen=True)
class Obj:
    """One stored object (upload, dataset, model, attribution or attribution set)."""

    team: int | str
    project: int | str
    kind: str
    id: int
    created_at: float
    duration: float
    error: str | None
    activated_at: float | None
    data: dict[str, Any]


class Tx(Tables):
    """The operations available inside one transaction."""

    TABLES = TABLES

    # -- projects ---------------------------------------------------------
    def has_project(self, team: int | str, project: int | str) -> bool:
        row = self._conn.execute(
            "SELECT 1 FROM projects WHERE team=? AND project=?", (team, project)
        ).fetchone()
        return row is not None

    def add_project(self, team: int | str, project: int | str, *, now: float) -> None:
        self._conn.execute("INSERT INTO projects VALUES (?, ?, ?)", (team, project, now))

    def projects(self) -> list[tuple[int | str, int | str]]:
        """Every project opened so far; ids as stored (an integer, or a string id such as ``acme``)."""
        rows = self._conn.execute("SELECT team, project FROM projects ORDER BY team, project").fetchall()
        return [(team, project) for team, project in rows]

    # -- objects ----------------------------------------------------------
    def next_id(self, team: int | str, project: int | str, kind: str) -> int:
        row = self._conn.execute(
            "SELECT COALESCE(MAX(id), 0) + 1 FROM objects WHERE team=? AND project=? AND kind=?",
            (team, project, kind),
        ).fetchone()
        return int(row[0])

    def insert(self, obj: Obj) -> None:
        self._conn.execute(
            "INSERT INTO objects VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                obj.team,
                obj.project,
                obj.kind,
                obj.id,
                obj.created_at,
                obj.duration,
                obj.error,
                obj.activated_at,
                json.dumps(obj.data),
            ),
        )

    def get(self, team: int | str, project: int | str, kind: str, obj_id: int) -> Obj | None:
        row = self._conn.execute(
            "SELECT * FROM objects WHERE team=? AND project=? AND kind=? AND id=?",
            (team, project, kind, obj_id),
        ).fetchone()
        return None if row is None else _obj(row)

    def all(self, team: int | str, project: int | str, kind: str) -> list[Obj]:
        rows = self._conn.execute(
            "SELECT * FROM objects WHERE team=? AND project=? AND kind=? ORDER BY id", (team, project, kind)
        ).fetchall()
        return [_obj(row) for row in rows]

    def set_activated(
        self, team: int | str, project: int | str, kind: str, obj_id: int, *, at: float
    ) -> None:
        self._conn.execute(
            "UPDATE objects SET activated_at=? WHERE team=? AND project=? AND kind=? AND id=?",
            (at, team, project, kind, obj_id),
        )

    def latest_activated(self, team: int | str, project: int | str, kind: str, *, now: float) -> Obj | None:
        """The object activated last, at or before ``now`` (activation may be scheduled ahead)."""
        row = self._conn.execute(
            "SELECT * FROM objects WHERE team=? AND project=? AND kind=? AND activated_at IS NOT NULL"
            " AND activated_at <= ? AND error IS NULL ORDER BY activated_at DESC, id DESC LIMIT 1",
            (team, project, kind, now),
        ).fetchone()
        return None if row is None else _obj(row)

    # -- upload keys (what the dates endpoint filters) ---------------------
    def add_keys(
        self, team: int | str, project: int | str, upload_id: int, keys: Iterable[tuple[str, str, str, str]]
    ) -> None:
        self._conn.executemany(
            "INSERT OR IGNORE INTO upload_keys VALUES (?, ?, ?, ?, ?, ?, ?)",
            ((team, project, upload_id, *key) for key in keys),
        )

    def dates(
        self,
        team: int | str,
        project: int | str,
        upload_ids: list[int],
        combinations: list[tuple[str, str, str]],
    ) -> list[str]:
        found: set[str] = set()
        marks = ",".join("?" * len(upload_ids))
        for country, region, grouping in combinations:
            rows = self._conn.execute(
                f"SELECT DISTINCT date FROM upload_keys WHERE team=? AND project=? AND upload_id IN ({marks})"
                " AND country=? AND region=? AND grouping=?",
                (team, project, *upload_ids, country, region, grouping),
            ).fetchall()
            found.update(str(row[0]) for row in rows)
        return sorted(found)

    # -- graphs (ids unique within a team) --------------------------------
    def add_graph(self, team: int | str, kind: str, *, graph_id: int | None, data: dict[str, Any]) -> int:
        row = self._conn.execute(
            "SELECT COALESCE(MAX(id), 0) + 1 FROM graphs WHERE team=? AND kind=?", (team, kind)
        ).fetchone()
        new_id = int(row[0])
        self._conn.execute(
            "INSERT INTO graphs VALUES (?, ?, ?, ?, ?)", (team, kind, new_id, graph_id, json.dumps(data))
        )
        return new_id

    def graph(self, team: int | str, kind: str, graph_id: int) -> tuple[int | None, dict[str, Any]] | None:
        row = self._conn.execute(
            "SELECT graph_id, data FROM graphs WHERE team=? AND kind=? AND id=?", (team, kind, graph_id)
        ).fetchone()
        return None if row is None else (row[0], json.loads(row[1]))

    # -- statistics ---------------------------------------------------------
    def object_counts(self) -> list[tuple[int | str, int | str, str, int]]:
        rows = self._conn.execute(
            "SELECT team, project, kind, COUNT(*) FROM objects GROUP BY team, project, kind"
        ).fetchall()
        return [(a, b, str(c), int(d)) for a, b, c, d in rows]


def _obj(row: sqlite3.Row) -> Obj:
    return record(Obj, row, json=("data",))
