"""The emulated Sony EPA world: the emulator's tables in its SQLite store (``../sqlite.py``).

Models are keyed by the sha256 of their API key: the key identifies the model
on this platform, and the emulator keeps no key in clear, not even on disk.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.emulators.sqlite import Tables, record

TABLES = """
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


class Tx(Tables):
    """The operations available inside one transaction."""

    TABLES = TABLES

    # -- models -------------------------------------------------------------
    def model(self, key_hash: str) -> Model | None:
        row = self._conn.execute("SELECT * FROM models WHERE key_hash=?", (key_hash,)).fetchone()
        return None if row is None else record(Model, row, flags=("deleted", "configuration"))

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
        return None if row is None else record(Job, row, flags=("deleted",))

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
        found = {kind: self.count(table) for kind, table in KINDS}
        found["retrain_started"] = self.count("jobs", "uploaded_at IS NOT NULL")
        return found


#: Objects per kind, as ``/_emulator/stats`` counts them: kind and table.
KINDS = (("model", "models"), ("retrain_job", "jobs"), ("switch", "switches"))
