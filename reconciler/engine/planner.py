"""Planning: refresh (I/O) then decide (pure).

``refresh`` reads every resource's live facts concurrently; ``make_plan`` is a
pure function of (spec, state, facts) that walks the graph in dependency order,
resolves each resource's references to its upstream's outputs (or "known after
apply" when the upstream changes) and asks the resource type for a decision.
Keeping the second half pure is what makes planner decisions testable as
tables of {spec, state, live} → changes.

Two kinds of bookkeeping ride along with every change.  ``basis`` is a digest
of the canonical JSON of the facts ``refresh`` returned (facts are dataclasses
of plain values, so one generic encoding serves every resource type): a saved
plan compares it with a fresh read to tell that a live object moved.
``cause`` classifies why a resource is out of step, from what the decision
and the record already say: no record, other inputs than recorded, a failed
last attempt → ``spec``; the same inputs as recorded but the platform
disagrees (object gone or failed, an "active" object switched) → ``live``; a
job being resumed → ``running``; a change forced by an upstream one inherits
the upstream's cause.  Selecting work (``--target``, ``--replace``) is done
here too, so every consumer of a plan sees the same selection.
"""

from __future__ import annotations

import asyncio
import dataclasses
import difflib
import hashlib
import json
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from pathlib import PurePath
from typing import Any

from pydantic import BaseModel

from reconciler import errors
from reconciler.engine.graph import Graph
from reconciler.engine.plan import Cause, Change, Plan
from reconciler.providers.base import Decision, Desired, ResourceType, Target, Upstream
from reconciler.spec.model import ResourceSpec, Spec
from reconciler.state.model import ResourceState, StateDocument
from reconciler.vocabulary import KNOWN_AFTER_APPLY, VOLATILE, Action, KnownAfterApply

TypeLookup = Callable[[str], ResourceType[Any, Any, Any]]


def target_of(resource: ResourceSpec, spec: Spec) -> Target[Any]:
    return Target(
        address=resource.address,
        provider=resource.provider,
        config=resource.config,
        base_dir=spec.base_dir,
        locations=resource.field_locations,
        fallback=resource.location,
    )


async def refresh(
    spec: Spec,
    state: StateDocument,
    *,
    types: TypeLookup,
    clients: Mapping[str, Any],
    limit: int = 16,
) -> dict[str, Any]:
    """Read the live facts of every resource in the spec, at most ``limit`` at a time."""
    semaphore = asyncio.Semaphore(limit)

    async def read(resource: ResourceSpec) -> Any:
        async with semaphore:
            rtype = types(resource.type)
            record = state.resources.get(resource.address)
            return await rtype.read(clients[resource.provider], target_of(resource, spec), record)

    resources = list(spec.resources.values())
    reads: list[Awaitable[Any]] = [read(resource) for resource in resources]
    results = await asyncio.gather(*reads)
    return {resource.address: facts for resource, facts in zip(resources, results, strict=True)}


def make_plan(
    spec: Spec,
    state: StateDocument,
    facts: Mapping[str, Any],
    *,
    types: TypeLookup,
    providers: Mapping[str, str] | None = None,
    replace: Collection[str] = (),
) -> Plan:
    """The plan: one change per resource in the spec, then one 'forget' per resource only in state.

    Addresses in ``replace`` get a new job even when nothing else asks for one
    (and what depends on them changes with them).
    """
    check_addresses(spec, replace, option="--replace")
    graph = Graph.from_spec(spec)
    changes: dict[str, Change] = {}
    upstreams: dict[str, Upstream] = {}
    for address in graph.order():
        resource = spec.resources[address]
        rtype = types(resource.type)
        record = state.resources.get(address)
        deps = graph.dependencies[address]
        desired = Desired(target_of(resource, spec), {dep: upstreams[dep] for dep in deps})
        decision = rtype.decide(desired, record, facts[address])
        forced = address in replace and decision.action in (Action.NOOP, Action.UPDATE)
        if forced:
            decision = _forced(decision, record)
        caused_by: tuple[str, ...] = ()
        if decision.action is not Action.NOOP:
            caused_by = tuple(dep for dep in deps if changes[dep].action.mutates)
        cause = _cause(decision, record, [changes[dep] for dep in caused_by], forced=forced)
        changes[address] = Change(
            address=address,
            type=resource.type,
            provider=resource.provider,
            action=decision.action,
            summary=decision.summary,
            reasons=decision.reasons,
            caused_by=caused_by,
            before=decision.before,
            after=decision.after,
            fingerprint=decision.fingerprint,
            refreshed=decision.record,
            basis=basis(facts[address]),
            cause=cause,
        )
        upstreams[address] = Upstream(
            address=address,
            action=decision.action,
            outputs=decision.outputs if decision.outputs is not None else KNOWN_AFTER_APPLY,
            summary=decision.summary,
        )
    ordered = list(changes.values())
    for address, record in state.resources.items():
        if address not in spec.resources:
            ordered.append(
                Change(
                    address=address,
                    type=record.type,
                    provider=record.provider,
                    action=Action.FORGET,
                    summary="forget",
                    reasons=("no longer in the spec; the remote object is kept, only the record goes",),
                    before=dict(record.outputs),
                    cause="spec",
                )
            )
    return Plan(
        changes=tuple(ordered),
        lineage=state.lineage,
        serial=state.serial,
        providers=dict(providers or {}),
        replace=tuple(sorted(set(replace))),
    )


def _forced(decision: Decision, record: ResourceState | None) -> Decision:
    """``--replace``: a new job although the decision saw no need for one."""
    outputs = dict(record.outputs) if record is not None else dict(decision.outputs or {})
    return dataclasses.replace(
        decision,
        action=Action.REPLACE,
        summary=decision.summary or "new job requested",
        reasons=(*decision.reasons, "replacement requested (--replace)"),
        before={**outputs, **decision.before},
        after={**decision.after, **{key: KNOWN_AFTER_APPLY for key in outputs}},
        outputs=None,
        record=None,
    )


def _cause(
    decision: Decision, record: ResourceState | None, upstream: list[Change], *, forced: bool
) -> Cause | None:
    """Why a resource is out of step, read off its decision and its record (see the module docstring)."""
    action = decision.action
    if action is Action.NOOP:
        return None
    if action is Action.RESUME:
        return "running"
    if forced:
        return "spec"
    inherited = [change.cause for change in upstream if change.cause is not None]
    waits_on_upstream = decision.fingerprint is None or (
        record is not None and record.fingerprint == decision.fingerprint
    )
    if inherited and waits_on_upstream:
        return "live" if "live" in inherited else inherited[0]
    if record is None or record.status == "tainted":
        return "spec"
    if record.pending is not None and record.pending.job_id is None:
        return "spec"
    if decision.fingerprint is not None and record.fingerprint != decision.fingerprint:
        return "spec"
    return "live"


def canonical(value: Any, *, stable: bool = False) -> Any:
    """Facts as plain JSON values: dataclasses, models, mappings and sets in a stable form.

    ``stable`` leaves out dataclass fields declared volatile (:data:`~reconciler.vocabulary.VOLATILE`).
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: canonical(getattr(value, field.name), stable=stable)
            for field in dataclasses.fields(value)
            if not (stable and VOLATILE.items() <= field.metadata.items())
        }
    if isinstance(value, BaseModel):
        return canonical(value.model_dump(mode="json"), stable=stable)
    if isinstance(value, Mapping):
        return {str(key): canonical(item, stable=stable) for key, item in value.items()}
    if isinstance(value, set | frozenset):
        items = (canonical(item, stable=stable) for item in value)
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
    if isinstance(value, list | tuple):
        return [canonical(item, stable=stable) for item in value]
    if isinstance(value, KnownAfterApply):
        return {"known_after_apply": True}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, PurePath):
        return str(value)
    return str(value)


def basis(facts: Any) -> str:
    """The digest of one resource's live facts: equal digests, same live objects.

    Fields that change on every read (with ``VOLATILE`` metadata) are left out, so a
    saved plan can be checked against a fresh read at all.
    """
    text = json.dumps(canonical(facts, stable=True), sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def check_addresses(spec: Spec, addresses: Iterable[str], *, option: str, known: Iterable[str] = ()) -> None:
    """Refuse addresses neither in the spec nor in ``known``, suggesting the closest one."""
    valid = [*spec.resources, *known]
    for address in addresses:
        if address not in valid:
            close = difflib.get_close_matches(address, valid, n=1)
            raise errors.PlanError(
                f"{option} {address}: no such resource",
                hint=f"did you mean {close[0]}?" if close else "see `reconciler state list` or the spec",
            )


def select(plan: Plan, spec: Spec, targets: Collection[str]) -> Plan:
    """Only the changes of ``targets`` and of everything they depend on (``--target``)."""
    if not targets:
        return plan
    in_state = [change.address for change in plan.changes if change.action is Action.FORGET]
    check_addresses(spec, targets, option="--target", known=in_state)
    graph = Graph.from_spec(spec)
    keep: set[str] = set()
    stack = list(targets)
    while stack:
        address = stack.pop()
        if address not in keep:
            keep.add(address)
            stack.extend(graph.dependencies.get(address, ()))
    return dataclasses.replace(
        plan,
        changes=tuple(change for change in plan.changes if change.address in keep),
        targets=tuple(sorted(set(targets))),
    )
