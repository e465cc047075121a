"""Start work sooner: plan each branch of the spec on its own, and carry it out as soon as it is planned.

``apply --auto-approve`` need not wait for the whole refresh before the first
job: a *branch* (resources linked by references or ``depends_on``, or sharing
a provider instance, which is where lookups, adoption and "active" objects
interact) is read, looked up and decided on its own, and its changes start
as soon as its plan is whole and passes the plan's checks.  The plan shown is
still the whole plan, the same one a plan of the whole spec makes (the
branches' changes in the spec's dependency order, then the forgets): progress
is held back until it has been shown.  Nothing about a change differs from
the usual apply: the same :class:`~reconciler.engine.executor.Executor`, the
same checkpointer (write-ahead record, group commit), the same per-provider
limits.  When a later branch cannot be planned (a read fails, a lookup is
ambiguous, a replacement is refused), nothing new starts, the jobs already
submitted stay recorded (the next apply resumes them) and the plan's error
is raised once everything in flight has stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Awaitable, Callable, Collection

from reconciler import errors
from reconciler.engine.executor import ApplyReport, Event, Executor
from reconciler.engine.graph import Graph
from reconciler.engine.plan import Plan
from reconciler.engine.planner import assemble
from reconciler.spec.document import Spec
from reconciler.state.document import StateDocument

#: Plans one branch: the spec narrowed to it, and the ``replace`` addresses that are in it.
PlanBranch = Callable[[Spec, Collection[str]], Awaitable[Plan]]


def branches(spec: Spec, graph: Graph) -> list[list[str]]:
    """The spec's resources in groups that plan and apply independently of each other (spec order)."""
    parent: dict[str, str] = {address: address for address in spec.resources}

    def root(address: str) -> str:
        while parent[address] != address:
            parent[address] = parent[parent[address]]
            address = parent[address]
        return address

    def join(one: str, other: str) -> None:
        parent[root(one)] = root(other)

    first_of_provider: dict[str, str] = {}
    for address, resource in spec.resources.items():
        for dep in graph.dependencies.get(address, ()):
            join(address, dep)
        provider = first_of_provider.setdefault(resource.provider, address)
        join(address, provider)
    groups: dict[str, list[str]] = {}
    for address in spec.resources:
        groups.setdefault(root(address), []).append(address)
    return list(groups.values())


def narrowed(spec: Spec, addresses: Collection[str]) -> Spec:
    """``spec`` with only ``addresses`` among its resources (and import blocks)."""
    keep = set(addresses)
    return dataclasses.replace(
        spec,
        resources={address: spec.resources[address] for address in spec.resources if address in keep},
        imports=tuple(block for block in spec.imports if block.to in keep),
        outputs={},
    )


class EarlyApply:
    """Plans the branches side by side and starts each one's changes as soon as it is planned.

    ``executor`` makes the executor of one branch's plan reporting to the given callback.
    """

    def __init__(
        self,
        spec: Spec,
        *,
        executor: Callable[[Plan, Callable[[Event], None]], Executor],
        on_event: Callable[[Event], None] | None,
        stop: asyncio.Event,
    ) -> None:
        self.spec = spec
        self.graph = Graph.from_spec(spec)
        self._executor = executor
        self._on_event = on_event or (lambda event: None)
        self._stop = stop
        self._held: list[Event] | None = []  # progress until the plan is shown; None: shown
        self.report = ApplyReport()

    def _event(self, event: Event) -> None:
        if self._held is not None:
            self._held.append(event)
        else:
            self._on_event(event)

    def shown(self) -> None:
        """The whole plan has been shown: what was held back is reported, and from now on as it comes."""
        held, self._held = self._held or [], None
        for event in held:
            self._on_event(event)

    async def plan(
        self,
        plan_branch: PlanBranch,
        *,
        state: StateDocument,
        replace: Collection[str],
        check: Callable[[Plan], None],
    ) -> tuple[Plan, list[asyncio.Task[ApplyReport]]]:
        """Every branch planned (and checked by ``check``), each started once it was; the branch plans
        merged, and the running branches.  A branch that cannot be planned stops everything."""
        started: list[asyncio.Task[ApplyReport]] = []
        planned: dict[int, Plan] = {}

        async def one(index: int, addresses: list[str]) -> None:
            chosen = [address for address in replace if address in addresses]
            plan = await plan_branch(narrowed(self.spec, addresses), chosen)
            keep = set(addresses)
            plan = dataclasses.replace(plan, changes=tuple(c for c in plan.changes if c.address in keep))
            check(plan)
            planned[index] = plan
            if not self._stop.is_set():
                started.append(asyncio.create_task(self._executor(plan, self._event).run()))

        planning = [
            asyncio.ensure_future(one(index, addresses))
            for index, addresses in enumerate(branches(self.spec, self.graph))
        ]
        try:
            # As a plan of the whole spec does (its reads are gathered): the first error is raised.
            await asyncio.gather(*planning)
        except BaseException:
            for task in planning:
                task.cancel()
            await asyncio.gather(*planning, return_exceptions=True)
            self._stop.set()  # nothing new starts; what runs stops waiting and stays recorded
            with contextlib.suppress(errors.ReconcilerError):  # the plan's error is the one to tell
                await self.settle(started)
            raise
        return merge(self.spec, state, self.graph, [planned[i] for i in sorted(planned)]), started

    async def settle(self, running: list[asyncio.Task[ApplyReport]]) -> ApplyReport:
        """Wait for the running branches; their outcomes in one report (the first error raised)."""
        results = await asyncio.gather(*running, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
            self.report.outcomes.update(result.outcomes)
            self.report.messages.update(result.messages)
            self.report.actions.update(result.actions)
        return self.report


def merge(spec: Spec, state: StateDocument, graph: Graph, plans: list[Plan]) -> Plan:
    """The branch plans as one, as planning the whole spec makes it: the changes in the spec's
    dependency order, then one forget per record no longer in the spec."""
    first = plans[0]
    position = {address: index for index, address in enumerate(graph.order())}
    changes = sorted((c for plan in plans for c in plan.changes), key=lambda c: position[c.address])
    return assemble(
        {change.address: change for change in changes},
        state,
        spec,
        providers=first.providers,
        replace=sorted({address for plan in plans for address in plan.replace}),
        data={read.address: read for read in first.data},
    )
