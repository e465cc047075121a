"""Waiting for a Sony EPA retrain: its status words and its poll schedule.

The retrain status words are not documented.  ``finished`` is SEEN in the
sibling train-status API; ``running`` and ``failed`` (with ``message``) are
INFERRED, and ``waiting`` is the emulator's word for a job whose data has not
arrived.  Any word that is neither success nor failure counts as "still
running", so a different intermediate word on the real platform never breaks
an apply.  Retraining takes minutes to hours: polls start soon and settle at
one a minute.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from reconciler.providers.base import Journal
from reconciler.providers.sony_epa.client import RetrainJob
from reconciler.wait import JobStatus, PollSchedule, Waiter, classify

SUCCESS_WORDS = ("finished", "Finished", "FINISHED", "completed", "succeeded")
FAILURE_WORDS = ("failed", "Failed", "FAILED", "error", "Error", "ERROR")
#: The word for a job whose upload URL was issued but whose data never arrived (INFERRED).
WAITING_WORD = "waiting"

SCHEDULE = PollSchedule(first=1.0, factor=1.6, cap=60.0, deadline=24 * 3600.0)


def job_status(answer: RetrainJob) -> JobStatus:
    """Turn a status-check answer into a job status (pure)."""
    text = answer.status or "unknown"
    return JobStatus(
        word=text,
        state=classify(text, succeeded=SUCCESS_WORDS, failed=FAILURE_WORDS),
        message=answer.message or None,
        raw=answer.model_dump(mode="json"),
    )


async def wait_retrain(
    fetch: Callable[[], Awaitable[RetrainJob]], *, what: str, journal: Journal, waiter: Waiter
) -> dict[str, Any]:
    """Poll ``fetch`` until the retrain finishes; returns the final status answer."""

    async def poll() -> JobStatus:
        return job_status(await fetch())

    def report(status: JobStatus) -> None:
        journal.progress(status.word, estimate_seconds=status.estimate_seconds)

    final = await waiter.wait(poll, schedule=SCHEDULE, what=what, on_status=report)
    return dict(final.raw)
