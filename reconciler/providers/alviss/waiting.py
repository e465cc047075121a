"""Waiting for Alviss jobs: one poll schedule per kind of job.

Uploads and datasets finish in seconds to minutes, refits and builds can take
hours.  The user waits for the chain of jobs, so a job should be noticed soon
after it ends: within half a second, or a tenth of its duration for longer
ones.  Every schedule therefore starts at a quarter of a second and grows by
10 % per poll, so the interval stays below half a second for the first few
seconds and below a tenth of the time already waited afterwards; a 3 s refit
costs nine polls, an hour-long one about a hundred.  The cap (per kind) is
what keeps a multi-hour refit from costing thousands of requests.  Alviss
gives no estimate of a job's remaining time, so none is used.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final, TypeVar

from reconciler.providers.alviss.shapes import Job
from reconciler.providers.base import Journal
from reconciler.wait import JobStatus, PollSchedule, Waiter, classify

J = TypeVar("J", bound=Job)

SUCCESS_WORDS = ("complete", "completed")
FAILURE_WORDS = ("failed", "error", "Failed", "Error", "FAILED", "ERROR")


def job_status(job: Job | Mapping[str, Any]) -> JobStatus:
    """Turn an Alviss object into a job status (pure); no ``Status`` at all reads as still running."""
    if not isinstance(job, Job):
        job = Job.model_validate(job)
    word_text = job.Status if job.Status is not None else "unknown"
    return JobStatus(
        word=word_text,
        state=classify(word_text, succeeded=SUCCESS_WORDS, failed=FAILURE_WORDS),
        message=job.message,
        raw=job.model_dump(),
    )


_FIRST, _FACTOR = 0.25, 1.1

SCHEDULES: Final[Mapping[str, PollSchedule]] = {
    "upload": PollSchedule(first=_FIRST, factor=_FACTOR, cap=5.0, deadline=2 * 3600.0),
    "dataset": PollSchedule(first=_FIRST, factor=_FACTOR, cap=10.0, deadline=4 * 3600.0),
    "refit": PollSchedule(first=_FIRST, factor=_FACTOR, cap=60.0, deadline=24 * 3600.0),
    "build": PollSchedule(first=_FIRST, factor=_FACTOR, cap=60.0, deadline=24 * 3600.0),
    "attribution": PollSchedule(first=_FIRST, factor=_FACTOR, cap=30.0, deadline=12 * 3600.0),
    "attribution_set": PollSchedule(first=_FIRST, factor=_FACTOR, cap=10.0, deadline=4 * 3600.0),
}


async def wait_job(
    fetch: Callable[[], Awaitable[J]],
    *,
    kind: str,
    what: str,
    journal: Journal,
    waiter: Waiter,
) -> J:
    """Poll ``fetch`` until the job succeeds; returns the final object."""
    last: list[J] = []

    async def poll() -> JobStatus:
        job = await fetch()
        last[:] = [job]
        return job_status(job)

    def report(status: JobStatus) -> None:
        journal.progress(status.word, estimate_seconds=status.estimate_seconds)

    await waiter.wait(poll, schedule=SCHEDULES[kind], what=what, on_status=report)
    return last[0]
