"""Checkpoints: the write-ahead record of every mutating call, persisted as it happens.

The engine owns the in-memory state document during apply; every intent, job
id and result goes through :class:`Checkpointer`.  :class:`ResourceJournal`
is the per-resource view a provider gets.

A checkpoint must be durable before the call it announces is sent, yet its
cost must not grow with the number of resources (an apply of n resources
would cost O(n²)).  With a backend that keeps a checkpoint log
(:class:`~reconciler.state.backend.AppendingBackend`) a checkpoint appends
the one changed record; checkpoints made by concurrent branches in the same
turn of the event loop share one append and one fsync (group commit).  The
whole document is rewritten ("compacted") only when the log has grown as
long as the document (so its cost per checkpoint stays constant), when the
log has been left uncompacted for a while (so the state file itself is
never far behind, for readers that open it directly), and once at the end
(:meth:`Checkpointer.close`).  Other backends get one whole write per
checkpoint, serialised so concurrent branches never interleave.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from reconciler import errors
from reconciler.providers.base import fingerprint
from reconciler.providers.identity import Identity, canonical_form
from reconciler.state.backend import AppendingBackend
from reconciler.state.document import PendingOperation, ResourceState, StateDocument

#: A checkpoint log shorter than this is not compacted for its length (only for its age or at the end).
MIN_COMPACT_RECORDS = 4
#: The least time a checkpoint log stays uncompacted; longer when compacting takes long (``_compacted``).
COMPACT_AFTER = 1.0
#: At most this share of the time goes to compacting because of the checkpoint log's age.
COMPACT_SHARE = 0.02


class StateWriter(Protocol):
    """The part of a state backend apply needs."""

    def write(self, document: StateDocument) -> StateDocument: ...


class Checkpointer:
    """The state document being applied, persisted after every change to it.

    With a checkpoint log the appends and compactions run one at a time on a
    worker thread (:meth:`_drain`), so a fsync holds up only the branches
    waiting for that very checkpoint, never the event loop: the other
    branches keep polling and sending, and what they checkpoint meanwhile
    goes out together in the next append.
    """

    def __init__(
        self,
        document: StateDocument,
        backend: StateWriter,
        *,
        compact_after: float = COMPACT_AFTER,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.document = document
        self.backend = backend
        self._log = backend if isinstance(backend, AppendingBackend) else None
        self._lock = asyncio.Lock()
        self._clock = clock
        self._compact_after = compact_after
        self.writes = 0  # whole-document writes
        self.appends = 0  # checkpoint log appends (each one fsync, for one or more records)
        self._unsynced: list[str] = []
        self._batch: asyncio.Future[None] | None = None
        self._logged = 0
        self._timer: asyncio.TimerHandle | None = None
        self._failure: errors.StateError | None = None
        self._writer: asyncio.Task[None] | None = None  # the drain in progress, if any
        self._due = False  # compacting for the log's age is due
        #: Held by whoever touches the backend (the worker thread, or :meth:`close`): one at a time.
        self._io = threading.Lock()
        self._closed = False
        self._inflight: asyncio.Future[None] | None = None  # the batch on the worker thread

    async def put(self, address: str, record: ResourceState | None) -> None:
        """Set (or with ``None`` remove) one resource's record; return once it is durable."""
        if self._failure is not None:
            raise self._failure
        resources = dict(self.document.resources)
        if record is None:
            resources.pop(address, None)
        else:
            earlier = resources.get(address)
            if earlier is not None and earlier.moved_from and not record.moved_from:
                # Where moved blocks took it from stays known, so those blocks stay "applied".
                record = record.model_copy(update={"moved_from": list(earlier.moved_from)})
            resources[address] = record
        if self._log is None:
            async with self._lock:
                candidate = self.document.model_copy(update={"resources": resources})
                self.document = self.backend.write(candidate)
                self.writes += 1
            return
        self.document = self.document.model_copy(update={"resources": resources})
        self._unsynced.append(address)
        if self._batch is None:
            loop = asyncio.get_running_loop()
            self._batch = loop.create_future()
            # After the branches already runnable in this turn had their say: one fsync for all.
            loop.call_soon(self._kick)
        # Shielded: a branch cancelled while waiting must not cancel the others' commit.
        await asyncio.shield(self._batch)

    def get(self, address: str) -> ResourceState | None:
        return self.document.resources.get(address)

    def close(self) -> None:
        """Flush what is still buffered and fold the checkpoint log into the document (end of apply)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        with self._io:  # an append or compaction still on the worker thread finishes first
            self._closed = True  # and one about to start does nothing: everything is written here
            writer, self._writer = self._writer, None
            if writer is not None:
                writer.cancel()  # its result is folded in below: the whole document is written
            batches = [batch for batch in (self._inflight, self._batch) if batch is not None]
            self._inflight = self._batch = None
            unsynced, self._unsynced = self._unsynced, []
            if self._failure is None and (self._logged or unsynced or writer is not None):
                self._write_whole()
            for batch in batches:  # the whole document written holds their checkpoints
                if batch.done():
                    continue
                if self._failure is not None:
                    batch.set_exception(self._failure)
                    batch.exception()
                else:
                    batch.set_result(None)
        if self._failure is not None:
            raise self._failure

    def _kick(self) -> None:
        """Start draining, unless a drain is already on it (it takes the new batch next)."""
        if self._writer is None and (self._batch is not None or self._due):
            self._writer = asyncio.ensure_future(self._drain())

    async def _drain(self) -> None:
        """Append the waiting batch, compact when due, and again while more came meanwhile."""
        assert self._log is not None
        log = self._log
        try:
            while self._failure is None and (self._batch is not None or self._due):
                if self._batch is not None:
                    batch = self._inflight = self._batch
                    self._batch = None
                    addresses, self._unsynced = list(dict.fromkeys(self._unsynced)), []
                    document = self.document
                    try:
                        await asyncio.to_thread(self._locked, log.append, document, addresses)
                    except _Closed:
                        return
                    except errors.StateError as exc:
                        self._fail(exc, batch)
                        return
                    self._inflight = None
                    self.appends += 1
                    self._logged += len(addresses)
                    batch.set_result(None)
                    if self._logged >= max(MIN_COMPACT_RECORDS, len(self.document.resources)):
                        self._due = True
                    elif self._timer is None:
                        loop = asyncio.get_running_loop()
                        self._timer = loop.call_later(self._compact_after, self._age_due)
                if self._due:
                    await self._compact()
        finally:
            if self._writer is asyncio.current_task():
                self._writer = None

    def _locked(self, call: Callable[..., Any], *args: Any) -> Any:
        """``call`` on the worker thread, unless :meth:`close` got there first (it wrote everything)."""
        with self._io:
            if self._closed:
                raise _Closed
            try:
                return call(*args)
            except errors.StateError:
                raise
            except Exception as exc:  # anything else still stops the apply as a state error would
                raise errors.StateError(f"could not record the state: {exc}") from exc

    def _age_due(self) -> None:
        self._timer = None
        self._due = True
        self._kick()

    def _fail(self, exc: errors.StateError, batch: asyncio.Future[None]) -> None:
        self._failure = exc  # raised by the next checkpoint: nothing new starts
        self._inflight = None
        for waiting in (batch, self._batch):
            if waiting is not None and not waiting.done():
                waiting.set_exception(exc)
                waiting.exception()  # retrieved here: every waiter may have been cancelled
        self._batch = None

    async def _compact(self) -> None:
        """Rewrite the whole document (folding the log in) on the worker thread."""
        self._due = False
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._logged:
            return
        document, logged = self.document, self._logged
        started = self._clock()
        try:
            written = await asyncio.to_thread(self._locked, self.backend.write, document)
        except _Closed:
            return
        except errors.StateError as exc:
            self._failure = exc  # raised by the next checkpoint: nothing new starts
            return
        self.writes += 1
        self._logged -= logged
        # Records put meanwhile are in memory and waiting for the next append: only the serial is taken.
        self.document = self.document.model_copy(update={"serial": written.serial})
        # Compacting for age costs at most COMPACT_SHARE of the time, however big the document.
        self._compact_after = max(self._compact_after, (self._clock() - started) / COMPACT_SHARE)

    def _write_whole(self) -> None:
        """The whole document written now (the caller holds ``_io``)."""
        try:
            self.document = self.backend.write(self.document)
        except errors.StateError as exc:
            self._failure = exc
            return
        self.writes += 1
        self._logged = 0


class _Closed(Exception):
    """The checkpointer was closed before the worker thread got to its call."""


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
        #: The fingerprint the plan showed ("" when the plan could not know it yet).
        self._planned = fingerprint
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

    async def intent(
        self, step: str, *, identity: Identity | Mapping[str, Any] | None = None, **detail: Any
    ) -> None:
        form = None
        if identity is not None:
            form = canonical_form(identity)
            print_ = fingerprint(form)
            if self._planned and print_ != self._planned:
                # What would be sent is not what the plan showed: refuse before anything is sent.
                raise errors.PlanError(
                    f"{self._address}: what apply would send now ({print_[:19]}) is not what the plan "
                    f"showed ({self._planned[:19]}); its inputs changed after the plan was made",
                    hint="run plan again",
                )
            self._fingerprint = print_
        record = self._record()
        # A later step of the same operation (activate after create) acts on the job already
        # submitted: keep its id, so a crash between the steps resumes instead of resubmitting.
        previous = (
            record.pending if record.pending and record.pending.fingerprint == self._fingerprint else None
        )
        if previous is None and identity is None and self._action == "resume" and record.pending:
            # The job being resumed was recorded under an older identity version: still the same job.
            previous = record.pending
            self._fingerprint = previous.fingerprint
        pending = PendingOperation(
            action=self._action,
            step=step,
            fingerprint=self._fingerprint,
            job_id=previous.job_id if previous else None,
            detail={**(previous.detail if previous else {}), **detail},
            identity=form if form is not None else (previous.identity if previous else None),
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
