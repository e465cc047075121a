"""Run history: what each plan or apply of a workspace found and did, kept beside its state.

The agent records one :class:`RunRecord` per cycle and the status page reads
the newest ones back, so both backends keep a history next to the document:

* PostgreSQL: the ``reconciler_runs`` table (see :mod:`.pg_schema`), one row
  per run, keyed by workspace; the newest :data:`KEEP` per workspace are kept.
* Local: JSON lines in ``<state>.runs.jsonl`` beside the state file, appended
  and fsynced; a line cut short by a crash is skipped when read, and the file
  is rewritten atomically with the newest :data:`KEEP` lines once it holds
  twice as many.

A run's texts (its error, each failure's message) are redacted and cut short
before they are stored: the history is shown on a page, and nothing secret
may reach it.  Reading never creates a file or a table.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reconciler import errors
from reconciler.redact import cut, known
from reconciler.state.backend import StateBackend
from reconciler.state.local import LocalBackend, atomic_write

RunKind = Literal["plan", "apply"]
RunOutcome = Literal["in_sync", "changes", "applied", "running", "failed", "error"]
DriftClass = Literal["in_sync", "spec", "live", "running", "rejected"]

#: How many runs per workspace a history keeps.
KEEP = 500
#: How long a stored message may be.
MESSAGE_LIMIT = 300


class RunRecord(BaseModel):
    """One plan or apply of one workspace: when, what the plan found, what the apply did, what failed.

    ``outcome`` of a plan run: ``in_sync`` (no changes), ``changes`` (changes
    not applied: not allowed, or waiting for approval), ``error`` (no plan was
    made).  Of an apply run: ``applied`` (every change done), ``running``
    (jobs still running, or waiting on them; nothing failed), ``failed``
    (something failed, was rejected by its checks, or was not started),
    ``error`` (the run itself failed).
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    workspace: str
    kind: RunKind
    started_at: datetime
    finished_at: datetime
    outcome: RunOutcome
    #: The worst drift class the run's plan found; None when no plan was made.
    drift: DriftClass | None = None
    #: Planned changes by action (``create``, ``update``, ``replace``, ``resume``…), non-zero counts.
    plan_summary: dict[str, int] = Field(default_factory=dict)
    #: Apply runs: changes by how they ended (``done``, ``failed``, ``pending``…), non-zero counts.
    apply_summary: dict[str, int] = Field(default_factory=dict)
    #: Address -> the message of its failure (redacted, cut short).
    failures: dict[str, str] = Field(default_factory=dict)
    #: The run's own error, one line, redacted.
    error: str | None = None
    #: A saved plan waiting for approval (``reconciler approve PLANFILE``).
    plan_file: str | None = None
    #: Who ran it: ``host:pid`` of an agent.
    agent: str = ""
    #: Assigned by the store: increasing per workspace.
    id: int | None = None

    @property
    def duration(self) -> float:
        """Seconds from start to finish."""
        return (self.finished_at - self.started_at).total_seconds()

    def cleaned(self) -> RunRecord:
        """This run with times in UTC and every text redacted and cut short."""
        return self.model_copy(
            update={
                "started_at": _utc(self.started_at),
                "finished_at": _utc(self.finished_at),
                "error": None if self.error is None else _clean(self.error),
                "failures": {address: _clean(text) for address, text in self.failures.items()},
                "plan_summary": {k: v for k, v in self.plan_summary.items() if v},
                "apply_summary": {k: v for k, v in self.apply_summary.items() if v},
            }
        )


def record_run(backend: StateBackend, run: RunRecord) -> RunRecord:
    """Append ``run`` to the history of ``backend``'s workspace; return it with its id."""
    clean = run.cleaned()
    if isinstance(backend, LocalBackend):
        return _append_local(runs_path(backend.path), clean)
    record = getattr(backend, "record_run", None)
    if record is None:
        raise errors.StateError(f"{backend.describe()} keeps no run history")
    stored: RunRecord = record(clean)
    return stored


def recent_runs(backend: StateBackend, *, limit: int = 20) -> list[RunRecord]:
    """The newest runs of ``backend``'s workspace first, at most ``limit``; [] when there are none."""
    if limit <= 0:
        return []
    if isinstance(backend, LocalBackend):
        return _read_local(runs_path(backend.path))[::-1][:limit]
    recent = getattr(backend, "recent_runs", None)
    if recent is None:
        return []
    runs: list[RunRecord] = recent(limit)
    return runs


def runs_path(state_path: Path) -> Path:
    """Where a local state's run history is kept: ``<state>.runs.jsonl`` beside it."""
    return state_path.with_name(state_path.name + ".runs.jsonl")


def parse_run(text: str) -> RunRecord | None:
    """A stored run, or None for a line that is not one (cut short by a crash, or damaged)."""
    try:
        return RunRecord.model_validate_json(text)
    except ValidationError:
        return None


# -- the local file ---------------------------------------------------------------------------


def _append_local(path: Path, run: RunRecord) -> RunRecord:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _unwritable(path, exc) from exc
    existing = _read_local(path)
    number = (max((r.id or 0 for r in existing), default=0)) + 1
    stored = run.model_copy(update={"id": number})
    line = (stored.model_dump_json() + "\n").encode()
    try:
        if len(existing) + 1 >= 2 * KEEP:
            kept = [*existing[-(KEEP - 1) :], stored]
            atomic_write(path, b"".join((r.model_dump_json() + "\n").encode() for r in kept))
            return stored
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            if _ends_cut(path):
                line = b"\n" + line  # the crashed line stays alone on its own (skipped) line
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise _unwritable(path, exc) from exc
    return stored


def _unwritable(path: Path, exc: OSError) -> errors.StateError:
    return errors.StateError(
        f"cannot record the run in {path}: {exc.strerror or exc}",
        hint=errors.os_hint(exc) or "check that the state directory can be written",
    )


def _read_local(path: Path) -> list[RunRecord]:
    try:
        data = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise errors.StateError(f"cannot read the run history {path}: {exc.strerror or exc}") from exc
    runs = []
    for line in data.splitlines():
        run = parse_run(line) if line.strip() else None
        if run is not None:
            runs.append(run)
    return runs


def _ends_cut(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        if handle.tell() == 0:
            return False
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) != b"\n"


# -- shared -----------------------------------------------------------------------------------


def _clean(text: str) -> str:
    return cut(" ".join(known()(text).split()), MESSAGE_LIMIT)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
