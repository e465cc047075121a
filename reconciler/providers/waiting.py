"""A platform's kinds of job, declared, and the one way every resource type waits for one.

Each platform reports a job's progress in its own words (Alviss ``complete``,
Akkio ``SUCCEEDED``, Sony EPA ``finished``, Celery's ``SUCCESS`` on Datrics),
puts a failure's text in its own field, and sometimes says how long is left.
A :class:`Classifier` declares all of that; a :class:`JobKind` pairs it with
how often to ask and how long to wait (its :class:`~reconciler.wait.PollSchedule`,
deadline included).  :meth:`JobKind.wait` is the only poll loop a provider has:
it polls, reports each word to the journal (the live progress) and returns
the platform's final answer, typed as the call that fetched it.  What polling
itself does (back-off, outages, 404 grace, detach, SIGINT) is
:mod:`reconciler.wait`'s.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from reconciler.providers.base import Journal
from reconciler.wait import JobStatus, PollSchedule, Waiter, classify

__all__ = ["Classifier", "JobKind"]

A = TypeVar("A", contravariant=True)
AnswerT = TypeVar("AnswerT")


def _nothing(answer: object, word: str) -> None:
    return None


def _no_estimate(answer: object) -> None:
    return None


@dataclass(frozen=True, kw_only=True)
class Classifier(Generic[A]):
    """How a platform's status answer reads as a job status: its words, its message, its estimate.

    Words are matched exactly; a word that is neither a success nor a failure
    word (``running`` lists the known ones, for the reader) means still running.
    """

    succeeded: tuple[str, ...]
    failed: tuple[str, ...]
    running: tuple[str, ...] = ()
    #: The status word of an answer (the platform's word as is; ``unknown`` where it gives none).
    word: Callable[[A], str]
    #: The platform's message for an answer with this word (its failure text), if any.
    message: Callable[[A, str], str | None] = _nothing
    #: The platform's estimate of the seconds left, if it gives one (it paces the next poll).
    estimate: Callable[[A], float | None] = _no_estimate

    def __call__(self, answer: A) -> JobStatus:
        """The answer read as a job status (pure)."""
        word = self.word(answer)
        return JobStatus(
            word=word,
            state=classify(word, succeeded=self.succeeded, failed=self.failed),
            message=self.message(answer, word) or None,
            estimate_seconds=self.estimate(answer),
        )


@dataclass(frozen=True)
class JobKind(Generic[AnswerT]):
    """One kind of job on one platform: how often to ask about it, how long to wait, how its answer reads."""

    name: str
    #: When to poll; its ``deadline`` is how long one apply waits before leaving the job recorded as running.
    schedule: PollSchedule
    status: Classifier[AnswerT]

    @property
    def deadline(self) -> float:
        return self.schedule.deadline

    async def wait(
        self, fetch: Callable[[], Awaitable[AnswerT]], *, what: str, journal: Journal, waiter: Waiter
    ) -> AnswerT:
        """Poll ``fetch`` until the job succeeds, reporting each word; returns the last answer.

        A failure word raises :class:`errors.JobFailed` with the platform's
        message; the deadline, ``apply --detach`` and SIGINT end the wait with
        the job left recorded (see :class:`~reconciler.wait.Waiter`).
        """
        last: list[AnswerT] = []

        async def poll() -> JobStatus:
            answer = await fetch()
            last[:] = [answer]
            return self.status(answer)

        def report(status: JobStatus) -> None:
            journal.progress(status.word, estimate_seconds=status.estimate_seconds)

        await waiter.wait(poll, schedule=self.schedule, what=what, on_status=report)
        return last[0]
