"""Apply progress as plain lines: one timestamped line per state change, nothing redrawn.

This is the view for logs and pipes (CI); it never emits control characters.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from reconciler.engine.executor import Event


def event_line(event: Event, *, now: Callable[[], datetime] = datetime.now) -> str:
    """One line for one event, e.g. ``16:08:03 alviss.upload.sales: done (upload_id=3)``."""
    if event.kind == "status":
        text = f"{event.address}: {event.word}"
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
