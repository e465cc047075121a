"""The one interface every state backend keeps, so the engine never knows where state lives.

The rules live here, in words, because each backend enforces them its own way
(a local file, a PostgreSQL row) and one contract test suite holds them all to
the same behaviour:

* ``read`` never fails on a missing state: it returns a fresh document (new
  lineage, serial 0).  A stored document that does not parse, or that has
  another ``format_version``, is :class:`~reconciler.errors.StateCorrupt` and
  the message says which store and how to recover.
* ``write`` stores only real changes: content (lineage + resources) equal to
  what was last read or written is not written again and keeps its serial.
  A change is stored with ``serial = stored serial + 1`` and the stored copy is
  returned.  A document of another lineage is refused: it belongs to some
  other workspace, and overwriting would lose everything recorded there.
* A failed write never loses the document: an emergency copy is kept and
  :class:`~reconciler.errors.StateWriteFailed` says where and how to recover.
* ``lock`` is exclusive across processes and hosts sharing the store; a lock
  held elsewhere is :class:`~reconciler.errors.StateLocked` naming the holder
  and the ``reconciler force-unlock SPEC LOCK_ID`` that would remove it.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Protocol, runtime_checkable

from reconciler.state.document import StateDocument
from reconciler.state.lock import LockInfo


@runtime_checkable
class StateBackend(Protocol):
    """Where one workspace's state document is kept, and its lock."""

    def read(self) -> StateDocument:
        """The stored document, or a fresh empty one if nothing is stored yet."""
        ...

    def write(self, document: StateDocument) -> StateDocument:
        """Store ``document`` if its content changed; return it with the serial it is stored under."""
        ...

    def lock(self, *, operation: str, timeout: float = 0.0) -> AbstractContextManager[LockInfo]:
        """Hold the exclusive lock for the ``with`` block, waiting up to ``timeout`` seconds for it."""
        ...

    def force_unlock(self, lock_id: str) -> None:
        """Remove the lock recorded under ``lock_id``; the user vouches that its holder is gone."""
        ...

    def describe(self) -> str:
        """A short human name for the store, such as ``local state file state/demo.json``."""
        ...


@runtime_checkable
class AppendingBackend(Protocol):
    """A backend that can record a checkpoint without rewriting the whole document."""

    def append(self, document: StateDocument, addresses: Sequence[str]) -> None:
        """Durably record the records of ``addresses`` in ``document`` (as set or removed there).

        ``document`` is the last document read or written, changed only in its
        resources; its serial is the stored one.  When this returns, a crash
        loses nothing: ``read`` gives ``document``.  The next ``write`` of a
        document folds the checkpoint log in.
        """
        ...
