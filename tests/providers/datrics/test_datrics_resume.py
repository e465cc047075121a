"""A batched Datrics prediction interrupted through ``apply`` with tasks in flight, then applied again:
every batch is submitted exactly once (counted at the emulator), the output holds every record in order.

Two ways a run ends early: asked to stop (SIGINT: waits end at once, the submitted tasks stay recorded)
and cut off (the run is cancelled where it stands, as a killed process is).  Time is a clock moved by
hand: the emulator's tasks run for 100 s of it, and the second apply starts once they have finished.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import shutil
import signal
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from datrics_provider_support import REPO, Example, posts

from reconciler.providers.base import ClientOptions
from reconciler.vocabulary import Action, Reason
from reconciler.workflow import Workspace

WEEKLY = "datrics.predictions.weekly_credit"
SUBMIT = "POST /api/v1/proxy/pipeline/model/predict"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def batched(tmp_path: Path) -> Example:
    example = Example.copy(tmp_path)
    shutil.copy(REPO / "specs" / "datrics-batches.yaml", tmp_path / "specs" / "datrics-batches.yaml")
    return replace(example, root=tmp_path)


def workspace(example: Example, clock: Clock, client: ClientOptions) -> Workspace:
    settings = replace(
        example.settings,
        emulator_clock=clock,
        emulator_durations={"datrics": {"predict": 100.0}},
        client=client,
    )
    return Workspace(example.root / "specs" / "datrics-batches.yaml", settings=settings)


def recorded(example: Example) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((example.root / "state" / "datrics-batches.json").read_text())
    return body["resources"][WEEKLY]


async def interrupted(example: Example, clock: Clock, how: str) -> list[str]:
    """Apply until two tasks are in flight, then interrupt it (SIGINT, ``stop``) or cut it off
    (``kill``: the run is cancelled where it stands, as a killed process is); the recorded task ids."""
    sent: list[bool] = []

    async def sleep(seconds: float) -> None:
        # The first wait for a running task: at most 2 tasks in flight, none can finish (the clock
        # stands still), so batch 3 waits for a place.
        if how == "stop" and not sent:
            sent.append(True)
            os.kill(os.getpid(), signal.SIGINT)
        await asyncio.sleep(0)

    client = ClientOptions(sleep=sleep, clock=clock)
    run = asyncio.ensure_future(workspace(example, clock, client).apply(handle_interrupts=True))
    if how == "stop":
        result = await run
        assert result.interrupted and not result.report.ok
        assert result.report.outcomes[WEEKLY] == "pending", result.report.messages
    else:
        for _ in range(10_000):  # until both tasks are recorded, then the run is cut off
            await asyncio.sleep(0)
            if len(in_flight(example)) == 2:
                break
        run.cancel()
        with pytest.raises(asyncio.CancelledError):
            await run
    return str(recorded(example)["pending"]["job_id"]).split(",")


def in_flight(example: Example) -> list[str]:
    path = example.root / "state" / "datrics-batches.json"
    if not path.exists():
        return []
    pending = recorded(example).get("pending") or {}
    return [task_id for task_id in str(pending.get("job_id") or "").split(",") if task_id]


@pytest.mark.parametrize("how", ["stop", "kill"])
async def test_an_interrupted_batched_apply_is_resumed_sending_each_batch_once(
    batched: Example, how: str
) -> None:
    clock = Clock()
    ids = await interrupted(batched, clock, how)
    submitted = [task_id for task_id in ids if task_id]
    assert len(ids) == 3 and len(submitted) == 2  # batches 1 and 2 in flight, batch 3 not yet sent
    stats = await batched.stats()
    assert stats["requests"][SUBMIT] == 2 == posts(stats)
    assert not batched.output("weekly_credit_scores.csv").exists()

    planned = (await workspace(batched, clock, ClientOptions(clock=clock)).plan()).plan
    assert (planned[WEEKLY].action, planned[WEEKLY].reason) == (Action.RESUME, Reason.JOB_RUNNING)

    clock.now += 200  # the tasks in flight have finished
    result = await workspace(batched, clock, ClientOptions(clock=clock, sleep=_advance(clock))).apply()
    assert result.report.ok, result.report.messages
    stats = await batched.stats()
    assert stats["requests"][SUBMIT] == 3 == posts(stats)  # only batch 3 was sent by the second run
    assert stats["objects"] == {"prediction_task": 3}
    state = recorded(batched)
    assert state["status"] == "ready"
    assert state["display"]["task_ids"][:2] == submitted  # the recorded tasks were waited for, not resent
    rows = list(csv.DictReader(io.StringIO(batched.output("weekly_credit_scores.csv").read_text())))
    assert [row["application_id"] for row in rows] == [f"A-{n}" for n in range(1001, 1010)]

    again = (await workspace(batched, clock, ClientOptions(clock=clock)).plan()).plan
    assert not again.has_changes


def _advance(clock: Clock) -> Any:
    async def sleep(seconds: float) -> None:
        clock.now += seconds
        await asyncio.sleep(0)

    return sleep
