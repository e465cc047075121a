"""How a change ends when what it depends on did not finish: waiting on a running job, or not started.

Table-driven over the weekly spec, with a resource type whose jobs end as
each case says (done, failed, still running), so every combination of
upstream outcomes is reached without timing anything.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from reconciler import errors
from reconciler.engine.checkpoint import Checkpointer
from reconciler.engine.executor import Executor
from reconciler.engine.plan import Change, Plan
from reconciler.providers.base import Decision
from reconciler.state.document import StateDocument
from reconciler.vocabulary import Action, Reason
from reconciler.workflow import Settings, Workspace
from tests.support import REPO

RUNNING = errors.JobTimeout("still running")
FAILED = errors.JobFailed("the platform says: failed")


class Jobs:
    """A resource type whose ``apply`` ends each address as told (done when not told)."""

    def __init__(self, endings: dict[str, errors.ReconcilerError]) -> None:
        self.endings = endings

    async def apply(self, client: Any, desired: Any, record: Any, decision: Any, journal: Any) -> Any:
        if desired.address in self.endings:
            raise self.endings[desired.address]
        return SimpleNamespace(inputs={}, outputs={"id": 1}, display={})

    async def recover(self, *args: Any) -> None:
        return None


class Memory:
    def write(self, document: StateDocument) -> StateDocument:
        return document


def carry_out(endings: dict[str, errors.ReconcilerError], *, noop: tuple[str, ...] = ()) -> Any:
    spec = Workspace(REPO / "specs" / "weekly-refresh.yaml", settings=Settings(environ={})).validate()
    changes = tuple(
        Change(
            address,
            address.rsplit(".", 1)[0],
            resource.provider,
            Decision(action=Action.NOOP, reason=Reason.IN_SYNC)
            if address in noop
            else Decision(action=Action.CREATE, reason=Reason.NO_RECORD),
        )
        for address, resource in spec.resources.items()
    )
    plan = Plan(changes, lineage="l", serial=0)
    jobs = Jobs(endings)
    executor = Executor(
        plan,
        spec=spec,
        types=lambda name: jobs,  # type: ignore[arg-type, return-value]
        clients=dict.fromkeys(spec.providers),
        checkpointer=Checkpointer(StateDocument(), Memory()),
    )
    return asyncio.run(executor.run())


def test_dependents_of_a_running_job_wait_on_it_by_name_however_far_down() -> None:
    report = carry_out({"module.market[no].alviss.upload.sales": RUNNING})
    for address in (
        "module.market[no].alviss.active_dataset.main",
        "module.market[no].alviss.refit.weekly",
        "module.market[no].alviss.attribution.weekly",
        "module.market[no].alviss.active_attribution_set.main",
    ):
        assert report.outcomes[address] == "waiting"
        assert report.messages[address] == "waiting on module.market[no].alviss.upload.sales (running)"
    assert report.outcomes["module.market[no].alviss.upload.sales"] == "pending"
    assert not report.failed and not report.ok
    assert report.done()[Action.CREATE] == 7  # the other market, and Norway's media upload


def test_a_failure_wins_over_a_running_job_and_is_named_down_the_chain() -> None:
    report = carry_out(
        {"module.market[se].alviss.upload.sales": FAILED, "module.market[se].alviss.upload.media": RUNNING}
    )
    assert report.outcomes["module.market[se].alviss.active_dataset.main"] == "skipped"
    assert (
        report.messages["module.market[se].alviss.active_dataset.main"]
        == "not started: module.market[se].alviss.upload.sales failed"
    )
    assert (
        report.messages["module.market[se].alviss.attribution.weekly"]
        == "not started: module.market[se].alviss.upload.sales failed"
    )
    assert report.failed
    assert report.count("pending") == 1 and report.count("waiting") == 0


def test_no_ops_are_not_outcomes_of_the_run() -> None:
    uploads = ("module.market[se].alviss.upload.sales", "module.market[se].alviss.upload.media")
    report = carry_out({}, noop=uploads)
    assert not set(uploads) & set(report.outcomes)
    assert report.ok and sum(report.done().values()) == 10
