"""Apply progress: a live view for terminals, plain timestamped lines for everything else.

Jobs on these platforms run for minutes or hours, so a person at a terminal
wants to see, at a glance, what is running, what the platform says about it
(its own status word), for how long, and how long it should still take.
:class:`LiveProgress` keeps one redrawn line per running job and a summary
line under them; finished jobs scroll above, where they stay.

A CI log wants the opposite: nothing redrawn, no control characters, one
timestamped line per state change (:class:`PlainProgress`).
:func:`progress_view` picks between them by whether the stream is a
terminal, and honours ``NO_COLOR`` (https://no-color.org) and ``--no-color``.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import IO

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text

from reconciler.engine.executor import Event
from reconciler.render.color import isatty as _isatty
from reconciler.render.color import wants_color

_ENDED = ("done", "failed", "pending", "waiting", "skipped", "rejected")
_END_STYLES = {
    "done": "green",
    "failed": "bold red",
    "pending": "yellow",
    "waiting": "yellow",
    "skipped": "dim",
    "rejected": "bold red",
}
_END_MARKS = {"done": "✓", "failed": "✗", "pending": "…", "waiting": "…", "skipped": "-", "rejected": "✗"}


def event_line(event: Event, *, now: Callable[[], datetime] = datetime.now) -> str:
    """One line for one event, e.g. ``16:08:03 alviss.upload.sales: done (upload_id=3)``."""
    if event.kind == "status":
        text = f"{event.address}: {event.word}"
    elif event.kind == "waiting":  # the message says it all: "waiting on ADDR (running)"
        text = f"{event.address}: {event.message}"
    elif event.kind == "start":
        text = f"{event.address}: {event.action.value} started"
    else:
        text = f"{event.address}: {event.kind}" + (f" ({event.message})" if event.message else "")
    return f"{now().strftime('%H:%M:%S')} {text}"


class PlainProgress:
    """Prints each event as one line through ``write``."""

    def __init__(self, write: Callable[[str], None]) -> None:
        self.write = write

    def __call__(self, event: Event) -> None:
        self.write(event_line(event))


def duration(seconds: float) -> str:
    """``42s``, ``3m05s``, ``1h02m``: short enough for a progress line."""
    whole = max(int(seconds), 0)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"


@dataclass
class _Job:
    """One running change as the live view shows it."""

    address: str
    action: str
    started: float
    word: str = "submitting"
    estimate: float | None = None
    estimated_at: float = 0.0


class LiveProgress:
    """Keeps the running jobs and the finished count; renders them as rich lines.

    It is both the event callback and the renderable of a :class:`rich.live.Live`
    (which redraws it from its own thread, hence the lock).  ``clock`` is
    injectable so tests control elapsed times.
    """

    def __init__(self, console: Console, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.console = console
        self.clock = clock
        self.running: dict[str, _Job] = {}
        self.ended: dict[str, int] = dict.fromkeys(_ENDED, 0)
        self.began = clock()
        self._lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        now = self.clock()
        with self._lock:
            if event.kind == "start":
                self.running[event.address] = _Job(event.address, event.action.value, now)
                return
            job = self.running.get(event.address)
            if event.kind == "status":
                if job is None:
                    job = self.running[event.address] = _Job(event.address, event.action.value, now)
                job.word = event.word or job.word
                job.estimate, job.estimated_at = event.estimate_seconds, now
                return
            self.running.pop(event.address, None)
            self.ended[event.kind] = self.ended.get(event.kind, 0) + 1
            took = f" in {duration(now - job.started)}" if job is not None else ""
        self.console.print(self.finished_line(event, took))

    @staticmethod
    def finished_line(event: Event, took: str) -> Text:
        line = Text()
        line.append(f"{_END_MARKS.get(event.kind, ' ')} ", style=_END_STYLES.get(event.kind, ""))
        line.append(event.address, style="bold")
        if event.kind == "waiting":
            line.append(f" {event.message}", style=_END_STYLES["waiting"])
            return line
        line.append(f" {event.kind}{took}", style=_END_STYLES.get(event.kind, ""))
        if event.message:
            line.append(f"  {event.message}", style="dim" if event.kind == "done" else "")
        return line

    def job_row(self, job: _Job, now: float) -> tuple[RenderableType, ...]:
        left = ""
        if job.estimate is not None:
            left = f"~{duration(max(job.estimate - (now - job.estimated_at), 0))} left"
        return (
            Spinner("dots", style="cyan"),
            Text(job.address, style="bold"),
            Text(job.word, style="cyan"),
            Text(duration(now - job.started)),
            Text(left, style="dim"),
        )

    def summary(self, now: float) -> Text:
        parts = [f"{len(self.running)} running"]
        parts += [
            f"{count} {kind}" for kind, count in self.ended.items() if count or kind in ("done", "failed")
        ]
        return Text(", ".join(parts) + f" · {duration(now - self.began)}", style="bold")

    def __rich__(self) -> RenderableType:
        now = self.clock()
        with self._lock:
            jobs = list(self.running.values())
        table = Table.grid(padding=(0, 2))
        for _ in range(5):
            table.add_column(no_wrap=True, overflow="ellipsis")
        for job in jobs:
            table.add_row(*self.job_row(job, now))
        return Group(table, self.summary(now))


@contextlib.contextmanager
def progress_view(
    *,
    stream: IO[str],
    color: bool | None = None,
    environ: Mapping[str, str] | None = None,
    clock: Callable[[], float] = time.monotonic,
    refresh_per_second: float = 4,
) -> Iterator[Callable[[Event], None]]:
    """An event callback that draws live on a terminal and writes plain lines anywhere else.

    The live display starts at the first event, so whatever is printed
    before (the plan, the confirmation prompt) is left alone; it ends with
    the block, leaving only the finished-job lines on screen.
    """
    env = os.environ if environ is None else environ
    if not _isatty(stream) or env.get("TERM") == "dumb":

        def write(text: str) -> None:
            stream.write(text + "\n")
            stream.flush()

        yield PlainProgress(write)
        return
    console = Console(
        file=stream, force_terminal=True, no_color=not wants_color(stream, color, env), highlight=False
    )
    view = LiveProgress(console, clock=clock)
    live: list[Live] = []

    def on_event(event: Event) -> None:
        if not live:
            live.append(Live(view, console=console, refresh_per_second=refresh_per_second, transient=True))
            live[0].start()
        view(event)
        live[0].refresh()

    try:
        yield on_event
    finally:
        if live:
            live[0].stop()


__all__ = ["LiveProgress", "PlainProgress", "duration", "event_line", "progress_view", "wants_color"]
