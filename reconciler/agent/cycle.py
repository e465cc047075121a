"""One cycle of one workspace: refresh and plan, apply if allowed, resume pending jobs, record the run.

A cycle is the library calls the command line makes (:class:`Workspace`):

* ``--apply auto``: ``apply`` with every plan approved, as ``apply
  --auto-approve`` (it plans under the state lock, so what it carries out is
  what it read).
* ``--apply never``: ``plan``.  Jobs a person's apply left running are still
  resumed (``apply --target`` of just those, approved only while the plan is
  nothing but resumes): waiting for a job that was submitted sends nothing new.
* ``--apply approved``: a plan with changes is saved as ``PLANDIR/NAME.plan``
  and waits for ``reconciler approve`` (:mod:`.approval`); once approved it is
  applied exactly as ``apply PLANFILE`` does, or refused if anything it was
  based on changed.  While it waits, the same plan is not written again (a
  person may be reading it); a different one replaces it, and the approval of
  the old one is gone with it.

Every cycle ends in one :class:`~reconciler.state.runs.RunRecord`, whatever
happened; an error of the cycle is its message on that record, never an
exception out of here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reconciler import errors
from reconciler.agent import approval
from reconciler.agent.options import ApplyMode
from reconciler.engine import saved
from reconciler.engine.drift import DriftReport
from reconciler.engine.executor import Event
from reconciler.engine.plan import Plan
from reconciler.spec.document import Spec
from reconciler.state.document import StateDocument
from reconciler.state.runs import DriftClass, RunKind, RunOutcome, RunRecord
from reconciler.vocabulary import Action
from reconciler.workflow import ApplyResult, PlanResult, Workspace

logger = logging.getLogger(__name__)

#: A finished job: platform, kind (the resource type's name), how it ended, seconds it took.
JobObserver = Callable[[str, str, str, float], None]

_TERMINAL = ("done", "failed", "rejected")


@dataclass(frozen=True)
class CycleSettings:
    """How cycles of this agent run."""

    mode: ApplyMode = "never"
    detach: bool = False
    plan_dir: Path | None = None
    agent: str = ""
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    on_job: JobObserver | None = None


@dataclass(frozen=True)
class CycleResult:
    """What one cycle found and did, and what the page shows of it."""

    run: RunRecord
    spec: Spec | None = None
    state: StateDocument | None = None
    plan: Plan | None = None
    planned_at: datetime | None = None


def plan_file_for(name: str, spec_path: Path, plan_dir: Path | None) -> Path:
    """Where ``--apply approved`` keeps the workspace's plan waiting for approval."""
    directory = plan_dir if plan_dir is not None else spec_path.parent / "plans"
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)
    return directory / f"{safe}.plan"


async def run_cycle(
    workspace: Workspace,
    *,
    name: str,
    spec_path: Path,
    settings: CycleSettings,
    stop: asyncio.Event,
) -> CycleResult:
    """One cycle of ``workspace``; never raises for a :class:`ReconcilerError` (it is on the record)."""
    cycle = _Cycle(workspace, name=name, spec_path=spec_path, settings=settings, stop=stop)
    return await cycle.run()


class _Cycle:
    def __init__(
        self,
        workspace: Workspace,
        *,
        name: str,
        spec_path: Path,
        settings: CycleSettings,
        stop: asyncio.Event,
    ) -> None:
        self.workspace = workspace
        self.name = name
        self.spec_path = spec_path
        self.settings = settings
        self.stop = stop
        self.started = settings.now()
        self.spec: Spec | None = None
        self.state: StateDocument | None = None
        self.plan: Plan | None = None
        self.planned_at: datetime | None = None
        self._began: dict[str, datetime] = {}

    async def run(self) -> CycleResult:
        try:
            self.spec = self.workspace.validate()
            mode = self.settings.mode
            if mode == "auto":
                record = await self._auto()
            elif mode == "approved":
                record = await self._approved()
            else:
                record = await self._never()
        except errors.ReconcilerError as error:
            record = self._record("plan" if self.plan is None else "apply", "error", error=_one_line(error))
        except Exception as exc:  # a bug: on the record and in the log, and the agent goes on
            logger.exception("workspace %s: unexpected error in a cycle", self.name)
            record = self._record("plan", "error", error=f"unexpected internal error ({type(exc).__name__})")
        if self.state is None:
            with contextlib.suppress(errors.ReconcilerError):
                self.state = self.workspace.state()
        return CycleResult(record, self.spec, self.state, self.plan, self.planned_at)

    # -- the three modes -----------------------------------------------------------------------

    async def _auto(self) -> RunRecord:
        before = self.workspace.state()
        result = await self.workspace.apply(
            approve=self._planned,
            on_event=self._event(before),
            detach=self.settings.detach,
            stop=self.stop,
            early=True,  # as apply --auto-approve: each branch starts as soon as it is planned
        )
        return self._applied(result)

    async def _never(self) -> RunRecord:
        planned = await self.workspace.plan()
        self._took(planned.plan, planned.state)
        resumes = _resumes(planned.plan)
        if resumes:
            return await self._resume(resumes, planned.state)
        return self._planned_record()

    async def _approved(self) -> RunRecord:
        plan_file = plan_file_for(self.name, self.spec_path, self.settings.plan_dir)
        if plan_file.exists() and approval.approval_of(plan_file) is not None:
            return await self._apply_approved(plan_file)
        planned, temp = await self._plan_to(plan_file.parent)
        try:
            plan = planned.plan
            self._took(plan, planned.state)
            resumes = _resumes(plan)
            resumed: RunRecord | None = None
            if resumes:
                # Waiting for submitted jobs needs no approval: resume them, then plan the rest again.
                resumed = await self._resume(resumes, planned.state)
                if len(resumes) == len(plan.actionable) and not plan.moved:
                    return resumed
                temp.unlink()
                planned, temp = await self._plan_to(plan_file.parent)
                plan = planned.plan
                self._took(plan, planned.state)
            record = self._wait_for_approval(plan, plan_file, temp)
            if resumed is not None:
                update = {
                    "kind": "apply",
                    "apply_summary": resumed.apply_summary,
                    "failures": resumed.failures,
                }
                record = record.model_copy(update=update)
            return record
        finally:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()

    def _wait_for_approval(self, plan: Plan, plan_file: Path, temp: Path) -> RunRecord:
        """Keep ``temp`` (the plan just saved) as the plan waiting for approval, unless nothing changed."""
        if not plan.has_changes:
            approval.withdraw(plan_file)  # whatever waited is moot now
            return self._planned_record()
        if plan_file.exists() and _same_plan(plan_file, plan):
            return self._planned_record(plan_file=plan_file)
        os.replace(temp, plan_file)
        with contextlib.suppress(FileNotFoundError):
            approval.approval_path(plan_file).unlink()  # an approval was for the plan replaced
        logger.info("workspace %s: a plan waits for approval: reconciler approve %s", self.name, plan_file)
        return self._planned_record(plan_file=plan_file)

    async def _apply_approved(self, plan_file: Path) -> RunRecord:
        before = self.workspace.state()
        try:
            result = await self.workspace.apply(
                plan_file=plan_file,
                on_event=self._event(before),
                detach=self.settings.detach,
                stop=self.stop,
            )
        except errors.PlanError as error:
            approval.withdraw(plan_file)
            return self._record(
                "apply",
                "error",
                error=_one_line(error) + " (the approved plan was withdrawn; the next cycle plans again)",
            )
        approval.withdraw(plan_file)
        return self._applied(result)

    async def _resume(self, resumes: Collection[str], before: StateDocument) -> RunRecord:
        result = await self.workspace.apply(
            approve=lambda plan: all(change.action is Action.RESUME for change in plan.actionable),
            on_event=self._event(before),
            detach=self.settings.detach,
            stop=self.stop,
            targets=tuple(resumes),
        )
        full = self.plan
        if not result.approved:  # something besides resumes turned up under the lock: only planned
            return self._planned_record()
        record = self._applied(result)
        if full is not None and full is not result.plan:
            # The run shows the whole plan (what still waits for an apply), and what resuming did.
            self.plan = full
            record = record.model_copy(update=self._plan_fields())
        return record

    # -- helpers ----------------------------------------------------------------------------

    async def _plan_to(self, directory: Path) -> tuple[PlanResult, Path]:
        try:
            directory.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(prefix=".agent-", suffix=".plan", dir=directory)
            os.close(fd)
        except OSError as exc:
            raise errors.PlanError(
                f"cannot keep plans in {directory}: {exc.strerror or exc}",
                hint="name a writable directory with --plan-dir",
            ) from exc
        path = Path(temp)
        try:
            return await self.workspace.plan(out=path), path
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            raise

    def _planned(self, plan: Plan) -> bool:
        self._took(plan, None)
        return True

    def _took(self, plan: Plan, state: StateDocument | None) -> None:
        self.plan = plan
        self.planned_at = self.settings.now()
        if state is not None:
            self.state = state

    def _event(self, before: StateDocument) -> Callable[[Event], None]:
        def on_event(event: Event) -> None:
            observer = self.settings.on_job
            if event.kind == "start":
                record = before.resources.get(event.address)
                pending = record.pending if record is not None else None
                if event.action is Action.RESUME and pending is not None:
                    self._began[event.address] = pending.submitted_at  # the job's age, not this wait's
                else:
                    self._began[event.address] = self.settings.now()
            elif event.kind in _TERMINAL and observer is not None and event.address in self._began:
                if event.action in (Action.FORGET, Action.ADOPT):
                    return
                began = self._began.pop(event.address)
                seconds = max((self.settings.now() - began).total_seconds(), 0.0)
                platform, kind = _platform_kind(event.address)
                observer(platform, kind, event.kind, seconds)

        return on_event

    def _applied(self, result: ApplyResult) -> RunRecord:
        self.plan = result.plan
        self.planned_at = self.planned_at or self.settings.now()
        self.state = result.state
        if not result.plan.has_changes:
            return self._planned_record()
        report = result.report
        outcomes = Counter(report.outcomes.values())
        failures = {
            address: report.messages.get(address, outcome)
            for address, outcome in report.outcomes.items()
            if outcome in ("failed", "rejected", "skipped")
        }
        outcome: RunOutcome
        error = None
        if result.interrupted:
            # What the stop kept from starting is no failure: the next cycle starts it.
            failures = {k: v for k, v in failures.items() if report.outcomes[k] != "skipped"}
            outcome = "failed" if failures else "running"
            error = "stopped by the agent's shutdown: every job stays recorded; the next cycle resumes"
        elif report.failed:
            outcome = "failed"
        elif not report.ok:
            outcome = "running"
        else:
            outcome = "applied"
        return self._record(
            "apply",
            outcome,
            apply_summary={str(k): v for k, v in outcomes.items()},
            failures=failures,
            error=error,
        )

    def _planned_record(self, *, plan_file: Path | None = None) -> RunRecord:
        outcome: RunOutcome = "changes" if self.plan is not None and self.plan.has_changes else "in_sync"
        return self._record("plan", outcome, plan_file=plan_file)

    def _plan_fields(self) -> dict[str, Any]:
        """The run's drift class and plan summary, from the cycle's plan (none before one was made)."""
        if self.plan is None:
            return {"drift": None, "plan_summary": {}}
        drift: DriftClass = DriftReport.from_plan(self.plan).worst or "in_sync"
        summary = {action.value: count for action, count in self.plan.counts().items()}
        if self.plan.moved:
            summary["move"] = len(self.plan.moved)
        return {"drift": drift, "plan_summary": summary}

    def _record(
        self,
        kind: RunKind,
        outcome: RunOutcome,
        *,
        apply_summary: dict[str, int] | None = None,
        failures: dict[str, str] | None = None,
        error: str | None = None,
        plan_file: Path | None = None,
    ) -> RunRecord:
        return RunRecord(
            workspace=self.name,
            kind=kind,
            started_at=self.started,
            finished_at=self.settings.now(),
            outcome=outcome,
            **self._plan_fields(),
            apply_summary=apply_summary or {},
            failures=failures or {},
            error=error,
            plan_file=None if plan_file is None else str(plan_file),
            agent=self.settings.agent,
        )


def _resumes(plan: Plan) -> list[str]:
    return [change.address for change in plan.actionable if change.action is Action.RESUME]


def _same_plan(plan_file: Path, plan: Plan) -> bool:
    """Whether the waiting plan file holds these very changes (so it need not be written again)."""
    try:
        waiting = saved.read(plan_file).plan
    except errors.ReconcilerError:
        return False
    return _shape(waiting) == _shape(plan)


def _shape(plan: Plan) -> tuple[object, ...]:
    changes = tuple((c.address, c.action, c.fingerprint, c.basis) for c in plan.actionable)
    lineage = plan.lineage if plan.serial else None  # an empty state gets a new lineage at each read
    return (lineage, plan.serial, changes, tuple((m.source, m.to) for m in plan.moved))


def _platform_kind(address: str) -> tuple[str, str]:
    from reconciler.spec.names import type_of

    try:
        rtype = type_of(address)
    except ValueError:
        return "unknown", "unknown"
    platform, _, kind = rtype.partition(".")
    return platform, kind


def _one_line(error: errors.ReconcilerError) -> str:
    """The error and its hint on one line (``message hint: what to do``)."""
    return " ".join(str(error).split())
