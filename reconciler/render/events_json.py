"""Apply progress as JSON lines, for CI systems and scripts (``apply --format json``).

One object per line, written as each event happens, so a reader can follow a
long apply as it runs; the last line is a summary with the figures of the
text summary (:mod:`reconciler.render.apply_summary`) and the outcome counts.
Every line carries ``"type"`` (``"event"`` or ``"summary"``) so readers can
dispatch without guessing.  Event messages come from the executor, which
never includes secrets.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from reconciler.engine.executor import ApplyReport, Event, Outcome
from reconciler.render.apply_summary import summary_figures


def event_object(event: Event, *, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> dict[str, Any]:
    """One event as a JSON object."""
    item: dict[str, Any] = {
        "type": "event",
        "time": now().isoformat(timespec="seconds"),
        "kind": event.kind,
        "address": event.address,
        "action": event.action.value,
    }
    if event.message:
        item["message"] = event.message
    if event.word is not None:
        item["word"] = event.word
    if event.estimate_seconds is not None:
        item["estimate_seconds"] = event.estimate_seconds
    return item


class JsonEvents:
    """An ``on_event`` callback writing one JSON object per line through ``write``."""

    def __init__(
        self, write: Callable[[str], None], *, now: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self.write = write
        self.now = now

    def __call__(self, event: Event) -> None:
        self.write(json.dumps(event_object(event, now=self.now)))


def summary_object(
    report: ApplyReport,
    *,
    applied: bool = True,
    waits: bool = False,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The last line: what this run did (as the text summary counts it) and how every change ended.

    ``ok``: nothing failed (jobs still running and what waits on them are not failures, unless
    the run ``waits`` for its jobs and gave up on them at their deadline);
    ``complete``: every change is done.
    """
    outcomes: tuple[Outcome, ...] = ("done", "failed", "pending", "waiting", "skipped", "rejected")
    return {
        "type": "summary",
        "applied": applied,
        **summary_figures(report, waits=waits),
        "counts": {outcome: report.count(outcome) for outcome in outcomes},
        "outcomes": dict(report.outcomes),
        "messages": {address: message for address, message in report.messages.items() if message},
        **(extra or {}),
    }


__all__ = ["JsonEvents", "event_object", "summary_object"]
