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
``cause`` classifies why a resource is out of step; it is read off the
decision's :class:`~reconciler.vocabulary.Reason` (no record, other inputs
than recorded, a failed last attempt → ``spec``; the platform disagrees with
the record: object gone or failed, an "active" object switched → ``live``; a
job being resumed → ``running``), and a change that follows an upstream one
(``upstream_changes``) inherits the upstream's cause.  Selecting work (``--target``, ``--replace``) is done
here too, so every consumer of a plan sees the same selection.
"""

from __future__ import annotations

import asyncio
import dataclasses
import difflib
import functools
import hashlib
import itertools
import json
import re
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path, PurePath
from typing import Any

from pydantic import BaseModel

from reconciler import errors
from reconciler.engine import gates, lifecycle
from reconciler.engine.graph import Graph
from reconciler.engine.plan import Change, DataSourceRead, Plan
from reconciler.providers import bulk
from reconciler.providers.base import Candidate, Decision, Desired, Found, ResourceType, Target, Upstream
from reconciler.spec.document import ImportBlock, ResourceSpec, Spec
from reconciler.spec.names import resource_of
from reconciler.spec.refs import references
from reconciler.state.document import PendingOperation, ResourceState, StateDocument
from reconciler.vocabulary import (
    KNOWN_AFTER_APPLY,
    VOLATILE,
    Action,
    Cause,
    KnownAfterApply,
    Reason,
    is_known,
)

TypeLookup = Callable[[str], ResourceType[Any, Any, Any]]


def target_of(resource: ResourceSpec, spec: Spec) -> Target[Any]:
    return Target(
        address=resource.address,
        provider=resource.provider,
        config=resource.config,
        base_dir=spec.base_dir,
        locations=resource.field_locations,
        fallback=resource.location,
        checks=resource.checks,
    )


async def refresh(
    spec: Spec,
    state: StateDocument,
    *,
    types: TypeLookup,
    clients: Mapping[str, Any],
    limit: int = 16,
) -> dict[str, Any]:
    """Read the live facts of every resource in the spec, at most ``limit`` at a time.

    The reads share one :func:`bulk.snapshot`: where a platform lists a kind
    of object, the recorded objects of one client come from one list read.
    """
    semaphore = asyncio.Semaphore(limit)

    async def read(resource: ResourceSpec) -> Any:
        async with semaphore:
            rtype = types(resource.type)
            record = state.resources.get(resource.address)
            return await rtype.read(clients[resource.provider], target_of(resource, spec), record)

    # Taking turns between provider instances: the first reads of a hundred projects start their
    # lists at once, rather than every read of the first project waiting on its one list.
    resources = _taking_turns(list(spec.resources.values()))
    recorded = [
        (clients[resource.provider], resource.type)
        for resource in resources
        if resource.address in state.resources
    ]
    with bulk.snapshot(recorded):
        reads: list[Awaitable[Any]] = [read(resource) for resource in resources]
        results = await asyncio.gather(*reads)
    return {resource.address: facts for resource, facts in zip(resources, results, strict=True)}


def _taking_turns(resources: list[ResourceSpec]) -> list[ResourceSpec]:
    """The resources, one of each provider instance in turn (each instance's in spec order)."""
    queues: dict[str, list[ResourceSpec]] = {}
    for resource in resources:
        queues.setdefault(resource.provider, []).append(resource)
    rounds = itertools.zip_longest(*queues.values())
    return [resource for turn in rounds for resource in turn if resource is not None]


def make_plan(
    spec: Spec,
    state: StateDocument,
    facts: Mapping[str, Any],
    *,
    types: TypeLookup,
    providers: Mapping[str, str] | None = None,
    replace: Collection[str] = (),
    found: Mapping[str, Found] | None = None,
    imported: Mapping[str, ResourceState] | None = None,
    data: Mapping[str, DataSourceRead] | None = None,
) -> Plan:
    """The plan: one change per resource in the spec, then one 'forget' per resource only in state.

    Addresses in ``replace`` get a new job even when nothing else asks for one
    (and what depends on them changes with them).  ``found`` holds what
    :func:`look_up` found on the platform for resources the state has no
    record of: a unique match is planned as ``adopt`` instead of ``create``;
    ``imported`` the records the spec's ``import`` blocks make (:func:`look_up`).
    """
    check_addresses(spec, replace, option="--replace")
    replace = expand_addresses(spec, replace)
    read = data or {}
    changes, _ = _walk(
        spec,
        state,
        facts,
        types=types,
        replace=replace,
        found=found or {},
        imported=imported or {},
        data=read,
    )
    return _assemble(changes, state, spec, providers=providers, replace=replace, data=read)


def _assemble(
    changes: Mapping[str, Change],
    state: StateDocument,
    spec: Spec,
    *,
    providers: Mapping[str, str] | None,
    replace: Collection[str],
    data: Mapping[str, DataSourceRead] | None = None,
) -> Plan:
    """The plan of the walked ``changes``, with one 'forget' per resource only in state.

    The forgets come last, by address: the state's own order is the order
    jobs happened to finish in, and two plans of one change must read alike.
    """
    ordered = list(changes.values())
    for address, record in sorted(state.resources.items()):
        if address not in spec.resources:
            ordered.append(
                Change(
                    address=address,
                    type=record.type,
                    provider=record.provider,
                    decision=Decision(
                        action=Action.FORGET,
                        reason=Reason.NOT_IN_SPEC,
                        summary="forget",
                        reasons=("no longer in the spec; the remote object is kept, only the record goes",),
                        before=dict(record.outputs),
                    ),
                    cause="spec",
                )
            )
    return Plan(
        changes=tuple(ordered),
        lineage=state.lineage,
        serial=state.serial,
        providers=dict(providers or {}),
        replace=tuple(sorted(set(replace))),
        data=tuple((data or {}).values()),
    )


#: The plan of walked changes, with the forgets (:func:`reconciler.engine.early.merge` uses it too).
assemble = _assemble


def _walk(
    spec: Spec,
    state: StateDocument,
    facts: Mapping[str, Any],
    *,
    types: TypeLookup,
    replace: Collection[str],
    found: Mapping[str, Found],
    imported: Mapping[str, ResourceState],
    data: Mapping[str, DataSourceRead] | None = None,
) -> tuple[dict[str, Change], dict[str, Desired[Any]]]:
    """Every resource's change in dependency order, and what each was decided for."""
    graph = Graph.from_spec(spec)
    changes: dict[str, Change] = {}
    desireds: dict[str, Desired[Any]] = {}
    upstreams: dict[str, Upstream] = {}
    claimed: set[tuple[str, str, str, str]] = set()  # (type, provider, output key, id) adopted above
    rejected_by: dict[str, str] = {}  # a job kept rejected by its checks, or one held back by it: the job
    imports = {block.to: block for block in spec.imports if block.to not in state.resources}
    for address in graph.order():
        resource = spec.resources[address]
        rtype = types(resource.type)
        record = state.resources.get(address)
        deps = graph.dependencies[address]
        desired = Desired(
            target_of(resource, spec),
            {**data_upstream(resource, data), **{dep: upstreams[dep] for dep in deps}},
        )
        desireds[address] = desired
        decision = rtype.decide(desired, record, facts[address])
        if (
            decision.action is not Action.NOOP
            and resource.lifecycle.ignore_changes
            and address not in replace
        ):
            decision = lifecycle.ignoring_changes(
                rtype, desired, record, facts[address], decision, resource.lifecycle.ignore_changes
            )
        decision = gates.gated(resource, rtype, record, decision)
        forced = address in replace and decision.action in (Action.NOOP, Action.UPDATE)
        if forced:
            decision = _forced(decision, record)
        candidates: tuple[Candidate, ...] = ()
        if record is None and address in imported:
            decision = _imported(imports[address], imported[address])
        elif record is None and address not in replace:
            decision, candidates = adoption(state, resource, decision, found.get(address), claimed)
            if address in imports and decision.reason is Reason.ADOPT_FOUND:
                decision = _by_import(imports[address], decision)
        if decision.reason is Reason.REJECTED and decision.action is Action.NOOP:
            rejected_by[address] = address
        elif (root := gates.held_back(decision, rejected_by, deps)) is not None:
            rejected_by[address] = root
            decision = gates.holding(decision, root)
        caused_by: tuple[str, ...] = ()
        if decision.action is not Action.NOOP:
            caused_by = tuple(dep for dep in deps if changes[dep].action.mutates)
        cause = _cause(decision, [changes[dep] for dep in caused_by])
        looked = found.get(address)
        changes[address] = Change(
            address=address,
            type=resource.type,
            provider=resource.provider,
            decision=decision,
            caused_by=caused_by,
            basis=basis(facts[address] if looked is None else (facts[address], looked)),
            cause=cause,
            candidates=candidates,
        )
        upstreams[address] = Upstream(
            address=address,
            action=decision.action,
            outputs=decision.outputs if decision.outputs is not None else KNOWN_AFTER_APPLY,
            summary=decision.summary,
        )
    return changes, desireds


def data_upstream(resource: ResourceSpec, data: Mapping[str, DataSourceRead] | None) -> dict[str, Upstream]:
    """The data sources ``resource`` refers to, as upstreams: nothing to do, outputs known."""
    if not data:
        return {}
    return {
        ref.address: Upstream(
            address=ref.address,
            action=Action.NOOP,
            outputs=dict(data[ref.address].outputs),
            summary=data[ref.address].summary,
        )
        for ref in references(resource.config)
        if ref.address in data
    }


def adoption(
    state: StateDocument,
    resource: ResourceSpec,
    decision: Decision,
    found: Found | None,
    claimed: set[tuple[str, str, str, str]] | None = None,
) -> tuple[Decision, tuple[Candidate, ...]]:
    """A resource the state has no record of: adopt what the platform has, if exactly one thing matches.

    * The type's decision is already "nothing to do" (the live active dataset
      contains every upload): ``adopt`` it as it is (its record is written).
    * One candidate, neither recorded by another resource of the state nor
      adopted by another resource earlier in this plan (``claimed``, which
      grows with each adoption): ``adopt``.
    * Several: with no state at all, the newest (by the platform's creation
      time, then id) is adopted: the last run made it, and whatever was built
      since was built on it.  With a state, which one the tool recorded and
      later replaced cannot be told, so the plan stops
      (:func:`ambiguity`) with the ``import`` command for each candidate.
    """
    if decision.action is Action.NOOP and decision.refreshed is not None:
        return (
            dataclasses.replace(
                decision,
                action=Action.ADOPT,
                reason=Reason.ADOPT_LIVE,
                summary=decision.summary or "record the live object",
                reasons=(*decision.reasons, "not in the state; the live object is what the spec says"),
                after=dict(decision.outputs or {}),
            ),
            (),
        )
    if decision.action is not Action.CREATE or found is None:
        return decision, ()
    if not found.searched:
        return dataclasses.replace(decision, reasons=(*decision.reasons, f"not looked up: {found.how}")), ()
    taken = _recorded(state, resource.type, resource.provider)
    claimed = claimed if claimed is not None else set()
    taken |= {
        (key, value)
        for kind, provider, key, value in claimed
        if (kind, provider) == (resource.type, resource.provider)
    }
    candidates = [
        candidate
        for candidate in found.candidates
        if not any((key, str(value)) in taken for key, value in _ids(candidate))
    ]
    if not candidates:
        held = [
            (candidate.object_id, address)
            for candidate in found.candidates
            for address in _holders(state, resource, candidate)
        ]
        if held:
            said = [
                f"{object_id} matches, but the state records it for {address}" for object_id, address in held
            ]
            hint = f"(renamed? `reconciler state mv {held[0][1]} {resource.address}` keeps its object)"
            return dataclasses.replace(decision, reasons=(*decision.reasons, *said, hint)), ()
        return (
            dataclasses.replace(
                decision,
                reasons=(*decision.reasons, f"nothing on the platform matches it (looked up by {found.how})"),
            ),
            (),
        )
    notes: list[str] = []
    if len(candidates) > 1:
        if state.resources:
            return decision, tuple(candidates)
        candidates.sort(key=_age, reverse=True)
        others = ", ".join(str(candidate.object_id) for candidate in candidates[1:])
        notes.append(f"also matching: {others}; with no state at all the newest is adopted")
    chosen = candidates[0]
    claimed.update((resource.type, resource.provider, key, str(value)) for key, value in _ids(chosen))
    record = ResourceState(
        type=resource.type,
        provider=resource.provider,
        status="pending",
        fingerprint=decision.fingerprint,
        pending=PendingOperation(
            action="adopt",
            step="adopt",
            fingerprint=decision.fingerprint or "",
            # Not a time of ours: the same lookup must give the same plan (saved plans compare it).
            submitted_at=_created(chosen),
            job_id=chosen.object_id,
            detail={**chosen.detail, "matched": dict(chosen.matched)},
        ),
    )
    adopted = Decision(
        action=Action.ADOPT,
        reason=Reason.ADOPT_FOUND,
        summary=f"adopt {chosen.object_id}",
        reasons=(f"not in the state; found {chosen.object_id} on the platform by {found.how}", *notes),
        after={**chosen.matched, **chosen.outputs},
        outputs=dict(chosen.outputs),
        fingerprint=decision.fingerprint,
        refreshed=record,
    )
    return adopted, ()


def _imported(block: ImportBlock, record: ResourceState) -> Decision:
    """The adoption an ``import`` block plans for an object read by its id (:func:`plan_import`)."""
    ready = record.status == "ready"
    return Decision(
        action=Action.ADOPT,
        reason=Reason.IMPORT_BLOCK,
        summary=f"import {block.id}",
        reasons=(_import_note(block), "nothing is sent: the object is read and recorded"),
        after=dict(record.outputs) if ready else {},
        outputs=dict(record.outputs) if ready else None,
        fingerprint=record.fingerprint or (record.pending.fingerprint if record.pending else None),
        refreshed=record,
    )


def _by_import(block: ImportBlock, decision: Decision) -> Decision:
    """An adoption found by lookup, of the very object an ``import`` block names."""
    return dataclasses.replace(
        decision,
        reason=Reason.IMPORT_BLOCK,
        summary=f"import {block.id}",
        reasons=(
            _import_note(block),
            *decision.reasons[1:],
            "nothing is sent: the object is read and recorded",
        ),
    )


def _import_note(block: ImportBlock) -> str:
    return f"not in the state; the import block at {block.location} names {block.id}"


def _created(candidate: Candidate) -> datetime:
    """The platform's creation time of a candidate, or the epoch when it does not say."""
    try:
        moment = datetime.fromisoformat((candidate.created_at or "").replace("Z", "+00:00"))
    except ValueError:
        return datetime.fromtimestamp(0, UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _ids(candidate: Candidate) -> list[tuple[str, Any]]:
    """The output keys that hold the candidate's own id (``upload_id`` …)."""
    own = str(candidate.object_id)
    return [(key, value) for key, value in candidate.outputs.items() if str(value) == own]


def _recorded(state: StateDocument, type_name: str, provider: str) -> set[tuple[str, str]]:
    """Every (output key, id) the state records for resources of this type and provider instance."""
    taken: set[tuple[str, str]] = set()
    for record in state.resources.values():
        if record.type == type_name and record.provider == provider:
            outputs = record.outputs.items()
            taken.update((key, str(value)) for key, value in outputs if isinstance(value, int | str))
            if record.pending is not None and record.pending.job_id is not None:
                taken.update((key, str(record.pending.job_id)) for key in record.outputs)
    return taken


def _holders(state: StateDocument, resource: ResourceSpec, candidate: Candidate) -> list[str]:
    """The addresses whose record holds ``candidate`` (same type and provider instance)."""
    own = {(key, str(value)) for key, value in _ids(candidate)}
    return [
        address
        for address, record in state.resources.items()
        if (record.type, record.provider) == (resource.type, resource.provider)
        and any((key, str(value)) in own for key, value in record.outputs.items())
    ]


def _age(candidate: Candidate) -> tuple[str, int, int, str]:
    """Older first: the platform's creation time, then its list order, then the id."""
    object_id = candidate.object_id
    number = object_id if isinstance(object_id, int) else int(object_id) if str(object_id).isdigit() else -1
    return (candidate.created_at or "", candidate.rank, number, str(object_id))


def ambiguity(plan: Plan, spec: Spec) -> errors.PlanError | None:
    """The error for the first change whose lookup found several objects, naming each and how to choose."""
    for change in plan.changes:
        if not change.candidates:
            continue
        source = _shown_path(spec.files[0]) if spec.files else "SPEC"
        lines = []
        for candidate in sorted(change.candidates, key=_age, reverse=True):
            matched = ", ".join(f"{key} {value}" for key, value in candidate.matched.items())
            created = f", created {candidate.created_at}" if candidate.created_at else ""
            lines.append(f"  {candidate.object_id}: {matched}{created}")
        commands = "\n".join(
            f"  reconciler import {source} {change.address} {candidate.object_id}"
            for candidate in change.candidates
        )
        return errors.PlanError(
            f"{change.address} is not in the state and {len(change.candidates)} objects on the platform "
            "match it:\n" + "\n".join(lines) + "\nchoose the one to keep with:\n" + commands,
            hint="or remove the others' match (a different file name, say) and plan again",
        )
    return None


def _shown_path(path: PurePath) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


async def look_up(
    spec: Spec,
    state: StateDocument,
    facts: Mapping[str, Any],
    *,
    types: TypeLookup,
    clients: Mapping[str, Any],
    providers: Mapping[str, str] | None = None,
    replace: Collection[str] = (),
    limit: int = 16,
    data: Mapping[str, DataSourceRead] | None = None,
) -> Plan:
    """The plan, after looking on the platforms for every resource the state has no record of.

    Adoption cascades: an adopted upload's id is known, so the active dataset
    holding it is recognised, then the refit on that dataset can be looked
    up, and so on.  Each round plans, looks up what has become lookable, and
    plans again; it ends when a round finds nothing new to look up.
    """
    from reconciler.engine.adopt import plan_import  # adopt builds on this module

    check_addresses(spec, replace, option="--replace")
    replace = expand_addresses(spec, replace)
    found: dict[str, Found] = {}
    imported: dict[str, ResourceState] = {}
    imports = {block.to: block for block in spec.imports if block.to not in state.resources}
    asked: set[str] = set()
    semaphore = asyncio.Semaphore(limit)

    async def find(address: str, desired: Desired[Any]) -> Found | None:
        resource = spec.resources[address]
        async with semaphore:
            result = await types(resource.type).find(clients[resource.provider], desired)
        if address in imports:  # an import block names its object: only that one may be adopted
            return _only(result, imports[address].id)
        return result

    async def read_import(address: str, desired: Desired[Any]) -> ResourceState:
        resource, block = spec.resources[address], imports[address]
        _refuse_recorded(state, resource, block)
        waiting = sorted(dep for dep, up in desired.upstream.items() if not is_known(up.outputs))
        if waiting:
            raise _import_error(
                block,
                f"it refers to {waiting[0]}, which has no object yet",
                hint=f"import {waiting[0]} too (an import block), or apply it first",
            )
        async with semaphore:
            try:
                return await plan_import(
                    types(resource.type),
                    clients[resource.provider],
                    desired,
                    resource.type,
                    resource.provider,
                    # As `reconciler import` reads its ID: digits are a number.
                    int(block.id) if isinstance(block.id, str) and block.id.isdigit() else block.id,
                )
            except errors.PlanError as exc:
                raise _import_error(block, exc.message.removeprefix(f"{address}: "), hint=exc.hint) from exc

    while True:
        changes, desireds = _walk(
            spec, state, facts, types=types, replace=replace, found=found, imported=imported, data=data
        )
        todo = [
            address
            for address, change in changes.items()
            if change.action is Action.CREATE
            and change.fingerprint is not None
            and address not in state.resources
            and address not in replace
            and address not in asked
            and address not in imported
        ]
        if not todo:
            # Import blocks the lookups did not settle: each object is read by its id.
            left = [
                address
                for address in imports
                if address not in imported and changes[address].reason is not Reason.IMPORT_BLOCK
            ]
            if not left:
                return _assemble(changes, state, spec, providers=providers, replace=replace, data=data)
            records = await asyncio.gather(*(read_import(address, desireds[address]) for address in left))
            imported.update(zip(left, records, strict=True))
            continue
        asked.update(todo)
        results = await asyncio.gather(*(find(address, desireds[address]) for address in todo))
        found.update({address: result for address, result in zip(todo, results, strict=True) if result})


def _import_error(block: ImportBlock, message: str, *, hint: str | None) -> errors.SpecErrors:
    """An import block that cannot be planned, at its ``id``."""
    where = block.id_location
    return errors.SpecErrors(
        [
            errors.SpecError(
                f"import of {block.id} as {block.to}: {message}",
                file=where.file,
                line=where.line,
                column=where.column,
                hint=hint,
            )
        ]
    )


def _only(found: Found | None, object_id: str | int) -> Found | None:
    """What a lookup found, narrowed to the object an import block names (None when it is not there)."""
    if found is None:
        return None
    chosen = tuple(candidate for candidate in found.candidates if str(candidate.object_id) == str(object_id))
    return dataclasses.replace(found, candidates=chosen, how=f"id {object_id}") if chosen else None


def _refuse_recorded(state: StateDocument, resource: ResourceSpec, block: ImportBlock) -> None:
    """An import block may not name an object the state records for another address."""
    for address, record in state.resources.items():
        if (record.type, record.provider) != (resource.type, resource.provider):
            continue
        ids = {str(value) for value in record.outputs.values() if isinstance(value, int | str)}
        if record.pending is not None and record.pending.job_id is not None:
            ids.add(str(record.pending.job_id))
        if str(block.id) in ids:
            raise _import_error(
                block,
                f"the state records it for {address}",
                hint=f"a moved block ({{from: {address}, to: {resource.address}}}) moves that record",
            )


def _forced(decision: Decision, record: ResourceState | None) -> Decision:
    """``--replace``: a new job although the decision saw no need for one."""
    outputs = dict(record.outputs) if record is not None else dict(decision.outputs or {})
    return dataclasses.replace(
        decision,
        action=Action.REPLACE,
        reason=Reason.REPLACE_REQUESTED,
        summary=decision.summary or "new job requested",
        reasons=(*decision.reasons, "replacement requested (--replace)"),
        before={**outputs, **decision.before},
        after={**decision.after, **{key: KNOWN_AFTER_APPLY for key in outputs}},
        outputs=None,
        refreshed=None,
    )


def _cause(decision: Decision, upstream: list[Change]) -> Cause | None:
    """Why a resource is out of step: its reason's cause, or for ``upstream_changes`` the upstream's
    (``live`` when any upstream change is live, else the first one's; ``spec`` when none has one)."""
    if decision.action is Action.NOOP:
        return "rejected" if decision.reason is Reason.REJECTED else None
    cause = decision.reason.cause
    if cause == "inherited":
        inherited = [change.cause for change in upstream if change.cause is not None]
        return ("live" if "live" in inherited else inherited[0]) if inherited else "spec"
    return cause


#: Values that are their own canonical form (checked by exact type first: the common case, and cheap).
_PLAIN = frozenset({str, int, float, bool, type(None)})


@functools.cache
def _kept_fields(kind: type, stable: bool) -> tuple[str, ...]:
    """A dataclass's field names, without the volatile ones when ``stable`` (computed once per class)."""
    return tuple(
        field.name
        for field in dataclasses.fields(kind)
        if not (stable and VOLATILE.items() <= field.metadata.items())
    )


def canonical(value: Any, *, stable: bool = False) -> Any:
    """Facts as plain JSON values: dataclasses, models, mappings and sets in a stable form.

    ``stable`` leaves out dataclass fields declared volatile (:data:`~reconciler.vocabulary.VOLATILE`).
    """
    kind: Any = type(value)
    if kind in _PLAIN:
        return value
    if kind is dict:
        return {str(key): canonical(item, stable=stable) for key, item in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: canonical(getattr(value, name), stable=stable) for name in _kept_fields(kind, stable)}
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


_STEP = r"module\.[a-z][a-z0-9_-]*(\[[A-Za-z0-9_][A-Za-z0-9_.-]*\])?"
#: A module path (``module.market``, ``module.market[se]``, ``module.a[x].module.b``): ``--target`` takes one.
_MODULE_PATH = re.compile(rf"{_STEP}(\.{_STEP})*")


def expand_addresses(spec: Spec, addresses: Iterable[str], *, known: Iterable[str] = ()) -> list[str]:
    """``addresses`` with a resource that has for_each standing for all of its instances, and a module
    path for every resource in it (as Terraform)."""
    known = list(known)
    expanded: list[str] = []
    for address in addresses:
        if _MODULE_PATH.fullmatch(address):  # module.market[se]: every resource of that module instance
            inside = [
                other for other in [*spec.resources, *known] if other[len(address) : len(address) + 1] in ".["
            ]
            expanded.extend(other for other in inside if other.startswith(address))
            if any(other.startswith(address) for other in inside):
                continue
        found = spec.instances_of(address)
        found += [
            other
            for other in known
            if other not in found and other.endswith("]") and _resource_of(other) == address
        ]
        expanded.extend(found or [address])
    return list(dict.fromkeys(expanded))


def _resource_of(address: str) -> str | None:
    try:
        return resource_of(address)
    except ValueError:
        return None


def check_addresses(spec: Spec, addresses: Iterable[str], *, option: str, known: Iterable[str] = ()) -> None:
    """Refuse addresses neither in the spec nor in ``known``, suggesting the closest one.

    A resource with for_each (``alviss.refit.weekly``) names all of its instances.
    """
    known = list(known)
    valid = [*spec.resources, *known]
    for address in addresses:
        if address not in valid and expand_addresses(spec, [address], known=known) == [address]:
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
    stack = expand_addresses(spec, targets, known=in_state)
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
