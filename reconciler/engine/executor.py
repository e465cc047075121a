"""Apply: carry out a plan, concurrently where the graph allows, write-ahead always.

Each change runs as soon as everything it depends on has finished, with at
most ``per_provider`` changes in flight per provider instance (one Alviss
project should not be flooded; independent projects proceed side by side).

What can go wrong, and what happens:

* a job fails (the platform's own failure word) → that resource is tainted
  with the platform's message, what depends on it is not started
  (``skipped``), independent branches carry on;
* a job finishes but its result fails the resource's ``checks`` (quality
  gates, ``engine/gates.py``) → it is recorded ``rejected`` with its outputs,
  what depends on it (whatever would promote it) is held back (``skipped``),
  independent branches carry on, and the run counts as failed; a job the plan
  keeps rejected holds back its dependents the same way;
* anything else goes wrong once a job id is recorded (an outage, a rejected
  token, a garbled answer) → the job stays recorded, the resource ends
  "still running, unknown: <reason>", and the next run resumes waiting;
* a creating call's answer is lost (:class:`errors.OutcomeUnknown`), or an
  earlier run was cut off after announcing one → the resource type looks the
  object up (``recover``) and adopts it; only when nothing is found is the
  call sent again;
* a job is still running at its deadline, or detached (``apply --detach``),
  or the run is stopped → the job stays recorded as pending and the next run
  resumes waiting; what depends on it is ``waiting`` on it (not a failure:
  the next apply makes it);
* the state cannot be written → nothing new starts and the error (with its
  emergency copy) is raised once everything in flight has stopped;
* what a resource would send has another fingerprint than the plan showed
  (its inputs changed after the plan was made) → the journal refuses the
  intent with a ``PlanError`` before the call is sent; the record is left as
  it was (not tainted) and the next plan shows the new inputs.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from reconciler import errors
from reconciler.engine import gates
from reconciler.engine.adopt import adopt_object
from reconciler.engine.checkpoint import Checkpointer, ResourceJournal
from reconciler.engine.graph import Graph
from reconciler.engine.plan import Change, Plan
from reconciler.engine.planner import TypeLookup, data_upstream, target_of
from reconciler.providers.base import Decision, Desired, ResourceType, Upstream, fingerprint
from reconciler.redact import known
from reconciler.spec.document import Spec
from reconciler.state.document import ResourceState
from reconciler.vocabulary import Action, Reason
from reconciler.wait import transient

#: How a change ended in this run: ``pending`` its job is still running, ``waiting`` it waits on
#: such a job (neither is a failure); ``skipped`` not started because of a failure or a stop.
#: ``rejected``: the job finished but failed its quality gates (``checks``).
Outcome = Literal["done", "failed", "pending", "waiting", "skipped", "rejected"]

#: How often a creating call whose answer was lost is sent again when no object turns up.
RESENDS = 3


@dataclass(frozen=True)
class Event:
    """Something that happened during apply, for progress display."""

    kind: Literal["start", "status", "done", "failed", "pending", "waiting", "skipped", "rejected"]
    address: str
    action: Action
    message: str = ""
    word: str | None = None
    estimate_seconds: float | None = None


@dataclass
class ApplyReport:
    """How each change of this run ended (no-ops are not changes: they have no outcome)."""

    outcomes: dict[str, Outcome] = field(default_factory=dict)
    messages: dict[str, str] = field(default_factory=dict)
    #: The planned action of each change with an outcome, so what was done can be counted by kind.
    actions: dict[str, Action] = field(default_factory=dict)
    #: Records the plan's moved blocks moved before anything else (nothing sent).
    moved: int = 0

    @property
    def ok(self) -> bool:
        """Every change is done: nothing failed, nothing is still running or waiting."""
        return all(outcome == "done" for outcome in self.outcomes.values())

    @property
    def failed(self) -> bool:
        """Something failed, was rejected by its checks or was not started; jobs still running and what
        waits on them are not failures."""
        return any(outcome in ("failed", "skipped", "rejected") for outcome in self.outcomes.values())

    def count(self, outcome: Outcome) -> int:
        return sum(1 for value in self.outcomes.values() if value == outcome)

    def done(self) -> Counter[Action]:
        """The changes this run finished, by planned action."""
        return Counter(self.actions[address] for address, value in self.outcomes.items() if value == "done")


class Executor:
    """Runs one plan against open clients, checkpointing through ``checkpointer``."""

    def __init__(
        self,
        plan: Plan,
        *,
        spec: Spec,
        types: TypeLookup,
        clients: Mapping[str, Any],
        checkpointer: Checkpointer,
        on_event: Callable[[Event], None] | None = None,
        per_provider: int = 4,
        stop: asyncio.Event | None = None,
        graph: Graph | None = None,
    ) -> None:
        self.plan = plan
        self.spec = spec
        self.types = types
        self.clients = clients
        self.checkpointer = checkpointer
        self.on_event = on_event or (lambda event: None)
        self.graph = graph or Graph.from_spec(spec)  # given: several executors share the spec's graph
        self.report = ApplyReport()
        self.stop = stop or asyncio.Event()
        self._limits: dict[str, asyncio.Semaphore] = {}
        self._per_provider = per_provider
        self._fatal: errors.ReconcilerError | None = None
        #: Per change not started or waiting: the change it is held up by at the root (one that
        #: failed, or whose job is still running), so a message names the cause, not the next link.
        self._held_by: dict[str, str] = {}

    async def run(self) -> ApplyReport:
        finished: dict[str, asyncio.Event] = {change.address: asyncio.Event() for change in self.plan.changes}
        async with asyncio.TaskGroup() as group:
            for change in self.plan.changes:
                group.create_task(self._run_one(change, finished))
        if self._fatal is not None:
            raise self._fatal
        return self.report

    async def _run_one(self, change: Change, finished: dict[str, asyncio.Event]) -> None:
        try:
            deps = self.graph.dependencies.get(change.address, ())
            for dep in deps:
                if dep in finished:
                    await finished[dep].wait()
            if change.action is not Action.NOOP:
                if self.stop.is_set():
                    self._end(change, "skipped", "not started: the run was stopped")
                    return
                if self._held_up(change, deps):
                    return
            await self._carry_out(change)
        except errors.StateError as exc:
            # Without a place to record progress nothing else may start.
            self._fatal = self._fatal or exc
            self.stop.set()
            self._end(change, "failed", exc.message)
        except errors.ReconcilerError as exc:
            self._end(change, "failed", str(exc))
        finally:
            finished[change.address].set()

    def _held_up(self, change: Change, deps: tuple[str, ...]) -> bool:
        """End ``change`` when a dependency did not finish: not started after a failure (a failure
        wins), waiting when all it waits on is a job still running. False when it can run."""
        outcomes = {dep: self.report.outcomes.get(dep) for dep in deps}
        kept = [dep for dep in deps if _kept_rejected(self.plan, dep)]
        rejected = [dep for dep, outcome in outcomes.items() if outcome == "rejected"] + kept
        if rejected:  # what would promote a rejected job is held back, even beside a failure
            root = self._held_by[change.address] = rejected[0]
            self._end(change, "skipped", f"held back: {root} was rejected by its checks")
            return True
        failed = [dep for dep, outcome in outcomes.items() if outcome in ("failed", "skipped")]
        running = [dep for dep, outcome in outcomes.items() if outcome in ("pending", "waiting")]
        if failed:
            root = self._held_by[change.address] = self._held_by.get(failed[0], failed[0])
            if self.report.outcomes.get(root) == "rejected":
                self._end(change, "skipped", f"held back: {root} was rejected by its checks")
                return True
            cause = "failed" if self.report.outcomes.get(root) == "failed" else "was not started"
            self._end(change, "skipped", f"not started: {root} {cause}")
            return True
        if running:
            root = self._held_by[change.address] = self._held_by.get(running[0], running[0])
            self._end(change, "waiting", f"waiting on {root} (running)")
            return True
        return False

    async def _carry_out(self, change: Change) -> None:
        if change.action is Action.FORGET:
            await self.checkpointer.put(change.address, None)
            self._end(change, "done", "forgotten")
            return
        if change.action is Action.NOOP:
            # Bookkeeping only: a no-op is no change of this run, so it gets no outcome to count.
            if change.refreshed is not None and change.refreshed != self.checkpointer.get(change.address):
                await self.checkpointer.put(change.address, change.refreshed)
            return
        limit = self._limits.setdefault(change.provider, asyncio.Semaphore(self._per_provider))
        async with limit:
            if self.stop.is_set():
                self._end(change, "skipped", "not started: the run was stopped")
                return
            if change.action is Action.ADOPT:
                await self._adopt(change)
            else:
                await self._apply(change)

    async def _adopt(self, change: Change) -> None:
        """Record an object the plan found on the platform; nothing mutating is sent.

        A record the planner already made whole (a live active dataset holding
        every upload) is written as it is; an object found by lookup is read
        through its type (as ``import`` does), waited for while its job still
        runs, and recorded exactly as an apply that made it would have.
        """
        planned = change.refreshed
        if planned is None:
            raise errors.PlanError(f"{change.address}: the plan adopts it but says nothing about what")
        self.on_event(Event("start", change.address, change.action, change.summary))
        found = planned.pending
        if found is None or found.action != "adopt" or found.job_id is None:
            await self.checkpointer.put(change.address, planned)
            self._end(change, "done", "recorded " + _describe_outputs(planned.outputs))
            return
        record = await adopt_object(
            self.types(change.type),
            self.clients[change.provider],
            self._desired(change),
            change.type,
            change.provider,
            found.job_id,
            planned=found,
        )
        await self.checkpointer.put(change.address, record)
        if record.status == "pending":
            self._end(change, "pending", f"adopted {found.job_id}, still running; the next apply waits")
            return
        self._end(change, "done", f"adopted {found.job_id}: " + _describe_outputs(record.outputs))

    def _desired(self, change: Change) -> Desired[Any]:
        resource = self.spec.resources[change.address]
        upstream = data_upstream(resource, {read.address: read for read in self.plan.data})
        for dep in self.graph.dependencies[change.address]:
            dep_record = self.checkpointer.get(dep)
            upstream[dep] = Upstream(
                address=dep,
                action=self.plan[dep].action,
                outputs=dict(dep_record.outputs) if dep_record else {},
            )
        return Desired(target_of(resource, self.spec), upstream)

    def _journal(self, change: Change) -> ResourceJournal:
        last_word: list[str | None] = [None]

        def progress(address: str, word: str, estimate: float | None) -> None:
            if word != last_word[0]:
                last_word[0] = word
                self.on_event(Event("status", address, change.action, word=word, estimate_seconds=estimate))

        return ResourceJournal(
            self.checkpointer,
            address=change.address,
            type_name=change.type,
            provider=change.provider,
            action=change.action.value,
            fingerprint=change.fingerprint or "",
            on_progress=progress,
        )

    async def _apply(self, change: Change) -> None:
        rtype = self.types(change.type)
        client = self.clients[change.provider]
        desired = self._desired(change)
        journal = self._journal(change)
        decision = change.decision  # exactly as planned (and as a saved plan stored it)
        self.on_event(Event("start", change.address, change.action, change.summary))
        try:
            for attempt in range(1, RESENDS + 1):
                decision = await self._adopt_lost(rtype, client, desired, journal, decision)
                try:
                    applied = await rtype.apply(
                        client, desired, self.checkpointer.get(change.address), decision, journal
                    )
                    break
                except errors.OutcomeUnknown:
                    if attempt == RESENDS:
                        raise
        except (errors.JobTimeout, errors.Interrupted) as exc:
            self._end(change, "pending", str(exc))
            return
        except errors.StateError:
            raise
        except errors.PlanError as exc:
            # Refused before anything was sent (e.g. inputs changed since the plan): no job to forget.
            self._end(change, "failed", str(exc))
            return
        except errors.ReconcilerError as exc:
            await self._failed(change, exc)
            return
        final = ResourceState(
            type=change.type,
            provider=change.provider,
            status="ready",
            fingerprint=fingerprint(applied.inputs),
            inputs=dict(applied.inputs),
            outputs=dict(applied.outputs),
            display=dict(applied.display),
        )
        missed = gates.misses(self.spec.resources[change.address].checks, rtype, final)
        if missed:
            final = gates.rejected(final, missed)
        if self.checkpointer.get(change.address) != final:
            await self.checkpointer.put(change.address, final)
        if missed:
            self._end(change, "rejected", f"rejected by its checks: {gates.verdict(missed)}")
            return
        self._end(change, "done", _describe_outputs(applied.outputs))

    async def _adopt_lost(
        self,
        rtype: ResourceType[Any, Any, Any],
        client: Any,
        desired: Desired[Any],
        journal: ResourceJournal,
        decision: Decision,
    ) -> Decision:
        """Before sending anything: if a creating call was announced but never answered, find its object."""
        pending = journal.pending
        if pending is None or pending.job_id is not None:
            return decision
        found = await rtype.recover(client, desired, pending)
        if found is None:
            return decision
        await journal.submitted(found, adopted=True)
        self.on_event(Event("status", desired.address, decision.action, word=f"adopted {found}"))
        return dataclasses.replace(decision, action=Action.RESUME)

    async def _failed(self, change: Change, exc: errors.ReconcilerError) -> None:
        """End a change that raised: taint only what the platform itself says failed or refused.

        Once a job id is recorded, only the platform's own failure word ends the
        job; any other error while waiting for it (the network, 5xx or 429 after
        retries, a rejected token, a garbled answer, a 404 not yet confirmed)
        leaves it recorded, and the next run resumes it.  A call announced but
        not answered stays recorded too, so it is looked up before anything is
        sent again, unless the platform plainly refused it (a 4xx answer).
        """
        current = self.checkpointer.get(change.address)
        pending = current.pending if current is not None else None
        message = known()(exc.message)  # a platform's own failure text may quote what it was sent
        if not isinstance(exc, errors.JobFailed) and pending is not None:
            if pending.job_id is not None:
                self._end(change, "failed", f"still running, unknown: {message}")
                return
            if not _refused(exc):
                self._end(change, "failed", f"{message}; the call stays recorded and is looked up first")
                return
        base = current or ResourceState(type=change.type, provider=change.provider)
        await self.checkpointer.put(
            change.address, base.model_copy(update={"status": "tainted", "pending": None, "error": message})
        )
        self._end(change, "failed", message)

    def _end(self, change: Change, outcome: Outcome, message: str) -> None:
        message = known()(message)
        self.report.outcomes[change.address] = outcome
        self.report.messages[change.address] = message
        self.report.actions[change.address] = change.action
        self.on_event(Event(outcome, change.address, change.action, message))


def _kept_rejected(plan: Plan, address: str) -> bool:
    """The plan keeps ``address`` rejected by its checks (a no-op that holds back what depends on it)."""
    try:
        change = plan[address]
    except KeyError:
        return False
    return change.action is Action.NOOP and change.reason is Reason.REJECTED


def _refused(exc: errors.ReconcilerError) -> bool:
    """The platform answered the call with a refusal (an error status that is not a bad moment of
    its own, as :func:`~reconciler.wait.transient` tells them apart): nothing was made."""
    return isinstance(exc, errors.ApiError) and not transient(exc)


def _describe_outputs(outputs: Mapping[str, Any]) -> str:
    return ", ".join(f"{key}={value}" for key, value in outputs.items() if not isinstance(value, list))
