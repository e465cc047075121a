"""The one state machine of every job-like resource: ordered, named rules.

An upload, a refit, a remodel, an attribution, an Akkio dataset or training,
a Sony EPA retrain, a Datrics prediction task, an "active" selection: each is
produced by a platform job from a set of inputs (its identity).  Whether such
a resource needs anything is decided by the same rules, tried in this order
(:data:`RULES`); the first that fires gives the action, its
:class:`~reconciler.vocabulary.Reason` and the text:

1. ``job_running``: a job recorded as submitted for these very inputs is still
   alive → resume it;
2. ``answer_lost``: a job announced but never answered → send again (after
   looking it up);
3. ``no_record``: nothing recorded → create (``upstream_changes`` while an
   input is an upstream's output not known yet);
4. ``upstream_changes``: inputs known only after apply → replace;
5. ``tainted``: the last attempt failed → replace;
6. ``inputs_changed``: the inputs changed → replace, saying which;
7. ``gone``: the object is gone from the platform → create;
8. ``failed_on_platform``: the platform says it failed → replace;
9. ``in_sync``: nothing, and the recorded outputs flow downstream.

A resource type declares its identity (:class:`Job.identity`), how it reads its
job (it turns its facts into :class:`JobFacts`), its words, and only the rules
that are its platform's own: :func:`rules` takes them as functions named for
their rule, replaces a standard rule of the same name, inserts a new one
before a named one and drops the standard rules that do not apply (Akkio's "no longer listed",
Sony EPA's "the data never reached the platform", an active dataset switched
outside the tool).  Keeping the machine in one pure module means every job
type plans the same way and is tested the same way
(``tests/providers/test_job_rules.py`` runs every type through one table).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from reconciler import errors
from reconciler.diff import changes
from reconciler.providers.base import Decision
from reconciler.providers.identity import Identity, same
from reconciler.state.document import PendingOperation, ResourceState
from reconciler.vocabulary import KNOWN_AFTER_APPLY, Action, Reason
from reconciler.wait import JobStatus

T = TypeVar("T")


async def read_or_gone(fetch: Callable[[], Awaitable[T]]) -> T | None:
    """The recorded object, or None when the platform says twice in a row that it does not know it.

    A single 404 can be a moment's inconsistency (a replica behind, a job not
    listed yet); planning "gone" sends a new expensive job, so it takes two.
    """
    try:
        return await fetch()
    except errors.NotFound:
        pass
    try:
        return await fetch()
    except errors.NotFound:
        return None


@dataclass(frozen=True)
class JobFacts:
    """The recorded (or pending) object as the platform shows it now."""

    live: Mapping[str, Any] | None = None
    status: JobStatus | None = None
    gone: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class JobWords:
    """How to talk about one resource's job in a plan."""

    noun: str
    summary: str
    #: The output holding the job's object id.
    id_key: str
    #: The plan value showing that id, when not ``id_key`` (an active dataset shows ``dataset``).
    shown_as: str | None = None


def pending_for(identity: Identity | None, pending: PendingOperation | None) -> bool:
    """Whether a pending operation was announced for ``identity`` (of this or an older version)."""
    if identity is None or pending is None:
        return False
    return same(identity, pending.fingerprint, pending.identity)


def recorded_for(identity: Identity, record: ResourceState) -> bool:
    """Whether a record's object was made for ``identity`` (of this or an older version)."""
    return same(identity, record.fingerprint, record.inputs)


def upgraded(identity: Identity, record: ResourceState) -> ResourceState | None:
    """The record rewritten in the current identity's form, or None when it already is."""
    if record.fingerprint == identity.fingerprint():
        return None
    return record.model_copy(update={"fingerprint": identity.fingerprint(), "inputs": identity.canonical()})


@dataclass(frozen=True)
class Job:
    """One job-like resource at planning time: everything a rule may look at."""

    record: ResourceState | None
    #: What makes its object "the same"; None while an input is an upstream output not known yet.
    identity: Identity | None
    facts: JobFacts
    words: JobWords
    #: The upstream addresses whose outputs are not known yet.
    waiting_on: tuple[str, ...] = ()
    explain: Callable[[Mapping[str, Any], Mapping[str, Any]], list[str]] = changes

    @property
    def recorded_id(self) -> Any:
        return self.record.outputs.get(self.words.id_key) if self.record else None

    @property
    def pending(self) -> PendingOperation | None:
        """The write-ahead record of an earlier run, when it was for these very inputs."""
        pending = self.record.pending if self.record else None
        return pending if pending_for(self.identity, pending) else None

    @property
    def failed(self) -> bool:
        return self.facts.status is not None and self.facts.status.state == "failed"

    @property
    def failure(self) -> str:
        status = self.facts.status
        return (status.message or status.word) if status is not None else ""

    @property
    def anew(self) -> Action:
        """A new job: create when nothing was made yet, else replace."""
        return Action.CREATE if self.recorded_id is None else Action.REPLACE


@dataclass(frozen=True)
class Verdict:
    """What a rule concluded: the action, its reason code and text, and what differs from the defaults."""

    action: Action
    reason: Reason
    reasons: tuple[str, ...] = ()
    summary: str | None = None
    #: Values that replace the planned ones (a resumed job's id).
    after: Mapping[str, Any] = field(default_factory=dict)
    #: Instead of the recorded values (None: the defaults).
    before: Mapping[str, Any] | None = None
    #: For ``in_sync``: what downstream may use, and a record to write although nothing is sent.
    outputs: Mapping[str, Any] | None = None
    refreshed: ResourceState | None = None


def verdict(action: Action, reason: Reason, *reasons: str, **more: Any) -> Verdict:
    return Verdict(action, reason, reasons, **more)


Check = Callable[[Job], Verdict | None]


@dataclass(frozen=True)
class Rule:
    """One named step of the machine."""

    name: str
    check: Check


def _job_running(job: Job) -> Verdict | None:
    pending = job.pending
    if pending is None or pending.job_id is None or job.facts.gone or job.failed:
        return None
    return verdict(
        Action.RESUME,
        Reason.JOB_RUNNING,
        f"{job.words.noun} {pending.job_id} was submitted by an earlier run; waiting for it",
        after={job.words.id_key: pending.job_id},
    )


def _answer_lost(job: Job) -> Verdict | None:
    if job.pending is None or job.pending.job_id is not None:
        return None
    return verdict(
        job.anew,
        Reason.ANSWER_LOST,
        f"an earlier run sent this {job.words.noun} but got no answer; "
        "it is looked up before anything is sent again",
    )


def _no_record(job: Job) -> Verdict | None:
    record = job.record
    if record is not None and (job.recorded_id is not None or record.status == "tainted"):
        return None
    if job.identity is None:
        waits = (f"waits for {address}" for address in job.waiting_on)
        return verdict(Action.CREATE, Reason.UPSTREAM_CHANGES, *waits)
    return verdict(Action.CREATE, Reason.NO_RECORD, f"no {job.words.noun} recorded for these inputs yet")


def _upstream_changes(job: Job) -> Verdict | None:
    if job.identity is not None:
        return None
    return verdict(
        Action.REPLACE, Reason.UPSTREAM_CHANGES, *(f"{address} changes" for address in job.waiting_on)
    )


def _tainted(job: Job) -> Verdict | None:
    if job.record is None or job.record.status != "tainted":
        return None
    return verdict(Action.REPLACE, Reason.TAINTED, f"the last attempt failed: {job.record.error}")


def _inputs_changed(job: Job) -> Verdict | None:
    if job.record is None or job.identity is None or recorded_for(job.identity, job.record):
        return None
    differences = job.explain(job.record.inputs, job.identity.canonical())
    fallback = f"the inputs of {job.words.noun} {job.recorded_id} changed"
    return verdict(Action.REPLACE, Reason.INPUTS_CHANGED, *(differences or [fallback]))


def _gone(job: Job) -> Verdict | None:
    if not job.facts.gone:
        return None
    return verdict(
        Action.CREATE, Reason.GONE, f"{job.words.noun} {job.recorded_id} no longer exists on the platform"
    )


def _failed_on_platform(job: Job) -> Verdict | None:
    if not job.failed:
        return None
    text = f"{job.words.noun} {job.recorded_id} failed on the platform: {job.failure}"
    return verdict(Action.REPLACE, Reason.FAILED_ON_PLATFORM, text)


def _in_sync(job: Job) -> Verdict:
    assert job.record is not None and job.identity is not None, "the rules above ruled these out"
    return verdict(
        Action.NOOP,
        Reason.IN_SYNC,
        outputs=dict(job.record.outputs),
        refreshed=upgraded(job.identity, job.record),
    )


#: The standard rules, in the order they are tried.
RULES: tuple[Rule, ...] = (
    Rule("job_running", _job_running),
    Rule("answer_lost", _answer_lost),
    Rule("no_record", _no_record),
    Rule("upstream_changes", _upstream_changes),
    Rule("tainted", _tainted),
    Rule("inputs_changed", _inputs_changed),
    Rule("gone", _gone),
    Rule("failed_on_platform", _failed_on_platform),
    Rule("in_sync", _in_sync),
)


def rules(
    *own: Check,
    drop: Collection[str] = (),
    before: Mapping[str, str] | None = None,
    base: tuple[Rule, ...] = RULES,
) -> tuple[Rule, ...]:
    """``base`` with a type's own rules, each named by its function: one named like a standard rule
    replaces it; a new one goes before the rule ``before`` names for it (default: before ``in_sync``).
    The standard rules named in ``drop`` do not apply to the type."""
    ordered = [rule for rule in base if rule.name not in drop]
    for check in own:
        name = check.__name__
        names = [rule.name for rule in ordered]
        if name in names:
            ordered[names.index(name)] = Rule(name, check)
        else:
            ordered.insert(names.index((before or {}).get(name, "in_sync")), Rule(name, check))
    return tuple(ordered)


def recorded_before(job: Job, after: Mapping[str, Any]) -> dict[str, Any]:
    """The standard before-values: the recorded inputs among ``after``'s keys, and the recorded id."""
    record = job.record
    if record is None or not record.outputs:
        return {}
    before = {key: record.inputs.get(key) for key in after if key in record.inputs}
    before[job.words.id_key] = job.recorded_id
    return before


def decide(
    job: Job,
    *,
    after: Mapping[str, Any],
    before: Mapping[str, Any] | None = None,
    ruleset: tuple[Rule, ...] = RULES,
) -> Decision:
    """The decision of the first rule of ``ruleset`` that fires.

    ``after`` is what the plan shows the job will make (its id is added as
    known after apply); ``before`` what is recorded (default:
    :func:`recorded_before`).
    """
    shown_before = recorded_before(job, after) if before is None else dict(before)
    planned = {**after, job.words.shown_as or job.words.id_key: KNOWN_AFTER_APPLY}
    wanted = None if job.identity is None else job.identity.fingerprint()
    for rule in ruleset:
        found = rule.check(job)
        if found is None:
            continue
        if found.action is Action.NOOP:
            return Decision(
                action=Action.NOOP,
                reason=found.reason,
                outputs=found.outputs,
                fingerprint=wanted,
                refreshed=found.refreshed,
            )
        return Decision(
            action=found.action,
            reason=found.reason,
            summary=found.summary or job.words.summary,
            reasons=found.reasons,
            before=shown_before if found.before is None else found.before,
            after={**planned, **found.after},
            fingerprint=wanted,
        )
    raise AssertionError(f"no rule decided {job.words.noun}: the rule list must end with in_sync")


def decide_job(
    *,
    record: ResourceState | None,
    identity: Identity | None,
    facts: JobFacts,
    words: JobWords,
    after: Mapping[str, Any],
    waiting_on: tuple[str, ...] = (),
    explain: Callable[[Mapping[str, Any], Mapping[str, Any]], list[str]] = changes,
) -> Decision:
    """The decision for a one-job resource with only the standard rules."""
    job = Job(record, identity, facts, words, waiting_on, explain)
    return decide(job, after=after)


@dataclass(frozen=True)
class Selection:
    """An "active" selection (a project's active dataset, its attribution set) as the spec asks for it.

    Its job makes a new selection and activates it; whether one is needed is
    read off the live selection, not off a recorded job, so of the standard
    rules only ``job_running`` applies, then :func:`selection_rules`'
    ``selection_differs``.
    """

    type_name: str
    provider: str
    #: Whether the project has an active selection at all (an update replaces it; else a create).
    live: bool
    #: Why the live selection is not what the spec asks (empty: it is).
    differences: tuple[str, ...]
    #: What the live selection gives downstream, and is recorded.
    outputs: Mapping[str, Any]
    display: Mapping[str, Any] = field(default_factory=dict)
    #: Words for a selection still being built by an earlier run.
    made: str = "created"
    running_summary: str | None = None


def selection_rules(selection: Selection) -> tuple[Rule, ...]:
    """The rules of an "active" selection: resume what an earlier run built, else compare memberships."""

    def job_running(job: Job) -> Verdict | None:
        pending = job.record.pending if job.record is not None else None
        if pending is None or pending.job_id is None or job.facts.status is None or job.failed:
            return None
        return verdict(
            Action.RESUME,
            Reason.JOB_RUNNING,
            f"{job.words.noun} {pending.job_id} was {selection.made} by an earlier run; "
            "waiting for it, then activating it",
            summary=selection.running_summary,
            after={job.words.shown_as or job.words.id_key: pending.job_id},
        )

    def selection_differs(job: Job) -> Verdict | None:
        if not selection.differences:
            return None
        action = Action.UPDATE if selection.live else Action.CREATE
        return verdict(action, selection_reason(job.identity, job.record), *selection.differences)

    def in_sync(job: Job) -> Verdict:
        record, wanted = job.record, job.identity
        assert wanted is not None, "every member is known here"
        outputs = dict(selection.outputs)
        refreshed = None
        if record is None or record.outputs != outputs or record.status != "ready" or record.pending:
            refreshed = ResourceState(
                type=selection.type_name,
                provider=selection.provider,
                status="ready",
                fingerprint=wanted.fingerprint(),
                inputs=wanted.canonical(),
                outputs=outputs,
                display=dict(selection.display),
            )
        elif recorded_for(wanted, record):
            refreshed = upgraded(wanted, record)
        return verdict(Action.NOOP, Reason.IN_SYNC, outputs=outputs, refreshed=refreshed)

    standard = ("answer_lost", "no_record", "upstream_changes", "tainted", "inputs_changed", "gone")
    return rules(job_running, selection_differs, in_sync, drop=(*standard, "failed_on_platform"))


def selection_reason(identity: Identity | None, record: ResourceState | None) -> Reason:
    """Why an "active" selection (a project's active dataset, its attribution set) must be made anew.

    Its members are not known yet (an upstream changes), nothing is recorded,
    the last attempt failed or went unanswered, the spec asks for other
    members than recorded; otherwise the live selection was changed outside
    the tool.
    """
    if identity is None:
        return Reason.UPSTREAM_CHANGES
    if record is None:
        return Reason.NO_RECORD
    if record.status == "tainted":
        return Reason.TAINTED
    if record.pending is not None and record.pending.job_id is None:
        return Reason.ANSWER_LOST
    if not recorded_for(identity, record):
        return Reason.INPUTS_CHANGED
    return Reason.LIVE_CHANGED
