"""Waiting for a platform job: poll soon, then less and less often, until a final word.

Every mutation on these platforms is a job that runs for seconds (an upload)
or hours (a refit).  The copied scripts this project replaces slept a fixed
2 s between polls and waited forever; here one state machine does it for
every resource type:

- the first poll comes after ``first`` seconds; up to twice the job kind's
  ``expected`` duration the polls stay that close, and one lands just after
  the expected end, so a job that ends about when such jobs do is noticed
  within ``first`` (at once when it ends on time); later polls grow by
  ``factor`` up to ``cap`` (seconds for uploads, a minute for refits: the
  caller picks); a platform's own ``estimate_seconds`` replaces the guess for
  the next poll;
- a failure word ends the wait at once with the platform's message;
- any word the caller's classifier does not know counts as still running, so
  a new intermediate word on the platform never breaks an apply;
- a 404 right after the create is tolerated a few times (platforms list a new
  job a moment after accepting it); once the job has been seen, 404 is real;
- an outage is ridden out: a poll that fails for a reason other than the job
  itself (the network, 5xx or 429 after the HTTP layer's retries, an answer
  that cannot be read) counts as "no news" and the next poll comes on the same
  growing schedule, for up to ``outage`` seconds of consecutive failures; after
  that the last error is raised, and the caller keeps the job recorded (only
  the platform's own failure word ends a job);
- a rejected token (401/403) ends the wait at once: polling again cannot help;
- on the deadline :class:`errors.JobTimeout` is raised and the job stays
  recorded as pending, so the next run resumes waiting instead of resubmitting;
- cancellation propagates untouched: an interrupted apply stops polling now.

Sleep and clock are injected so tests run the whole machine in fake time.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from reconciler import errors
from reconciler.redact import cut

__all__ = [
    "DEFAULT_FAILED_WORDS",
    "JobState",
    "JobStatus",
    "PollSchedule",
    "Waiter",
    "classify",
    "stoppable",
    "transient",
    "wait_for",
]

log = logging.getLogger(__name__)

JobState = Literal["running", "succeeded", "failed"]

# Failure words seen across the supported platforms (Alviss, Akkio, Preda, Celery-based Datrics).
DEFAULT_FAILED_WORDS: tuple[str, ...] = (
    "failed",
    "error",
    "FAILED",
    "ERROR",
    "FAILURE",
    "REVOKED",
    "cancelled",
    "canceled",
    "CANCELLED",
)


#: How long after a job's expected end the poll meant to catch it comes (the job started before the
#: wait did, by the creating call's answer and the checkpoint of its id, so this is margin enough).
ON_TIME = 0.005


@dataclass(frozen=True)
class PollSchedule:
    """When to poll a job and when to give up waiting for it."""

    first: float = 0.5  # first poll after this many seconds
    factor: float = 1.5
    cap: float = 10.0  # longest interval
    #: How long such a job usually takes: up to twice that the polls stay ``first`` apart, one of them
    #: just after this time (a job that ends on time is noticed at once); the growth starts after.
    expected: float = 0.0
    deadline: float = 3600.0  # give up waiting after this (JobTimeout; job stays pending for the caller)
    not_found_grace: int = 3  # 404s tolerated right after create
    outage: float = 900.0  # seconds of consecutive failed polls ridden out before giving up

    def after(self, interval: float, status: JobStatus | None, *, waited: float = 0.0) -> float:
        """The interval to wait after a poll that followed ``interval``, ``waited`` seconds into the wait."""
        if status is not None and status.estimate_seconds is not None:
            return min(self.cap, max(self.first, status.estimate_seconds))
        if waited + self.first <= 2 * self.expected:
            # On the grid ``start() + k × first`` (time spent polling does not push the polls later).
            offset = self.start()
            due = offset + (math.floor((waited - offset) / self.first) + 1) * self.first - waited
            return due if due >= self.first / 2 else due + self.first
        return min(self.cap, interval * self.factor)

    def start(self) -> float:
        """The wait before the first poll: ``first``, shifted (by less than ``first``) so that the polls
        ``first`` apart that follow put one just after the expected end."""
        if self.expected <= 0 or self.first <= 0:
            return self.first
        offset = (self.expected + ON_TIME) % self.first
        return offset if offset >= self.first / 2 else offset + self.first


@dataclass(frozen=True)
class JobStatus:
    """One poll result, as the provider's classifier read it."""

    word: str  # the platform's status word as-is
    state: JobState
    message: str | None = None
    estimate_seconds: float | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)


def classify(
    word: str | None, *, succeeded: Collection[str], failed: Collection[str] = DEFAULT_FAILED_WORDS
) -> JobState:
    """Map a platform status word to a state; unknown (or missing) words mean still running."""
    if word is None:
        return "running"
    if word in succeeded:
        return "succeeded"
    if word in failed:
        return "failed"
    return "running"


async def wait_for(
    poll: Callable[[], Awaitable[JobStatus]],
    *,
    schedule: PollSchedule,
    what: str,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
    on_status: Callable[[JobStatus], None] | None = None,
) -> JobStatus:
    """Poll until the job succeeds (returned), fails (JobFailed) or the deadline passes (JobTimeout)."""
    started = clock()
    interval = schedule.start()
    not_found = 0
    failing_since: float | None = None
    last: JobStatus | None = None
    while True:
        remaining = schedule.deadline - (clock() - started)
        if remaining <= 0:
            raise _timeout(what, last=last, waited=clock() - started)
        await sleep(min(interval, remaining))
        try:
            status = await poll()
        except errors.NotFound:
            not_found += 1
            if last is not None or not_found > schedule.not_found_grace:
                raise
            interval = schedule.after(interval, None, waited=clock() - started)
            continue
        except errors.ProviderError as exc:
            if not transient(exc):
                raise
            now = clock()
            failing_since = now if failing_since is None else failing_since
            if now - failing_since >= schedule.outage:
                raise
            log.info("%s: a poll failed (%s); polling on", what, exc.message)
            interval = schedule.after(interval, None, waited=now - started)
            continue
        failing_since = None
        if _settled(status, what=what, on_status=on_status):
            return status
        last = status
        interval = schedule.after(interval, status, waited=clock() - started)


def transient(exc: errors.ReconcilerError) -> bool:
    """Whether a failed poll says nothing about the job: the network, the platform's bad moment, a
    garbled answer.  A rejected token, a 404 or any other 4xx is an answer, and so is a failure word."""
    if isinstance(exc, errors.TransportError | errors.MalformedAnswer):
        return True
    if isinstance(exc, errors.ApiError) and not isinstance(exc, errors.AuthError | errors.NotFound):
        return exc.status >= 500 or exc.status in (408, 429)
    return False


def _settled(status: JobStatus, *, what: str, on_status: Callable[[JobStatus], None] | None) -> bool:
    """Report ``status``; whether the job succeeded (JobFailed if it failed, False while it runs)."""
    if on_status is not None:
        on_status(status)
    if status.state == "failed":
        raise _failed(what, status)
    return status.state == "succeeded"


def _failed(what: str, status: JobStatus) -> errors.JobFailed:
    reason = cut(status.message) if status.message else f"the platform reported {status.word!r}"
    return errors.JobFailed(f"{what} failed: {reason}")


def _timeout(what: str, *, last: JobStatus | None, waited: float) -> errors.JobTimeout:
    word = last.word if last is not None else "not visible (404)"
    return errors.JobTimeout(
        f"{what} still {word} after {round(waited)}s; it stays recorded and the next run resumes waiting"
    )


def stoppable(
    sleep: Callable[[float], Awaitable[None]], stop: asyncio.Event | None, *, what: str
) -> Callable[[float], Awaitable[None]]:
    """A sleep that ends the wait (raising Interrupted) as soon as ``stop`` is set."""
    if stop is None:
        return sleep

    async def pause(seconds: float) -> None:
        if not stop.is_set():
            sleeper = asyncio.ensure_future(sleep(seconds))
            stopper = asyncio.ensure_future(stop.wait())
            try:
                await asyncio.wait({sleeper, stopper}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                sleeper.cancel()
                stopper.cancel()
        if stop.is_set():
            raise errors.Interrupted(f"{what} is still running; stopped waiting, the next apply resumes")

    return pause


class Waiter:
    """How one client waits: time (injectable), pace, ``apply --detach`` and the stop signal.

    Every provider waits through this, so detaching and stopping on SIGINT
    behave the same for every resource type.
    """

    def __init__(
        self,
        *,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        clock: Callable[[], float] | None = None,
        scale: float = 1.0,
        detach: bool = False,
        stop: asyncio.Event | None = None,
    ) -> None:
        self.sleep = sleep or asyncio.sleep
        self.clock = clock or time.monotonic
        self.scale = scale
        self.detach = detach
        self.stop = stop

    def scaled(self, schedule: PollSchedule) -> PollSchedule:
        """``schedule`` with its intervals multiplied by ``scale`` (tests and benchmarks speed waits up)."""
        if self.scale == 1.0:
            return schedule
        return PollSchedule(
            first=schedule.first * self.scale,
            factor=schedule.factor,
            cap=schedule.cap * self.scale,
            expected=schedule.expected * self.scale,
            deadline=schedule.deadline,
            not_found_grace=schedule.not_found_grace,
            outage=schedule.outage,
        )

    async def wait(
        self,
        poll: Callable[[], Awaitable[JobStatus]],
        *,
        schedule: PollSchedule,
        what: str,
        on_status: Callable[[JobStatus], None] | None = None,
    ) -> JobStatus:
        """Wait for the job ``poll`` reports on; detached, look once and leave it recorded."""
        if self.detach:
            try:
                status = await poll()
            except errors.ProviderError as exc:
                if not transient(exc):
                    raise
                raise errors.JobTimeout(
                    f"{what}: status unknown ({exc.message}); detached: the next apply resumes waiting"
                ) from exc
            if _settled(status, what=what, on_status=on_status):
                return status
            raise errors.JobTimeout(f"{what} is {status.word}; detached: the next apply resumes waiting")
        return await wait_for(
            poll,
            schedule=self.scaled(schedule),
            what=what,
            sleep=stoppable(self.sleep, self.stop, what=what),
            clock=self.clock,
            on_status=on_status,
        )
