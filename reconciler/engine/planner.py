"""Planning: refresh (I/O) then decide (pure).

``refresh`` reads every resource's live facts concurrently; ``make_plan`` is a
pure function of (spec, state, facts) that walks the graph in dependency order,
resolves each resource's references to its upstream's outputs (or "known after
apply" when the upstream changes) and asks the resource type for a decision.
Keeping the second half pure is what makes planner decisions testable as
tables of {spec, state, live} → changes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from reconciler.engine.graph import Graph
from reconciler.engine.plan import Change, Plan
from reconciler.providers.base import Desired, ResourceType, Target, Upstream
from reconciler.spec.model import ResourceSpec, Spec
from reconciler.state.model import StateDocument
from reconciler.vocabulary import KNOWN_AFTER_APPLY, Action

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
) -> Plan:
    """The plan: one change per resource in the spec, then one 'forget' per resource only in state."""
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
        caused_by: tuple[str, ...] = ()
        if decision.action is not Action.NOOP:
            caused_by = tuple(dep for dep in deps if changes[dep].action.mutates)
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
                )
            )
    return Plan(
        changes=tuple(ordered),
        lineage=state.lineage,
        serial=state.serial,
        providers=dict(providers or {}),
    )
