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
from reconciler.wait import JobStatus, PollSchedule, classify, wait_for

SUCCESS_WORDS = ("finished", "Finished", "FINISHED", "completed", "succeeded")
FAILURE_WORDS = ("failed", "Failed", "FAILED", "error", "Error", "ERROR")
#: The word for a job whose upload URL was issued but whose data never arrived (INFERRED).
WAITING_WORD = "waiting"

SCHEDULE = PollSchedule(first=1.0, factor=1.6, cap=60.0, deadline=24 * 3600.0)


def job_status(body: Any) -> JobStatus:
    """Turn a status-check answer into a job status (pure)."""
    raw = body if isinstance(body, dict) else {}
    word = raw.get("status")
    text = str(word) if word is not None else "unknown"
    message = raw.get("message")
    return JobStatus(
        word=text,
        state=classify(text, succeeded=SUCCESS_WORDS, failed=FAILURE_WORDS),
        message=str(message) if message else None,
        raw=raw,
    )


class Waiter:
    """Time and pacing for waits; tests inject a fake clock and sleep."""

    def __init__(
        self,
        *,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        clock: Callable[[], float] | None = None,
        scale: float = 1.0,
    ) -> None:
        self.sleep = sleep
        self.clock = clock
        self.scale = scale

    def schedule(self) -> PollSchedule:
        if self.scale == 1.0:
            return SCHEDULE
        return PollSchedule(
            first=SCHEDULE.first * self.scale,
            factor=SCHEDULE.factor,
            cap=SCHEDULE.cap * self.scale,
            deadline=SCHEDULE.deadline,
            not_found_grace=SCHEDULE.not_found_grace,
        )

    async def wait(
        self, fetch: Callable[[], Awaitable[dict[str, Any]]], *, what: str, journal: Journal
    ) -> dict[str, Any]:
        """Poll ``fetch`` until the retrain finishes; returns the final status answer."""

        async def poll() -> JobStatus:
            return job_status(await fetch())

        def report(status: JobStatus) -> None:
            journal.progress(status.word, estimate_seconds=status.estimate_seconds)

        kwargs: dict[str, Any] = {}
        if self.sleep is not None:
            kwargs["sleep"] = self.sleep
        if self.clock is not None:
            kwargs["clock"] = self.clock
        final = await wait_for(poll, schedule=self.schedule(), what=what, on_status=report, **kwargs)
        return dict(final.raw)
