"""The decision every "one job makes one object" resource shares.

An upload, a refit, a remodel and an attribution are each produced by one
platform job from a set of inputs (their identity).  Whether such a resource
needs anything follows the same steps everywhere, in this order:

1. a job recorded as submitted for these very inputs, still alive → resume it;
2. a job announced but never answered → send again (after looking it up);
3. nothing recorded → create;
4. inputs known only after apply (an upstream changes) → replace;
5. the last attempt failed → replace;
6. the inputs changed → replace, saying which;
7. the object is gone from the platform, or failed there → create / replace;
8. otherwise nothing, and the recorded outputs flow downstream.

Keeping this in one pure function means every job type plans the same way and
is tested the same way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from reconciler import errors
from reconciler.diff import changes
from reconciler.providers.base import Decision
from reconciler.providers.identity import Identity, same
from reconciler.state.model import PendingOperation, ResourceState
from reconciler.vocabulary import KNOWN_AFTER_APPLY, Action
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
    id_key: str


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
    """The decision for a one-job resource; ``identity`` is None while its inputs are unknown."""
    wanted = None if identity is None else identity.fingerprint()
    recorded_id = record.outputs.get(words.id_key) if record else None
    before: dict[str, Any] = {}
    if record is not None and record.outputs:
        before = {key: record.inputs.get(key) for key in after if key in record.inputs}
        before[words.id_key] = recorded_id
    planned_after = {**after, words.id_key: KNOWN_AFTER_APPLY}

    def change(action: Action, *reasons: str) -> Decision:
        return Decision(action, words.summary, reasons, before, planned_after, None, wanted)

    pending = record.pending if record else None
    if pending is not None and pending_for(identity, pending):
        if pending.job_id is not None:
            failed = facts.status is not None and facts.status.state == "failed"
            if not facts.gone and not failed:
                return Decision(
                    Action.RESUME,
                    words.summary,
                    (f"{words.noun} {pending.job_id} was submitted by an earlier run; waiting for it",),
                    before,
                    {**after, words.id_key: pending.job_id},
                    None,
                    wanted,
                )
        else:
            return change(
                Action.CREATE if recorded_id is None else Action.REPLACE,
                f"an earlier run sent this {words.noun} but got no answer; "
                "it is looked up before anything is sent again",
            )
    if record is None or (recorded_id is None and record.status != "tainted"):
        if identity is None:
            return change(Action.CREATE, *(f"waits for {address}" for address in waiting_on))
        return change(Action.CREATE, f"no {words.noun} recorded for these inputs yet")
    if identity is None:
        return change(Action.REPLACE, *(f"{address} changes" for address in waiting_on))
    if record.status == "tainted":
        return change(Action.REPLACE, f"the last attempt failed: {record.error}")
    if not recorded_for(identity, record):
        differences = explain(record.inputs, identity.canonical())
        return change(Action.REPLACE, *(differences or [f"the inputs of {words.noun} {recorded_id} changed"]))
    if facts.gone:
        return change(Action.CREATE, f"{words.noun} {recorded_id} no longer exists on the platform")
    if facts.status is not None and facts.status.state == "failed":
        message = facts.status.message or facts.status.word
        return change(Action.REPLACE, f"{words.noun} {recorded_id} failed on the platform: {message}")
    return Decision(
        Action.NOOP, outputs=dict(record.outputs), fingerprint=wanted, record=upgraded(identity, record)
    )
