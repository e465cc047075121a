"""The job-wait state machine, run entirely in fake time."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from reconciler import errors
from reconciler.wait import JobStatus, PollSchedule, classify, wait_for

RUNNING = JobStatus(word="running", state="running")
PENDING = JobStatus(word="pending", state="running")
DONE = JobStatus(word="completed", state="succeeded", raw={"Id": 3})
GONE = errors.NotFound("Alviss: GET /models/3: not found (HTTP 404)", status=404)


class Scripted:
    """A job whose poll answers come from a script; records the fake time of each poll."""

    def __init__(self, script: Sequence[JobStatus | BaseException], *, then: JobStatus | None = None) -> None:
        self.script = list(script)
        self.then = then
        self.now = 0.0
        self.sleeps: list[float] = []
        self.polled_at: list[float] = []
        self.seen: list[JobStatus] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def poll(self) -> JobStatus:
        self.polled_at.append(self.now)
        item = self.script.pop(0) if self.script else self.then
        if item is None:
            raise AssertionError("polled past the end of the script")
        if isinstance(item, BaseException):
            raise item
        return item

    async def wait(self, schedule: PollSchedule | None = None) -> JobStatus:
        return await wait_for(
            self.poll,
            schedule=schedule or PollSchedule(),
            what="refit of model 3",
            sleep=self.sleep,
            clock=self.clock,
            on_status=self.seen.append,
        )


async def test_success_returns_the_final_status() -> None:
    job = Scripted([PENDING, RUNNING, DONE])
    assert await job.wait() is DONE
    assert job.seen == [PENDING, RUNNING, DONE]
    assert len(job.polled_at) == 3


async def test_failure_raises_at_once_with_the_platform_message() -> None:
    failed = JobStatus(word="failed", state="failed", message="NaN loss at epoch 12")
    job = Scripted([RUNNING, failed, DONE])
    with pytest.raises(errors.JobFailed) as info:
        await job.wait()
    assert str(info.value) == "refit of model 3 failed: NaN loss at epoch 12"
    assert len(job.polled_at) == 2
    assert job.seen == [RUNNING, failed]


async def test_failure_without_message_names_the_word() -> None:
    job = Scripted([JobStatus(word="REVOKED", state="failed")])
    with pytest.raises(errors.JobFailed, match="refit of model 3 failed: the platform reported 'REVOKED'"):
        await job.wait()


async def test_unknown_word_keeps_waiting_then_succeeds() -> None:
    queued = JobStatus(word="QUEUED_FOR_GPU", state=classify("QUEUED_FOR_GPU", succeeded={"completed"}))
    job = Scripted([queued, queued, DONE])
    assert await job.wait() is DONE
    assert job.seen == [queued, queued, DONE]


async def test_not_found_right_after_create_is_tolerated() -> None:
    job = Scripted([GONE, GONE, GONE, RUNNING, DONE])
    assert await job.wait(PollSchedule(not_found_grace=3)) is DONE
    assert len(job.polled_at) == 5
    assert job.seen == [RUNNING, DONE]  # 404s are not statuses


async def test_not_found_beyond_grace_is_raised() -> None:
    job = Scripted([GONE, GONE, GONE])
    with pytest.raises(errors.NotFound):
        await job.wait(PollSchedule(not_found_grace=2))
    assert len(job.polled_at) == 3


async def test_not_found_after_the_job_was_seen_is_raised() -> None:
    job = Scripted([RUNNING, GONE, DONE])
    with pytest.raises(errors.NotFound):
        await job.wait(PollSchedule(not_found_grace=3))
    assert len(job.polled_at) == 2


async def test_deadline_raises_job_timeout_with_the_last_word() -> None:
    training = JobStatus(word="training", state="running")
    job = Scripted([], then=training)
    with pytest.raises(errors.JobTimeout) as info:
        await job.wait(PollSchedule(first=1.0, factor=2.0, cap=8.0, deadline=30.0))
    assert str(info.value) == (
        "refit of model 3 still training after 30s; it stays recorded and the next run resumes waiting"
    )
    # 1, 2, 4, 8, 8 -> 23; the next 8 would pass 30, so the last sleep is cut to the deadline.
    assert job.sleeps == [1.0, 2.0, 4.0, 8.0, 8.0, 7.0]
    assert job.polled_at[-1] == 30.0


async def test_deadline_while_still_invisible() -> None:
    job = Scripted([GONE, GONE])
    with pytest.raises(errors.JobTimeout, match="still not visible \\(404\\) after 2s"):
        await job.wait(PollSchedule(first=1.0, factor=1.0, deadline=2.0, not_found_grace=5))


async def test_exact_poll_intervals() -> None:
    job = Scripted([RUNNING] * 7 + [DONE])
    await job.wait(PollSchedule(first=0.5, factor=1.5, cap=2.0))
    assert job.sleeps == [0.5, 0.75, 1.125, 1.6875, 2.0, 2.0, 2.0, 2.0]
    assert job.polled_at == [0.5, 1.25, 2.375, 4.0625, 6.0625, 8.0625, 10.0625, 12.0625]


async def test_platform_estimate_sets_the_next_interval() -> None:
    def eta(seconds: float) -> JobStatus:
        return JobStatus(word="IN_PROGRESS", state="running", estimate_seconds=seconds)

    job = Scripted([eta(4.0), eta(0.1), eta(300.0), RUNNING, DONE])
    await job.wait(PollSchedule(first=0.5, factor=2.0, cap=10.0))
    # first; the estimate (4); an estimate below first -> first; above cap -> cap; none -> grow, capped.
    assert job.sleeps == [0.5, 4.0, 0.5, 10.0, 10.0]


async def test_estimate_never_sleeps_past_the_deadline() -> None:
    job = Scripted([JobStatus(word="IN_PROGRESS", state="running", estimate_seconds=60.0)], then=RUNNING)
    with pytest.raises(errors.JobTimeout, match="still running after 12s"):
        await job.wait(PollSchedule(first=2.0, cap=60.0, deadline=12.0))
    assert job.sleeps == [2.0, 10.0]


async def test_cancellation_propagates_untouched() -> None:
    job = Scripted([RUNNING, asyncio.CancelledError()])
    with pytest.raises(asyncio.CancelledError):
        await job.wait()
    assert len(job.polled_at) == 2


async def test_cancellation_during_sleep_propagates() -> None:
    started = asyncio.Event()

    async def forever(seconds: float) -> None:
        started.set()
        await asyncio.Event().wait()

    async def poll() -> JobStatus:
        return RUNNING

    task = asyncio.create_task(wait_for(poll, schedule=PollSchedule(), what="upload", sleep=forever))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


OUTAGE = errors.ApiError("Alviss: GET /models/3: gave up after 8 attempts; last: HTTP 503", status=503)


@pytest.mark.parametrize(
    "failure",
    [
        OUTAGE,
        errors.ApiError("Alviss: GET /models/3: gave up; last: HTTP 429", status=429),
        errors.TransportError("Alviss: GET /models/3: gave up after 8 attempts; last: ConnectError"),
        errors.MalformedAnswer("Alviss: GET /models/3: unexpected answer", call="GET /models/3"),
    ],
)
async def test_an_outage_while_polling_is_ridden_out(failure: errors.ProviderError) -> None:
    job = Scripted([RUNNING, failure, failure, failure, DONE])
    assert await job.wait() is DONE
    assert len(job.polled_at) == 5
    assert job.seen == [RUNNING, DONE]


async def test_an_outage_longer_than_the_schedule_allows_raises_the_last_error() -> None:
    job = Scripted([RUNNING], then=None)
    job.script += [OUTAGE] * 100
    with pytest.raises(errors.ApiError, match="HTTP 503"):
        await job.wait(PollSchedule(first=1.0, factor=2.0, cap=10.0, outage=60.0))
    failing_from = job.polled_at[1]
    assert 60.0 <= job.polled_at[-1] - failing_from < 70.0


async def test_a_successful_poll_restarts_the_outage_clock() -> None:
    schedule = PollSchedule(first=10.0, factor=1.0, cap=10.0, outage=25.0)
    job = Scripted([OUTAGE, OUTAGE, RUNNING, OUTAGE, OUTAGE, DONE])
    assert await job.wait(schedule) is DONE


@pytest.mark.parametrize(
    "answer",
    [
        errors.AuthError("Alviss: token rejected (HTTP 401)", status=401),
        errors.ApiError("Alviss: GET /models/3: HTTP 400", status=400),
        errors.ProviderError("Alviss answered without an id"),
    ],
)
async def test_an_answer_about_the_request_ends_the_wait_at_once(answer: errors.ProviderError) -> None:
    job = Scripted([RUNNING, answer, DONE])
    with pytest.raises(type(answer)):
        await job.wait()
    assert len(job.polled_at) == 2


async def test_detached_a_failed_look_leaves_the_job_recorded() -> None:
    from reconciler.wait import Waiter

    job = Scripted([OUTAGE])
    waiter = Waiter(sleep=job.sleep, clock=job.clock, detach=True)
    with pytest.raises(errors.JobTimeout, match=r"status unknown .*HTTP 503.*detached"):
        await waiter.wait(job.poll, schedule=PollSchedule(), what="refit of model 3")


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("complete", "succeeded"),
        ("completed", "succeeded"),
        ("failed", "failed"),
        ("error", "failed"),
        ("FAILURE", "failed"),
        ("pending", "running"),
        ("brand-new-word", "running"),
        (None, "running"),
        ("COMPLETE", "running"),  # matching is case-sensitive on the given words
    ],
)
def test_classify(word: str | None, expected: str) -> None:
    assert classify(word, succeeded={"complete", "completed"}) == expected


def test_classify_with_platform_failure_words() -> None:
    assert (
        classify("UNKNOWN_TIMEOUT", succeeded={"SUCCEEDED"}, failed={"FAILED", "UNKNOWN_TIMEOUT"}) == "failed"
    )
    assert classify("error", succeeded={"SUCCEEDED"}, failed={"FAILED"}) == "running"


async def test_polls_land_just_after_the_expected_end() -> None:
    # Expected 3 s, polls 0.3 s apart: the grid is shifted so that one poll comes 0.005 s after 3 s.
    job = Scripted([RUNNING] * 9 + [DONE])
    await job.wait(PollSchedule(first=0.3, factor=1.1, cap=60.0, expected=3.0))
    assert job.polled_at == pytest.approx([0.305 + 0.3 * k for k in range(10)])
    assert job.polled_at[-1] == pytest.approx(3.005)


async def test_polls_stay_close_up_to_twice_the_expected_time_then_grow() -> None:
    job = Scripted([RUNNING] * 12, then=DONE)
    await job.wait(PollSchedule(first=0.5, factor=2.0, cap=8.0, expected=2.0))
    # 2.005 % 0.5 = 0.005 is under half an interval: the first poll is at 0.505; then every 0.5 s while the
    # next one stays within 4 s; then the intervals grow by the factor.
    assert job.polled_at[:7] == pytest.approx([0.505, 1.005, 1.505, 2.005, 2.505, 3.005, 3.505])
    assert job.sleeps[7:11] == pytest.approx([1.0, 2.0, 4.0, 8.0])


async def test_slow_polls_do_not_push_the_grid_later() -> None:
    """Time spent in each poll (an answer taking 0.1 s) is taken off the next wait."""

    class Slow(Scripted):
        async def poll(self) -> JobStatus:
            status = await super().poll()
            self.now += 0.1
            return status

    job = Slow([RUNNING] * 3 + [DONE])
    await job.wait(PollSchedule(first=0.3, factor=1.1, cap=60.0, expected=1.0))
    assert job.polled_at == pytest.approx([0.405, 0.705, 1.005, 1.305])


def test_a_schedule_without_an_expected_time_starts_at_first() -> None:
    assert PollSchedule(first=0.7).start() == 0.7
    assert PollSchedule(first=0.3, expected=1.0).start() == pytest.approx(0.405)
