"""Run the ``reconciler`` command with every state write timed, for W5.

``python -m benchmarks.probe OUT.json ARGS…`` is ``reconciler ARGS…`` with the
local backend's ``write`` (whole document) and ``append`` (journal) wrapped:
each call's duration, kind and the number of resources in the document are
kept and written to ``OUT.json`` at exit.  The
measurement is taken inside the process because "time spent writing state"
cannot be seen from outside it; nothing else about the run changes.
"""

from __future__ import annotations

import functools
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _timed(log: list[tuple[float, int, str, int]], method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def wrapper(self: Any, document: Any, *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return method(self, document, *args, **kwargs)
        finally:
            resources = len(getattr(document, "resources", {}) or {})
            records = len(args[0]) if args else resources  # append: the addresses it records
            log.append((time.perf_counter() - start, resources, method.__name__, records))

    return wrapper


def main() -> None:
    out = Path(sys.argv[1])
    from reconciler.state.local import LocalBackend

    log: list[tuple[float, int, str, int]] = []
    LocalBackend.write = _timed(log, LocalBackend.write)  # type: ignore[method-assign]
    LocalBackend.append = _timed(log, LocalBackend.append)  # type: ignore[method-assign]
    from reconciler.cli import main as cli

    try:
        cli.main(args=sys.argv[2:], prog_name="reconciler")
    finally:
        out.write_text(json.dumps({"writes": log}))


if __name__ == "__main__":
    main()
