"""The checkpointer's appends and compactions on its worker thread: durable before ``put`` returns, one
at a time, what came meanwhile in the next append, and nothing left behind by ``close``.

The backend is a fake whose append can be held (a ``threading.Event``), so the
order of events is forced, not timed.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import pytest

from reconciler import errors
from reconciler.engine.checkpoint import Checkpointer
from reconciler.state.document import ResourceState, StateDocument


def record(status: str = "pending") -> ResourceState:
    return ResourceState(type="alviss.upload", provider="alviss.p1", status=status)  # type: ignore[arg-type]


class Held:
    """An appending backend whose appends wait for ``release`` (when ``hold`` is set)."""

    def __init__(self) -> None:
        self.appended: list[list[str]] = []
        self.written: list[StateDocument] = []
        self.hold = False
        self.entered = threading.Event()
        self.release = threading.Event()
        self.fail: errors.StateError | None = None
        self.threads: set[str] = set()

    def append(self, document: StateDocument, addresses: Sequence[str]) -> None:
        self.threads.add(threading.current_thread().name)
        self.entered.set()
        if self.hold:
            self.release.wait(30)
        if self.fail is not None:
            raise self.fail
        for address in addresses:
            assert address in document.resources
        self.appended.append(list(addresses))

    def write(self, document: StateDocument) -> StateDocument:
        self.written.append(document)
        return document.model_copy(update={"serial": document.serial + 1})


async def entered(backend: Held) -> None:
    while not backend.entered.is_set():
        await asyncio.sleep(0)


async def test_put_returns_once_appended_off_the_event_loop() -> None:
    backend = Held()
    checkpointer = Checkpointer(StateDocument(), backend)
    await checkpointer.put("alviss.upload.a", record())
    assert backend.appended == [["alviss.upload.a"]]
    assert threading.main_thread().name not in backend.threads
    checkpointer.close()
    assert backend.written[-1].resources.keys() == {"alviss.upload.a"}


async def test_what_comes_while_an_append_runs_goes_out_together_in_the_next() -> None:
    backend = Held()
    backend.hold = True
    checkpointer = Checkpointer(StateDocument(), backend)
    first = asyncio.ensure_future(checkpointer.put("alviss.upload.a", record()))
    await entered(backend)  # the first append is on the worker thread, held there
    later = [asyncio.ensure_future(checkpointer.put(f"alviss.upload.{name}", record())) for name in "bcd"]
    for _ in range(5):
        await asyncio.sleep(0)
    assert not first.done() and not any(task.done() for task in later)  # not durable yet: not returned
    backend.release.set()
    await asyncio.gather(first, *later)
    assert backend.appended == [
        ["alviss.upload.a"],
        ["alviss.upload.b", "alviss.upload.c", "alviss.upload.d"],
    ]
    checkpointer.close()


async def test_the_event_loop_runs_on_while_an_append_waits_for_the_disk() -> None:
    backend = Held()
    backend.hold = True
    checkpointer = Checkpointer(StateDocument(), backend)
    waiting = asyncio.ensure_future(checkpointer.put("alviss.upload.a", record()))
    await entered(backend)
    ran = []
    for turn in range(3):
        await asyncio.sleep(0)
        ran.append(turn)  # other branches' work goes on
    assert ran == [0, 1, 2] and not waiting.done()
    backend.release.set()
    await waiting


async def test_a_failed_append_fails_its_waiters_and_every_later_put() -> None:
    backend = Held()
    backend.fail = errors.StateError("disk full")
    checkpointer = Checkpointer(StateDocument(), backend)
    with pytest.raises(errors.StateError, match="disk full"):
        await checkpointer.put("alviss.upload.a", record())
    with pytest.raises(errors.StateError, match="disk full"):
        await checkpointer.put("alviss.upload.b", record())
    with pytest.raises(errors.StateError, match="disk full"):
        checkpointer.close()


async def test_an_unexpected_error_on_the_worker_is_a_state_error_not_a_hang() -> None:
    class Broken(Held):
        def append(self, document: StateDocument, addresses: Sequence[str]) -> None:
            raise OSError("bad descriptor")

    checkpointer = Checkpointer(StateDocument(), Broken())
    with pytest.raises(errors.StateError, match="bad descriptor"):
        await checkpointer.put("alviss.upload.a", record())


async def test_close_while_an_append_is_held_writes_everything_and_the_append_does_nothing_after() -> None:
    backend = Held()
    backend.hold = True
    checkpointer = Checkpointer(StateDocument(), backend)
    waiting = asyncio.ensure_future(checkpointer.put("alviss.upload.a", record()))
    await entered(backend)
    # Close from another thread's point of view: the held append finishes first (close waits for it).
    threading.Timer(0.01, backend.release.set).start()
    checkpointer.close()
    assert backend.written[-1].resources.keys() == {"alviss.upload.a"}
    await asyncio.sleep(0)
    await waiting  # its checkpoint is durable: the whole document holds it
    for _ in range(5):
        await asyncio.sleep(0)
    assert backend.appended in ([], [["alviss.upload.a"]])  # nothing more is appended after close


async def test_a_compaction_keeps_records_put_while_it_ran() -> None:
    backend = Held()
    checkpointer = Checkpointer(StateDocument(), backend)
    for name in "abcd":  # four records logged: the log is as long as the document, so it is compacted
        await checkpointer.put(f"alviss.upload.{name}", record())
    await checkpointer.put("alviss.upload.e", record("ready"))
    checkpointer.close()
    final = backend.written[-1]
    assert set(final.resources) == {f"alviss.upload.{name}" for name in "abcde"}
    assert final.resources["alviss.upload.e"].status == "ready"
