"""Run the ``reconciler`` command with every state write timed, for W5.

``python -m benchmarks.probe OUT.json ARGS…`` is ``reconciler ARGS…`` with the
local backend's ``write`` (whole document) and ``append`` (journal) wrapped:
each call's duration, kind, the number of resources in the document, the
number of records it carries and how long it held up the apply are kept and
written to ``OUT.json`` at exit.  A call on the event loop's thread holds the
apply up for all of its duration; one on the checkpointer's worker thread
only for the CPU time it spends (while it waits for the disk, the loop runs
on; while it computes, it holds the interpreter).  The measurement is taken
inside the process because "time spent writing state" cannot be seen from
outside it; nothing else about the run changes.
"""

from __future__ import annotations

import functools
import json
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

Entry = tuple[float, int, str, int, float]


def _timed(log: list[Entry], method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def wrapper(self: Any, document: Any, *args: Any, **kwargs: Any) -> Any:
        start, cpu = time.perf_counter(), time.thread_time()
        try:
            return method(self, document, *args, **kwargs)
        finally:
            wall = time.perf_counter() - start
            held = wall if threading.current_thread() is threading.main_thread() else time.thread_time() - cpu
            resources = len(getattr(document, "resources", {}) or {})
            records = len(args[0]) if args else resources  # append: the addresses it records
            log.append((wall, resources, method.__name__, records, held))

    return wrapper


def main() -> None:
    out = Path(sys.argv[1])
    from reconciler.state.local import LocalBackend

    log: list[Entry] = []
    LocalBackend.write = _timed(log, LocalBackend.write)  # type: ignore[method-assign]
    LocalBackend.append = _timed(log, LocalBackend.append)  # type: ignore[method-assign]
    from reconciler.cli import main as cli

    try:
        cli.main(args=sys.argv[2:], prog_name="reconciler")
    finally:
        out.write_text(json.dumps({"writes": log}))


if __name__ == "__main__":
    main()
