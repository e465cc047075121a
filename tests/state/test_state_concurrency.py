"""Two processes writing in turn under the lock never corrupt the state nor lose a write."""

from __future__ import annotations

import time

from reconciler import errors
from reconciler.state import StateBackend

from .support import CHILD_START_TIMEOUT, BackendCase, run_child

WRITES_PER_WRITER = 50

WRITER_BODY = """
    import sys
    from reconciler.state import ResourceState
    tag = sys.argv[1]
    for n in range(int(sys.argv[2])):
        with backend.lock(operation="apply", timeout=10.0):
            document = backend.read()
            document.resources[f"test.item.{tag}{n}"] = ResourceState(type="test.item", provider="test")
            backend.write(document)
"""


def test_concurrent_writers_never_corrupt_the_state(case: BackendCase, backend: StateBackend) -> None:
    backend.write(backend.read())
    started = time.monotonic()
    writers = [run_child(case.child_setup, WRITER_BODY, tag, str(WRITES_PER_WRITER)) for tag in "ab"]
    reads = 0
    try:
        while any(writer.poll() is None for writer in writers):
            assert time.monotonic() - started < CHILD_START_TIMEOUT, "writers did not finish"
            try:
                backend.read()
            except errors.StateCorrupt as exc:
                raise AssertionError(f"a reader saw a broken state after {reads} reads: {exc}") from exc
            reads += 1
            time.sleep(0.002)  # leave the CPU to the writers
    finally:
        outcomes = [writer.communicate(timeout=CHILD_START_TIMEOUT) for writer in writers]

    assert [writer.returncode for writer in writers] == [0, 0], outcomes
    final = case.make().read()
    assert final.serial == 1 + 2 * WRITES_PER_WRITER
    assert sorted(final.resources) == sorted(
        f"test.item.{tag}{n}" for tag in "ab" for n in range(WRITES_PER_WRITER)
    )
    assert reads > 0
