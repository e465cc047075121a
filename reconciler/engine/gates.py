"""Quality gates at plan and apply time: a job that fails its ``checks`` is ``rejected`` and held back.

A finished job whose result misses a bound (``checks:``, read by
``spec/checks.py``) ends ``rejected``, not tainted: the job did what it was
asked, its object exists and its outputs are recorded, but nothing may
promote it.  So apply ends it ``rejected`` and does not start what depends
on it (an activation, a model switch, a prediction using it: anything that
refers to it), while independent branches go on; and every later plan keeps
it rejected (a no-op with :attr:`Reason.REJECTED`, nothing sent again: the
same inputs would give the same result) and holds back its dependents, until
its inputs change or ``--replace`` asks for a new job.  A record is judged
again on every plan against the spec's checks as they are now, so a bound
relaxed in the spec releases it, and one tightened rejects it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from reconciler.providers.base import Decision, ResourceType
from reconciler.spec.checks import Check, Miss, evaluate
from reconciler.spec.document import ResourceSpec
from reconciler.state.document import ResourceState
from reconciler.vocabulary import Action, Reason

#: What the plan and apply say for a job kept rejected.
KEPT = "kept as it is (not sent again) until its inputs change or --replace asks for a new job"


def misses(
    checks: tuple[Check, ...], rtype: ResourceType[Any, Any, Any], record: ResourceState
) -> list[Miss]:
    """The checks the record's job fails (none without checks)."""
    return evaluate(checks, rtype.measure(record)) if checks else []


def verdict(missed: list[Miss]) -> str:
    """``f1 (class "1") is 0.62, below 0.8 (at_least) by 0.18; …``"""
    return "; ".join(str(miss) for miss in missed)


def rejected(record: ResourceState, missed: list[Miss]) -> ResourceState:
    """The record of a finished job that failed its checks."""
    return record.model_copy(update={"status": "rejected", "error": verdict(missed), "pending": None})


def gated(
    resource: ResourceSpec,
    rtype: ResourceType[Any, Any, Any],
    record: ResourceState | None,
    decision: Decision,
) -> Decision:
    """The planned decision, with the resource's checks judged against its recorded job.

    Only a no-op is judged (a job to be made anew is judged when it finishes):
    one that fails its checks becomes a no-op with :attr:`Reason.REJECTED`
    (the record says so); a record rejected earlier that passes now (the
    bound was relaxed, or the checks removed) is released.
    """
    if decision.action is not Action.NOOP or record is None or decision.reason is not Reason.IN_SYNC:
        return decision
    if record.status != "rejected" and not resource.checks:
        return decision
    current = decision.refreshed or record
    missed = misses(resource.checks, rtype, current)
    if not missed:
        if record.status != "rejected":
            return decision
        released = current.model_copy(update={"status": "ready", "error": None})
        return dataclasses.replace(decision, refreshed=released)
    marked = rejected(current, missed)
    return dataclasses.replace(
        decision,
        reason=Reason.REJECTED,
        summary="rejected by its checks",
        reasons=(f"rejected by its checks: {verdict(missed)}", KEPT),
        refreshed=None if marked == record else marked,
    )


def held_back(decision: Decision, rejected_by: Mapping[str, str], deps: tuple[str, ...]) -> str | None:
    """The rejected job a change is held back by (through its dependencies), or None."""
    if not decision.action.mutates:
        return None
    return next((rejected_by[dep] for dep in deps if dep in rejected_by), None)


def holding(decision: Decision, root: str) -> Decision:
    """A change held back by the rejected job ``root``: apply does not start it; the plan says why."""
    note = f"held back: {root} was rejected by its checks (not started until it passes)"
    return dataclasses.replace(decision, reasons=(note, *decision.reasons))
