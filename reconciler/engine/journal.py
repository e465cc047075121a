"""Checkpoints: the write-ahead record of every mutating call, persisted as it happens.

The engine owns the in-memory state document during apply; every intent, job
id and result goes through :class:`Checkpointer`, which serialises writes to
the backend so that concurrent branches never interleave a half-updated
document.  :class:`ResourceJournal` is the per-resource view a provider gets.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from reconciler.providers.base import fingerprint
from reconciler.state.model import PendingOperation, ResourceState, StateDocument


class StateWriter(Protocol):
    """The part of a state backend apply needs."""

    def write(self, document: StateDocument) -> StateDocument: ...


class Checkpointer:
    """The state document being applied, persisted after every change to it."""

    def __init__(self, document: StateDocument, backend: StateWriter) -> None:
        self.document = document
        self.backend = backend
        self._lock = asyncio.Lock()
        self.writes = 0

    async def put(self, address: str, record: ResourceState | None) -> None:
        """Set (or with ``None`` remove) one resource's record and persist the document."""
        async with self._lock:
            resources = dict(self.document.resources)
            if record is None:
                resources.pop(address, None)
            else:
                resources[address] = record
            candidate = self.document.model_copy(update={"resources": resources})
            self.document = self.backend.write(candidate)
            self.writes += 1

    def get(self, address: str) -> ResourceState | None:
        return self.document.resources.get(address)


class ResourceJournal:
    """One resource's write-ahead record, as the provider sees it."""

    def __init__(
        self,
        checkpointer: Checkpointer,
        *,
        address: str,
        type_name: str,
        provider: str,
        action: str,
        fingerprint: str,
        on_progress: Callable[[str, str, float | None], None] | None = None,
    ) -> None:
        self._checkpointer = checkpointer
        self._address = address
        self._type = type_name
        self._provider = provider
        self._action = action
        self._fingerprint = fingerprint
        self._on_progress = on_progress

    def _record(self) -> ResourceState:
        existing = self._checkpointer.get(self._address)
        if existing is not None:
            return existing
        return ResourceState(type=self._type, provider=self._provider, status="pending")

    @property
    def pending(self) -> PendingOperation | None:
        record = self._checkpointer.get(self._address)
        return record.pending if record else None

    async def intent(self, step: str, *, identity: Mapping[str, Any] | None = None, **detail: Any) -> None:
        if identity is not None:
            self._fingerprint = fingerprint(identity)
        record = self._record()
        # A later step of the same operation (activate after create) acts on the job already
        # submitted: keep its id, so a crash between the steps resumes instead of resubmitting.
        previous = (
            record.pending if record.pending and record.pending.fingerprint == self._fingerprint else None
        )
        pending = PendingOperation(
            action=self._action,
            step=step,
            fingerprint=self._fingerprint,
            job_id=previous.job_id if previous else None,
            detail={**(previous.detail if previous else {}), **detail},
        )
        await self._checkpointer.put(
            self._address, record.model_copy(update={"pending": pending, "status": "pending"})
        )

    async def submitted(self, job_id: str | int, **detail: Any) -> None:
        record = self._record()
        assert record.pending is not None, "submitted() without intent()"
        pending = record.pending.model_copy(
            update={"job_id": job_id, "detail": {**record.pending.detail, **detail}}
        )
        await self._checkpointer.put(self._address, record.model_copy(update={"pending": pending}))

    def progress(self, word: str, *, estimate_seconds: float | None = None) -> None:
        if self._on_progress is not None:
            self._on_progress(self._address, word, estimate_seconds)
