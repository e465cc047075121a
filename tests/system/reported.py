"""What a running ``reconciler`` process reports, line by line, as it reports it.

Tests that interrupt or kill a process wait for the line that proves the
process is where they want it (a job submitted and running, a change done),
never for a fixed time: each line is read as soon as it is written (a thread
reads the pipe, so a silent process never blocks the test past its timeout).
"""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
from collections.abc import Callable
from typing import Any


class Reported:
    """The stdout lines of ``process``, waited for one by one; stderr is kept for the end."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None and process.stderr is not None
        self.process = process
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._problems: list[str] = []
        self._readers = [
            threading.Thread(target=self._read_stdout, args=(process.stdout,), daemon=True),
            threading.Thread(target=self._read_stderr, args=(process.stderr,), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read_stdout(self, stream: Any) -> None:
        for line in stream:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def _read_stderr(self, stream: Any) -> None:
        self._problems.extend(stream)

    def until(self, wanted: Callable[[str], bool], what: str, *, timeout: float = 60.0) -> str:
        """The next line that is ``wanted``; fails if the process ends or the time runs out first."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                self.process.kill()  # a failed test leaves nothing running
                raise AssertionError(f"{what}: not reported within {timeout:.0f} s:\n{self.text()}") from None
            if line is None:
                self._queue.put(None)  # the end stays the end for the next caller
                raise AssertionError(f"{what}: the process ended first:\n{self.text()}")
            self.lines.append(line)
            if wanted(line):
                return line

    def text(self) -> str:
        return "\n".join(self.lines)

    def finish(self, *, timeout: float) -> tuple[str, str]:
        """Wait for the process to end; everything it wrote to stdout and to stderr."""
        self.process.wait(timeout=timeout)
        for reader in self._readers:
            reader.join(timeout=timeout)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
        while (line := self._queue.get()) is not None:
            self.lines.append(line)
        return self.text(), "".join(self._problems)


def event(line: str) -> dict[str, Any] | None:
    """A progress event of ``apply --format json``, or None for any other line."""
    try:
        item = json.loads(line)
    except ValueError:
        return None
    return item if isinstance(item, dict) and item.get("type") == "event" else None


def kind_of(kind: str) -> Callable[[str], bool]:
    """Any ``apply --format json`` event of ``kind`` (``status``: a job was submitted and is running)."""
    return lambda line: (item := event(line)) is not None and item["kind"] == kind


def statuses_of(addresses: set[str]) -> Callable[[str], bool]:
    """Wanted once ``apply --format json`` gave a status event for each of ``addresses`` (in any order):
    each job was submitted and is running."""
    missing = set(addresses)

    def wanted(line: str) -> bool:
        item = event(line)
        if item is not None and item["kind"] == "status":
            missing.discard(item["address"])
        return not missing

    return wanted
