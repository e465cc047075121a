"""Waiting for Datrics prediction tasks: Celery states, read as job states.

Datrics runs each prediction as a Celery task and reports Celery's state
words.  ``PENDING``, ``RECEIVED``, ``STARTED`` and ``RETRY`` mean still
waiting; ``SUCCESS`` is done; ``FAILURE`` and ``REVOKED`` are terminal
failures.  Any other word counts as still waiting.

Celery answers ``PENDING`` for a task id it does not know, so a task the
platform lost (or whose result expired) looks exactly like a queued one.
Waiting cannot tell them apart: the deadline ends the wait (the task stays
recorded and the next run resumes it), and the plan treats a task still
``PENDING`` long after it was submitted as lost (see ``predictions.py``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

from reconciler.providers.base import Journal
from reconciler.providers.datrics.client import TaskReport
from reconciler.wait import JobStatus, PollSchedule, Waiter, classify

WAITING_WORDS: Final = ("PENDING", "RECEIVED", "STARTED", "RETRY")
SUCCESS_WORDS: Final = ("SUCCESS",)
FAILURE_WORDS: Final = ("FAILURE", "REVOKED")

#: Predictions take seconds to minutes; an hour without an end means the task is lost.
SCHEDULE: Final = PollSchedule(first=0.5, factor=1.5, cap=10.0, deadline=3600.0)


def failure_message(raw: Mapping[str, Any]) -> str | None:
    """The worker's error, from whichever field the proxy put it in."""
    for key in ("error", "message", "detail", "traceback"):
        value = raw.get(key)
        if isinstance(value, str) and value:
            return value
    result = raw.get("result")
    if isinstance(result, str) and result:
        return result
    if isinstance(result, dict):
        for key in ("exc_message", "error", "message"):
            value = result.get(key)
            if value:
                return str(value)
    return None


def task_status(report: TaskReport) -> JobStatus:
    """Turn a task info answer into a job status (pure)."""
    word_text = report.state or "unknown"
    state = classify(word_text, succeeded=SUCCESS_WORDS, failed=FAILURE_WORDS)
    message = failure_message(report.raw) if state == "failed" else None
    return JobStatus(word=word_text, state=state, message=message, raw=report.raw)


def prediction_result(raw: Mapping[str, Any]) -> Any:
    """What a ``SUCCESS`` answer holds: its ``result`` (INFERRED), else the whole answer but its state.

    The vendor's example hands the whole answer over as the result; the
    ``result`` key is the emulator's guess at the shape.  Without it the
    answer itself is kept, so a finished prediction is never sent again for
    lack of a key the vendor never promised.
    """
    if "result" in raw and raw["result"] is not None:
        return raw["result"]
    return {key: value for key, value in raw.items() if key != "state"}


async def wait_task(
    fetch: Callable[[], Awaitable[TaskReport]], *, what: str, journal: Journal, waiter: Waiter
) -> dict[str, Any]:
    """Poll ``fetch`` until the task succeeds; returns the final answer (JobFailed on FAILURE/REVOKED)."""

    async def poll() -> JobStatus:
        return task_status(await fetch())

    def report(status: JobStatus) -> None:
        journal.progress(status.word)

    final = await waiter.wait(poll, schedule=SCHEDULE, what=what, on_status=report)
    return dict(final.raw)
