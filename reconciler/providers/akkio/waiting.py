"""Waiting for Akkio trainings: the status words, their meaning, and the poll schedule.

The training status is ``PENDING`` (the docs page says ``SUBMITTED``: both
mean queued), ``IN_PROGRESS`` (maybe with ``estimate_seconds``, which paces
the next poll), then ``SUCCEEDED`` or ``FAILED`` with an ``error``, both with
HTTP 200.  ``UNKNOWN_TIMEOUT`` is terminal too: the platform gives up on
tasks older than a day and assumes they failed.  Any other word counts as
still running.  A ``duration`` of 1800 means half an hour of training, so
polls are capped at a minute and the deadline is generous; a training still
running at the deadline stays recorded and the next run resumes it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from reconciler.providers.akkio.client import TrainStatus
from reconciler.providers.base import Journal
from reconciler.wait import JobStatus, PollSchedule, Waiter, classify

SUCCESS_WORDS = ("SUCCEEDED",)
FAILURE_WORDS = ("FAILED", "UNKNOWN_TIMEOUT")
RUNNING_WORDS = ("PENDING", "SUBMITTED", "IN_PROGRESS")
TRAIN_SCHEDULE = PollSchedule(first=1.0, factor=1.5, cap=60.0, deadline=6 * 3600.0)
_TIMEOUT_MESSAGE = (
    "the platform reports UNKNOWN_TIMEOUT: the task is older than a day without finishing and is "
    "assumed to have failed"
)


def job_status(answer: TrainStatus) -> JobStatus:
    """Turn a ``/status`` answer into a job status (pure)."""
    word = answer.status or "unknown"
    metadata = answer.metadata
    estimate = metadata.estimate_seconds
    message = metadata.error if word == "FAILED" else None
    if word == "UNKNOWN_TIMEOUT":
        message = _TIMEOUT_MESSAGE
    return JobStatus(
        word=word,
        state=classify(word, succeeded=SUCCESS_WORDS, failed=FAILURE_WORDS),
        message=message or None,
        estimate_seconds=estimate if estimate is not None and 0 <= estimate < 1e9 else None,
        raw=answer.model_dump(mode="json"),
    )


async def wait_training(
    fetch: Callable[[], Awaitable[TrainStatus]], *, what: str, journal: Journal, waiter: Waiter
) -> JobStatus:
    """Poll ``fetch`` (a ``/status`` call) until the training succeeds; returns the final status."""

    async def poll() -> JobStatus:
        return job_status(await fetch())

    def report(status: JobStatus) -> None:
        journal.progress(status.word, estimate_seconds=status.estimate_seconds)

    return await waiter.wait(poll, schedule=TRAIN_SCHEDULE, what=what, on_status=report)
