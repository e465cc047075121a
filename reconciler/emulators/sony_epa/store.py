"""The emulated Sony EPA world, kept in one SQLite file.

SQLite rather than memory for the same reason as every emulator here: the
embedded emulator is started afresh by every command, and a second run (or a
served emulator beside it) must see the jobs the first one created.  Every
request runs in one ``BEGIN IMMEDIATE`` transaction.

Models are keyed by the sha256 of their API key: the key identifies the model
on this platform, and the emulator keeps no key in clear, not even on disk.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from reconciler.emulators.sqlite import REQUEST_COUNTS, RequestCounts, SqliteFile

_SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS models (
    key_hash TEXT PRIMARY KEY, model_id TEXT NOT NULL, created_at REAL NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0, configuration INTEGER NOT NULL DEFAULT 1, serving_job TEXT);
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, key_hash TEXT NOT NULL, filename TEXT NOT NULL, created_at REAL NOT NULL,
    signature TEXT NOT NULL, duration REAL NOT NULL, uploaded_at REAL, size INTEGER, sha256 TEXT,
    error TEXT, result_model_id TEXT, deleted INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS switches (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, key_hash TEXT NOT NULL, job_id TEXT NOT NULL, at REAL NOT NULL);
"""
    + REQUEST_COUNTS
)


@dataclass(frozen=True)
class Model:
    """A model reached with one API key."""

    key_hash: str
    model_id: str
    deleted: bool
    configuration: bool
    serving_job: str | None


@dataclass(frozen=True)
class Job:
    """One retrain job: issued with an upload URL, started when its file arrives."""

    id: str
    key_hash: str
    filename: str
    created_at: float
    signature: str
    duration: float
    uploaded_at: float | None
    size: int | None
    sha256: str | None
    error: str | None
    result_model_id: str | None
    deleted: bool


class Tx(RequestCounts):
    """The operations available inside one transaction."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    # -- models -------------------------------------------------------------
    def model(self, key_hash: str) -> Model | None:
        row = self._conn.execute("SELECT * FROM models WHERE key_hash=?", (key_hash,)).fetchone()
        if row is None:
            return None
        return Model(
            key_hash=row["key_hash"],
            model_id=row["model_id"],
            deleted=bool(row["deleted"]),
            configuration=bool(row["configuration"]),
            serving_job=row["serving_job"],
        )

    def add_model(self, key_hash: str, model_id: str, *, now: float) -> None:
        self._conn.execute(
            "INSERT INTO models (key_hash, model_id, created_at) VALUES (?, ?, ?)", (key_hash, model_id, now)
        )

    def damage_model(self, key_hash: str, *, deleted: bool = False, configuration_lost: bool = False) -> None:
        if deleted:
            self._conn.execute("UPDATE models SET deleted=1 WHERE key_hash=?", (key_hash,))
        if configuration_lost:
            self._conn.execute("UPDATE models SET configuration=0 WHERE key_hash=?", (key_hash,))

    def serve(self, key_hash: str, job_id: str, *, now: float) -> None:
        self._conn.execute("UPDATE models SET serving_job=? WHERE key_hash=?", (job_id, key_hash))
        self._conn.execute(
            "INSERT INTO switches (key_hash, job_id, at) VALUES (?, ?, ?)", (key_hash, job_id, now)
        )

    # -- jobs ---------------------------------------------------------------
    def add_job(self, job: Job) -> None:
        self._conn.execute(
            "INSERT INTO jobs (id, key_hash, filename, created_at, signature, duration)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (job.id, job.key_hash, job.filename, job.created_at, job.signature, job.duration),
        )

    def job(self, job_id: str) -> Job | None:
        row = self._conn.execute("SELECT * FROM jobs WHERE id=?", (job_id,)).fetchone()
        if row is None:
            return None
        return Job(
            id=row["id"],
            key_hash=row["key_hash"],
            filename=row["filename"],
            created_at=row["created_at"],
            signature=row["signature"],
            duration=row["duration"],
            uploaded_at=row["uploaded_at"],
            size=row["size"],
            sha256=row["sha256"],
            error=row["error"],
            result_model_id=row["result_model_id"],
            deleted=bool(row["deleted"]),
        )

    def start_job(
        self, job_id: str, *, now: float, size: int, sha256: str, error: str | None, result_model_id: str
    ) -> None:
        self._conn.execute(
            "UPDATE jobs SET uploaded_at=?, size=?, sha256=?, error=?, result_model_id=? WHERE id=?",
            (now, size, sha256, error, result_model_id, job_id),
        )

    def job_ids(self) -> list[str]:
        return [str(row[0]) for row in self._conn.execute("SELECT id FROM jobs ORDER BY created_at, id")]

    def delete_job(self, job_id: str) -> bool:
        return self._conn.execute("UPDATE jobs SET deleted=1 WHERE id=?", (job_id,)).rowcount > 0

    # -- statistics -----------------------------------------------------------
    def counts(self) -> dict[str, int]:
        found = {}
        for kind, table in (("model", "models"), ("retrain_job", "jobs"), ("switch", "switches")):
            found[kind] = int(self._conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
        found["retrain_started"] = int(
            self._conn.execute("SELECT COUNT(*) FROM jobs WHERE uploaded_at IS NOT NULL").fetchone()[0]
        )
        return found


class Store(SqliteFile[Tx]):
    """A lazily opened SQLite file; one connection shared by the app's handlers under a lock."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, schema=_SCHEMA, tx=Tx)
