"""What the status page shows of one workspace, built from its spec, state, last plan and recent runs.

:func:`view_of` is pure: it reads nothing and sends nothing, so the agent
builds a view from what its cycle already has and ``reconciler report``
from one read-only plan (:mod:`reconciler.report.collect`).  Everything
shown is text here; the page (:mod:`reconciler.report.page`) escapes it
and masks every known secret as it renders.

A resource's status word joins what the state recorded with what the last
plan found: a pending job is ``running`` until the plan reads it failed on
the platform (``failed``), a tainted record is ``failed`` with the
platform's message, a job held back by its quality gates is ``rejected``, a
resource of the spec the state has no record of yet is ``new``, and a
record the spec no longer names is ``not in spec``; what would change only
once a running job upstream ends is ``waiting``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from reconciler.engine.drift import LABELS, DriftReport
from reconciler.engine.graph import Graph
from reconciler.engine.plan import Change, Plan
from reconciler.spec.document import Spec
from reconciler.spec.names import parse_instance
from reconciler.spec.refs import references
from reconciler.state.document import ResourceState, StateDocument
from reconciler.state.runs import RunRecord
from reconciler.vocabulary import Action, Reason, is_known

#: Status words, in the order the page counts them (the worst first).
STATUSES: tuple[str, ...] = (
    "failed",
    "rejected",
    "running",
    "drifted",
    "waiting",
    "changes",
    "new",
    "ready",
    "not in spec",
)
#: The statuses a person must look at: listed first, each with the platform's message or the plan's reason.
ATTENTION: tuple[str, ...] = ("failed", "rejected", "drifted")
_MAX_VALUE = 160


@dataclass(frozen=True)
class JobView:
    """A job an apply submitted and recorded, not finished when the state was last written."""

    address: str
    provider: str
    step: str
    job_id: str | None
    submitted_at: datetime
    age_seconds: float
    #: What the last plan says of it (``running``, ``failed``), or ``recorded`` without a plan.
    status: str
    message: str | None = None


@dataclass(frozen=True)
class ResourceView:
    """One resource: where it stands, in words people read."""

    address: str
    type: str
    provider: str
    #: The module instance or ``for_each`` key it belongs to (``module.market[se]``), or ``""``.
    group: str
    status: str
    #: The platform's own status word as last read (``complete``, ``RUNNING``), if it gave one.
    platform_status: str | None = None
    #: The platform's message for a failed or rejected job; for a drifted one, what the plan found.
    message: str | None = None
    #: What the last plan would do (``create``, ``resume``, …), or None when nothing.
    action: str | None = None
    reason: str | None = None
    summary: str | None = None
    job: JobView | None = None
    outputs: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ValueView:
    key: str
    before: str
    after: str


@dataclass(frozen=True)
class ChangeView:
    """One change of the last plan, with the rule that decided it and its particulars."""

    address: str
    action: str
    symbol: str
    summary: str
    reason: str
    cause: str | None
    reasons: tuple[str, ...]
    #: The changes leading to this one, root cause first (empty when it has no upstream cause).
    chain: tuple[str, ...] = ()
    values: tuple[ValueView, ...] = ()


@dataclass(frozen=True)
class GroupView:
    """A module instance or ``for_each`` key (a market) and how its resources stand."""

    name: str
    status: str
    counts: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class RunView:
    """One recorded run of a workspace (the agent's history), as text."""

    started_at: datetime | None
    finished_at: datetime | None
    outcome: str
    kind: str | None = None
    drift: str | None = None
    plan: str | None = None
    apply: str | None = None
    errors: tuple[str, ...] = ()
    agent: str | None = None
    #: A saved plan waiting for approval (``reconciler approve PLANFILE``).
    plan_file: str | None = None


@dataclass(frozen=True)
class GraphView:
    """The dependency graph: nodes (address, status) in spec order and edges (dependency, dependent)."""

    nodes: tuple[tuple[str, str], ...] = ()
    edges: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class WorkspaceView:
    """Everything the page shows of one workspace."""

    name: str
    source: str | None = None
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    planned_at: datetime | None = None
    #: The drift class of the last plan (``in sync``, ``live``, ``rejected``, ``spec``, ``running``),
    #: None when there is no plan.
    drift: str | None = None
    drift_label: str | None = None
    plan_summary: str | None = None
    resources: tuple[ResourceView, ...] = ()
    groups: tuple[GroupView, ...] = ()
    jobs: tuple[JobView, ...] = ()
    changes: tuple[ChangeView, ...] = ()
    problems: tuple[ResourceView, ...] = ()
    graph: GraphView = field(default_factory=GraphView)
    runs: tuple[RunView, ...] = ()
    error: str | None = None
    serial: int | None = None

    @property
    def counts(self) -> tuple[tuple[str, int], ...]:
        return _counts(resource.status for resource in self.resources)

    @property
    def worst(self) -> str:
        """The worst status of its resources (the page's colour for the workspace)."""
        if self.error:
            return "failed"
        return _worst(resource.status for resource in self.resources)


def view_of(
    name: str,
    *,
    spec: Spec | None,
    state: StateDocument | None,
    plan: Plan | None = None,
    planned_at: datetime | None = None,
    runs: Sequence[RunRecord] = (),
    error: str | None = None,
    source: str | None = None,
    now: datetime | None = None,
) -> WorkspaceView:
    """The view of one workspace from what is known of it (any part may be missing)."""
    now = _aware(now) if now is not None else datetime.now(UTC)
    records: Mapping[str, ResourceState] = state.resources if state is not None else {}
    changes: dict[str, Change] = {change.address: change for change in plan.changes} if plan else {}
    addresses = list(dict.fromkeys([*(spec.resources if spec is not None else ()), *records, *changes]))
    resources = tuple(
        _resource(address, spec, records.get(address), changes.get(address), now=now) for address in addresses
    )
    drift, label, summary = _drift(plan)
    return WorkspaceView(
        name=name,
        source=source,
        now=now,
        planned_at=planned_at,
        drift=drift,
        drift_label=label,
        plan_summary=summary,
        resources=resources,
        groups=_groups(resources),
        jobs=tuple(resource.job for resource in resources if resource.job is not None),
        changes=tuple(_change(change, plan) for change in plan.actionable) if plan else (),
        problems=tuple(r for r in resources if r.status in ATTENTION),
        graph=_graph(spec, resources),
        runs=tuple(run_view(run) for run in runs),
        error=error,
        serial=state.serial if state is not None else None,
    )


def _resource(
    address: str, spec: Spec | None, record: ResourceState | None, change: Change | None, *, now: datetime
) -> ResourceView:
    declared = spec.resources.get(address) if spec is not None else None
    type_ = declared.type if declared else record.type if record else change.type if change else ""
    provider = (
        declared.provider if declared else record.provider if record else change.provider if change else ""
    )
    # Without a spec (it could not be loaded) nothing is known to be out of it.
    status, message = _status(declared is not None or spec is None, record, change)
    job = None
    if record is not None and record.pending is not None:
        pending = record.pending
        submitted = _aware(pending.submitted_at)
        job = JobView(
            address=address,
            provider=provider,
            step=pending.step,
            job_id=None if pending.job_id is None else str(pending.job_id),
            submitted_at=submitted,
            age_seconds=max((now - submitted).total_seconds(), 0.0),
            status=status if change is not None else "recorded",
            message=message,
        )
    acting = change is not None and change.action is not Action.NOOP
    return ResourceView(
        address=address,
        type=type_,
        provider=provider,
        group=_group(address),
        status=status,
        platform_status=_platform_status(record),
        message=message,
        action=change.action.value if change is not None and acting else None,
        reason=change.reason.value if change is not None else None,
        summary=(change.summary or None) if change is not None and acting else None,
        job=job,
        outputs=tuple((key, _text(value)) for key, value in (record.outputs if record else {}).items()),
    )


def _status(declared: bool, record: ResourceState | None, change: Change | None) -> tuple[str, str | None]:
    """The status word and, for a failure or a rejection, the platform's message."""
    reason = change.reason if change is not None else None
    waiting = reason is Reason.UPSTREAM_CHANGES and change is not None and change.cause == "running"
    if record is None:
        return ("waiting" if waiting else "new" if declared else "not in spec"), None
    if reason is Reason.FAILED_ON_PLATFORM or (reason is Reason.TAINTED and record.status != "rejected"):
        return "failed", record.error or _first(change)
    if record.status == "tainted":
        return "failed", record.error
    if record.status == "rejected" or reason is Reason.REJECTED:
        return "rejected", record.error or _first(change)
    if not declared:
        return "not in spec", None
    if record.status == "pending":
        return "running", None
    if change is not None and change.action is not Action.NOOP:
        if change.cause == "live":  # changed outside reconciler: say what the plan found
            return "drifted", _first(change)
        return ("waiting" if waiting else "changes"), None
    return "ready", None


def _first(change: Change | None) -> str | None:
    return change.reasons[0] if change is not None and change.reasons else None


def _platform_status(record: ResourceState | None) -> str | None:
    if record is None:
        return None
    for key, value in record.display.items():
        if key.lower() == "status" and isinstance(value, str | int):
            return str(value)
    return None


def _group(address: str) -> str:
    """``module.market[se]`` for a resource in that module instance, ``[se]`` for a keyed instance."""
    try:
        parsed = parse_instance(address)
    except ValueError:
        return ""
    if parsed.modules:
        return parsed.prefix.rstrip(".")
    return f"[{parsed.key}]" if parsed.key is not None else ""


def _groups(resources: Iterable[ResourceView]) -> tuple[GroupView, ...]:
    members: dict[str, list[str]] = {}
    for resource in resources:
        if resource.group:
            members.setdefault(resource.group, []).append(resource.status)
    return tuple(
        GroupView(name=name, status=_worst(statuses), counts=_counts(statuses))
        for name, statuses in members.items()
    )


def _counts(statuses: Iterable[str]) -> tuple[tuple[str, int], ...]:
    found = list(statuses)
    return tuple((status, found.count(status)) for status in STATUSES if status in found)


def _worst(statuses: Iterable[str]) -> str:
    present = set(statuses)
    return next((status for status in STATUSES if status in present), "ready")


def _drift(plan: Plan | None) -> tuple[str | None, str | None, str | None]:
    if plan is None:
        return None, None, None
    report = DriftReport.from_plan(plan)
    worst = report.worst
    counts = plan.counts()
    words = (
        (Action.CREATE, "to create"),
        (Action.UPDATE, "to change"),
        (Action.REPLACE, "to replace"),
        (Action.RESUME, "to resume"),
        (Action.ADOPT, "to adopt"),
        (Action.FORGET, "to forget"),
    )
    parts = [f"{counts[action]} {word}" for action, word in words if counts.get(action)]
    if plan.moved:
        parts.append(f"{len(plan.moved)} to move")
    summary = ", ".join(parts) if parts else "No changes."
    if worst is None:
        return "in sync", "in sync: the live platforms match the spec and the state", summary
    return worst, LABELS[worst], summary


def _change(change: Change, plan: Plan) -> ChangeView:
    keys = list(dict.fromkeys([*change.before, *change.after]))
    values = []
    for key in keys:
        before = _text(change.before[key]) if key in change.before else ""
        after = _text(change.after[key]) if key in change.after else ""
        if is_known(change.after.get(key)) and key in change.after and before == after:
            continue
        values.append(ValueView(key=key, before=before, after=after))
    chain = tuple(step.address for step in plan.chain(change.address)) if change.caused_by else ()
    return ChangeView(
        address=change.address,
        action=change.action.value,
        symbol=change.action.symbol,
        summary=change.summary or change.action.value,
        reason=change.reason.value,
        cause=change.cause,
        reasons=change.reasons,
        chain=chain,
        values=tuple(values),
    )


def _text(value: Any) -> str:
    if not is_known(value):
        return "(known after apply)"
    if isinstance(value, list | tuple):
        text = "[" + ", ".join(_text(item) for item in value) + "]"
    elif isinstance(value, Mapping):
        text = "{" + ", ".join(f"{key}: {_text(item)}" for key, item in value.items()) + "}"
    else:
        text = str(value)
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 1] + "…"


def _graph(spec: Spec | None, resources: Sequence[ResourceView]) -> GraphView:
    """The resources and the data sources they read (as ``reconciler graph`` draws them), with statuses."""
    if spec is None:
        return GraphView()
    status = {resource.address: resource.status for resource in resources}
    dependencies: dict[str, tuple[str, ...]] = dict.fromkeys(spec.data, ())
    for address, deps in Graph.from_spec(spec).dependencies.items():
        read = (ref.address for ref in references(spec.resources[address].config) if ref.address in spec.data)
        dependencies[address] = tuple(dict.fromkeys((*read, *deps)))
    nodes = tuple(
        (address, status.get(address, "data" if address in spec.data else "new")) for address in dependencies
    )
    edges = tuple((dep, address) for address, deps in dependencies.items() for dep in deps)
    return GraphView(nodes=nodes, edges=edges)


def run_view(run: RunRecord | Mapping[str, Any] | Any) -> RunView:
    """A recorded run (:class:`~reconciler.state.runs.RunRecord`, or anything with its fields) as text."""

    def get(*names: str) -> Any:
        for name in names:
            value = run.get(name) if isinstance(run, Mapping) else getattr(run, name, None)
            if value is not None and value != "":
                return value
        return None

    listed: list[str] = []
    error = get("error")
    if error is not None:
        listed.append(str(error))
    failures = get("failures")
    if isinstance(failures, Mapping):
        listed += [f"{address}: {message}" for address, message in failures.items()]
    elif isinstance(failures, list | tuple):
        listed += [str(item) for item in failures]
    errors = get("errors")
    if isinstance(errors, str):
        listed.append(errors)
    elif isinstance(errors, list | tuple):
        listed += [str(item) for item in errors]
    outcome = get("outcome")
    if outcome is None:
        ok = get("ok")
        outcome = "ok" if ok is True else "failed" if ok is False or listed else ""
    drift = get("drift")
    return RunView(
        started_at=_when(get("started_at")),
        finished_at=_when(get("finished_at")),
        outcome=_words(outcome),
        kind=_summary(get("kind")),
        drift=_words(drift) if drift is not None else None,
        plan=_summary(get("plan_summary")),
        apply=_summary(get("apply_summary")),
        errors=tuple(listed),
        agent=_summary(get("agent")),
        plan_file=_summary(get("plan_file")),
    )


def _words(value: Any) -> str:
    """A code as words: ``in_sync`` → ``in sync``."""
    return str(value).replace("_", " ")


def _aware(value: datetime) -> datetime:
    """A time without a zone (as a hand-edited or older record may hold) read as UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _when(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return _aware(value)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _summary(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, Mapping):  # counts by word: {"create": 2, "update": 1} → "2 create, 1 update"
        return ", ".join(f"{_text(item)} {key}" for key, item in value.items()) or None
    return _text(value)
