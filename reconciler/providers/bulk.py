"""Reading in bulk during one refresh: one list read per platform client and kind of object.

A no-op plan of 2,000 uploads in 100 projects used to send 2,000 reads, one
per recorded object; where the platform lists a kind of object, the same
facts come from 100 list reads.  The planner's refresh opens a
:func:`snapshot` (a context variable, so every read the refresh starts sees
it, and nothing outside a refresh does: an apply's waits and an import's
reads stay per object, as fresh as can be); a provider's ``read`` asks
:func:`listed` for its recorded object and gets it from the kind's list, read
once per client within this refresh.

The list is a shortcut, never a verdict: an object missing from the list, a
listed item without what the decision needs, or a list the platform does not
serve (the documented variants, a refused or unreadable answer) all mean
"read that object on its own", so "gone" is still concluded only from the
object's own reads (:func:`reconciler.providers.jobs.read_or_gone`).
A list is read only where the refresh reads at least :data:`AT_LEAST` recorded
objects of one type through one client: for a single object, its own read is
no more requests and a smaller answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from reconciler import errors

T = TypeVar("T")
#: Reads of one type through one client, at least, for its kind to be listed.
AT_LEAST = 2


@dataclass
class Snapshot:
    """One refresh's lists: how many recorded objects each (client, type) reads, and the lists read."""

    wanted: Counter[tuple[int, str]]
    lists: dict[tuple[int, str], asyncio.Future[dict[str, Any] | None]] = field(default_factory=dict)

    def worth_listing(self, client: object, type_name: str) -> bool:
        return self.wanted[(id(client), type_name)] >= AT_LEAST


_CURRENT: contextvars.ContextVar[Snapshot | None] = contextvars.ContextVar("bulk_snapshot", default=None)


@contextlib.contextmanager
def snapshot(reads: Sequence[tuple[object, str]]) -> Iterator[Snapshot]:
    """Lists shared by the reads started inside: ``reads`` is one (client, resource type) per recorded
    object the refresh will read."""
    current = Snapshot(Counter((id(client), type_name) for client, type_name in reads))
    token = _CURRENT.set(current)
    try:
        yield current
    finally:
        _CURRENT.reset(token)
        for future in current.lists.values():
            if not future.done():
                future.cancel()


async def listed(
    client: object,
    type_name: str,
    kind: str,
    object_id: Any,
    list_all: Callable[[], Awaitable[Sequence[T]]],
    key: Callable[[T], Any],
) -> T | None:
    """The object ``object_id`` as the current refresh's list of ``kind`` shows it, else None.

    None means "read it on its own": no refresh is running, too few objects
    of this type are read through this client, the platform lists no
    ``kind`` (or the list could not be read), or the object is not in it.
    """
    current = _CURRENT.get()
    if current is None or object_id is None or not current.worth_listing(client, type_name):
        return None
    memo = (id(client), kind)
    if memo not in current.lists:
        current.lists[memo] = asyncio.ensure_future(_index(list_all, key))
    index = await asyncio.shield(current.lists[memo])
    if index is None:
        return None
    found: T | None = index.get(str(object_id))
    return found


async def _index(
    list_all: Callable[[], Awaitable[Sequence[T]]], key: Callable[[T], Any]
) -> dict[str, T] | None:
    """The list by id; None when it cannot be read, so every object is read on its own instead.

    Whatever made the list fail (not served, refused, unreadable, too large)
    is not this resource's verdict: its own read says what it says.
    """
    try:
        items = await list_all()
    except errors.ReconcilerError:
        return None
    return {str(key(item)): item for item in items if key(item) is not None}
