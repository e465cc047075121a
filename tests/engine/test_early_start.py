"""``apply --auto-approve`` starts each branch as soon as that branch is planned (engine/early.py).

The branches are found from the spec alone; the order of events is forced
with events between fake planners and fake executors (nothing is timed);
and every example spec applied this way plans exactly as a plan of the whole
spec does, converges, and applies nothing the second time.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Collection
from pathlib import Path
from typing import Any

import pytest

from reconciler import emulators, errors
from reconciler.engine.early import EarlyApply, branches, narrowed
from reconciler.engine.executor import ApplyReport, Event
from reconciler.engine.graph import Graph
from reconciler.engine.plan import Change, Plan
from reconciler.providers.base import ClientOptions, Decision
from reconciler.spec.document import Spec
from reconciler.state.document import StateDocument
from reconciler.vocabulary import Action, Reason
from reconciler.workflow import Settings, Workspace
from tests.support import REPO, no_wait

WEEKLY = REPO / "specs" / "weekly-refresh.yaml"
MANY = REPO / "specs" / "many-markets.yaml"


def load(path: Path, *var_files: str) -> Spec:
    from reconciler.spec.variables import VarInputs

    variables = VarInputs(files=tuple(str(REPO / "specs" / name) for name in var_files))
    return Workspace(path, settings=Settings(environ={}, variables=variables)).validate()


def test_a_branch_is_what_references_or_a_provider_instance_join() -> None:
    spec = load(WEEKLY)
    found = branches(spec, Graph.from_spec(spec))
    assert sorted(address for branch in found for address in branch) == sorted(spec.resources)
    by_provider: dict[str, set[int]] = {}
    for index, branch in enumerate(found):
        for address in branch:
            by_provider.setdefault(spec.resources[address].provider, set()).add(index)
            for dep in Graph.from_spec(spec).dependencies[address]:
                assert dep in branch  # what a resource refers to is planned with it
    assert all(len(indexes) == 1 for indexes in by_provider.values())  # one provider instance, one branch
    assert len(found) == len(by_provider) > 1  # a branch per market


def test_a_narrowed_spec_keeps_only_its_branch() -> None:
    spec = load(WEEKLY)
    branch = branches(spec, Graph.from_spec(spec))[0]
    assert list(narrowed(spec, branch).resources) == branch


def change(address: str, provider: str) -> Change:
    return Change(
        address, address.rsplit(".", 1)[0], provider, Decision(action=Action.CREATE, reason=Reason.NO_RECORD)
    )


class Branches:
    """Fake planners (one per branch) and executors: branch 0 is planned at once; every other
    branch is planned only once branch 0's changes have started."""

    def __init__(self, spec: Spec, *, fail: bool = False) -> None:
        self.spec = spec
        self.fail = fail
        self.first = branches(spec, Graph.from_spec(spec))[0]
        self.first_started = asyncio.Event()
        self.started: list[str] = []
        self.stopped_seen: list[bool] = []
        self.events: list[Event] = []
        self.stop = asyncio.Event()

    async def plan_branch(self, branch: Spec, chosen: Collection[str]) -> Plan:
        if list(branch.resources) != self.first:
            await self.first_started.wait()  # would never be set if nothing started before every read
            if self.fail:
                raise errors.PlanError("a lookup in another market was ambiguous")
        changes = tuple(change(address, spec.provider) for address, spec in branch.resources.items())
        return Plan(changes, lineage="l", serial=0)

    def executor(self, plan: Plan, report: Any) -> Any:
        outer = self

        class Run:
            async def run(self) -> ApplyReport:
                outer.started.extend(change.address for change in plan.changes)
                for change in plan.changes:
                    report(Event("start", change.address, change.action))
                if plan.changes[0].address in outer.first:
                    outer.first_started.set()
                    await asyncio.sleep(0)
                outer.stopped_seen.append(outer.stop.is_set())
                done = ApplyReport()
                for change in plan.changes:
                    done.outcomes[change.address] = "done"
                    done.actions[change.address] = change.action
                return done

        return Run()

    def early(self) -> EarlyApply:
        return EarlyApply(self.spec, executor=self.executor, on_event=self.events.append, stop=self.stop)


async def test_a_branch_starts_before_the_other_branches_are_read_and_progress_waits_for_the_plan() -> None:
    spec = load(WEEKLY)
    fake = Branches(spec)
    early = fake.early()
    async with asyncio.timeout(30):  # a guard against a hang, not a measurement
        plan, running = await early.plan(
            fake.plan_branch, state=StateDocument(), replace=(), check=lambda p: None
        )
    assert fake.started[: len(fake.first)] == fake.first
    assert fake.events == []  # held back until the plan is shown
    early.shown()
    report = await early.settle(running)
    assert [event.address for event in fake.events] == fake.started
    assert report.ok and set(report.outcomes) == set(spec.resources)
    # The merged plan is the whole spec's, in its dependency order.
    assert [change.address for change in plan.changes] == Graph.from_spec(spec).order()


async def test_a_branch_that_cannot_be_planned_stops_everything_and_its_error_is_raised() -> None:
    spec = load(WEEKLY)
    fake = Branches(spec, fail=True)
    early = fake.early()
    with pytest.raises(errors.PlanError, match="ambiguous"):
        async with asyncio.timeout(30):
            await early.plan(fake.plan_branch, state=StateDocument(), replace=(), check=lambda p: None)
    assert fake.stop.is_set()  # nothing new starts; jobs in flight stay recorded for the next apply
    assert set(fake.started) == set(fake.first)


async def test_a_plan_check_failing_for_a_branch_starts_nothing_of_it() -> None:
    spec = load(WEEKLY)
    fake = Branches(spec)

    def refuse(plan: Plan) -> None:
        raise errors.PlanError("prevent_replace")

    with pytest.raises(errors.PlanError, match="prevent_replace"):
        await fake.early().plan(fake.plan_branch, state=StateDocument(), replace=(), check=refuse)
    assert fake.started == []


@pytest.mark.parametrize(
    ("spec_name", "var_files"), [("weekly-refresh.yaml", ()), ("multi-platform.yaml", ())]
)
async def test_started_early_the_plan_is_the_whole_plan_and_the_apply_converges(
    tmp_path: Path, spec_name: str, var_files: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    monkeypatch.chdir(tmp_path)
    settings = Settings(
        environ={},
        emulator_dir=tmp_path / "emulators",
        emulator_durations={name: dict.fromkeys(kinds, 0.0) for name, kinds in emulators.JOB_KINDS.items()},
        client=ClientOptions(sleep=no_wait),
    )
    spec = tmp_path / "specs" / spec_name
    planned = (await Workspace(spec, settings=settings).plan()).plan
    shown: list[Plan] = []
    events: list[Event] = []

    def approve(plan: Plan) -> bool:
        shown.append(plan)
        assert events == []  # no progress before the plan
        return True

    first = await Workspace(spec, settings=settings).apply(
        approve=approve, on_event=events.append, early=True
    )
    assert first.report.ok, first.report.messages
    assert shown == [first.plan]
    assert [(c.address, c.action, c.fingerprint) for c in first.plan.changes] == [
        (c.address, c.action, c.fingerprint) for c in planned.changes
    ]
    again = await Workspace(spec, settings=settings).apply(early=True)
    assert not again.plan.has_changes, [change.address for change in again.plan.actionable]
