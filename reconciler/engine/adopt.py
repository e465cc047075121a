"""``import ADDR ID``: adopt an object someone made without the tool (a script's upload or refit).

Adoption must not send anything, and must record exactly what a real apply
would have recorded, for every resource type, without knowing any of them.
Both come from the write-ahead rule (every mutating call is announced with
``journal.intent`` first):

1. *Rehearse*: run the type's ``apply`` for a create with a journal that, at
   the first ``intent``, keeps what would be announced (step, identity,
   detail) and stops the run: nothing mutating is ever sent.
2. *Verify*: record that intent as pending with ``ID`` as its job id, and let
   the type ``read`` and ``decide``: only "resume" proves the platform knows
   the object and it is not failed.
3. *Resume*: run ``apply`` for the resume with a journal that refuses any new
   intent, so a type that would still have to act (activate a dataset) stops
   with a clear message instead.  A job still running stays recorded as
   pending; the next apply waits for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler import errors
from reconciler.engine.graph import Graph
from reconciler.engine.plan import DataSourceRead
from reconciler.engine.planner import TypeLookup, check_addresses, data_upstream, target_of
from reconciler.providers.base import Decision, Desired, ResourceType, Upstream, fingerprint
from reconciler.providers.identity import Identity, canonical_form
from reconciler.spec.document import Spec
from reconciler.state.document import PendingOperation, ResourceState, StateDocument
from reconciler.vocabulary import Action, Reason


class _Rehearsed(Exception):
    """Raised by the rehearsal journal to stop before the first mutating call."""


@dataclass
class _RehearsalJournal:
    """Keeps the first intent and stops the apply there."""

    step: str = ""
    identity: Mapping[str, Any] | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def pending(self) -> PendingOperation | None:
        return None

    async def intent(
        self, step: str, *, identity: Identity | Mapping[str, Any] | None = None, **detail: Any
    ) -> None:
        form = canonical_form(identity) if identity is not None else None
        self.step, self.identity, self.detail = step, form, dict(detail)
        raise _Rehearsed

    async def submitted(self, job_id: str | int, **detail: Any) -> None:
        raise AssertionError("submitted() before intent()")

    def progress(self, word: str, *, estimate_seconds: float | None = None) -> None:
        return None


@dataclass
class _ReadOnlyJournal:
    """The adopted job's record; any further mutating step is refused."""

    address: str
    record: ResourceState

    @property
    def pending(self) -> PendingOperation | None:
        return self.record.pending

    async def intent(
        self, step: str, *, identity: Identity | Mapping[str, Any] | None = None, **detail: Any
    ) -> None:
        raise errors.PlanError(
            f"{self.address}: adopting this object would need a mutating step ({step}); nothing was sent",
            hint="run apply instead: it finishes what import may not",
        )

    async def submitted(self, job_id: str | int, **detail: Any) -> None:
        raise AssertionError("submitted() after a refused intent()")

    def progress(self, word: str, *, estimate_seconds: float | None = None) -> None:
        return None


def _object_id(raw: str) -> str | int:
    return int(raw) if raw.isdigit() else raw


async def adopt(
    spec: Spec,
    state: StateDocument,
    address: str,
    raw_id: str,
    *,
    types: TypeLookup,
    clients: Mapping[str, Any],
    data: Mapping[str, DataSourceRead] | None = None,
) -> ResourceState:
    """The record ``import`` writes for ``address``; raises PlanError when the platform does not know it.

    ``data``: what the data sources the resource refers to read (``engine/remote.py``).
    """
    check_addresses(spec, [address], option="import")
    if address in state.resources:
        raise errors.PlanError(
            f"{address} is already in the state",
            hint=f"`reconciler state rm {address}` first to adopt another object",
        )
    resource = spec.resources[address]
    rtype = types(resource.type)
    client = clients[resource.provider]
    upstream: dict[str, Upstream] = data_upstream(resource, data)
    for dep in Graph.from_spec(spec).dependencies[address]:
        record = state.resources.get(dep)
        if record is None or record.status != "ready":
            raise errors.PlanError(
                f"{address} depends on {dep}, which is not recorded as ready",
                hint=f"apply or import {dep} first",
            )
        upstream[dep] = Upstream(address=dep, action=Action.NOOP, outputs=dict(record.outputs))
    desired = Desired(target_of(resource, spec), upstream)
    return await adopt_object(rtype, client, desired, resource.type, resource.provider, _object_id(raw_id))


async def adopt_object(
    rtype: ResourceType[Any, Any, Any],
    client: Any,
    desired: Desired[Any],
    type_name: str,
    provider: str,
    object_id: str | int,
    planned: PendingOperation | None = None,
) -> ResourceState:
    """The record of ``object_id`` as ``desired``'s object: rehearse, verify, resume (module docstring).

    Used by ``import`` and by apply for a planned ``adopt``.  A plan's
    adoption brings its own write-ahead record (``planned``: the fingerprint
    the plan showed, and what the type's lookup said a real intent would
    carry), so nothing is rehearsed: not even a read the vendor made a POST.
    A job still running is returned as a pending record (the next apply waits
    for it); raises PlanError when the platform does not know the object or
    it failed.
    """
    if planned is not None:
        return await _verify_and_resume(
            rtype,
            client,
            desired,
            ResourceState(type=type_name, provider=provider, status="pending", pending=planned),
        )
    record = await _rehearse(rtype, client, desired, type_name, provider, object_id, action="import")
    if record.status == "ready":
        return record
    return await _verify_and_resume(rtype, client, desired, record)


async def plan_import(
    rtype: ResourceType[Any, Any, Any],
    client: Any,
    desired: Desired[Any],
    type_name: str,
    provider: str,
    object_id: str | int,
) -> ResourceState:
    """What the plan records for an ``import`` block: steps 1 and 2 (module docstring), reads only.

    The record is pending with ``object_id`` as its job (apply resumes it
    without sending anything, as it does for an object found by lookup), or
    ready when the live object already is what the spec asks for.  Raises
    PlanError when the platform does not know the object or it failed.
    """
    record = await _rehearse(rtype, client, desired, type_name, provider, object_id, action="adopt")
    if record.status == "ready":
        return record
    await _verify(rtype, client, desired, record)
    return record


async def _rehearse(
    rtype: ResourceType[Any, Any, Any],
    client: Any,
    desired: Desired[Any],
    type_name: str,
    provider: str,
    object_id: str | int,
    *,
    action: str,
) -> ResourceState:
    """Step 1: the pending record of what a create would announce, with ``object_id`` as its job."""
    address = desired.address
    raw_id = str(object_id)
    rehearsal = _RehearsalJournal()
    try:
        applied = await rtype.apply(
            client, desired, None, Decision(action=Action.CREATE, reason=Reason.NO_RECORD), rehearsal
        )
    except _Rehearsed:
        pass
    else:
        # Nothing to send at all: the live object already is what the spec asks for.
        if str(object_id) not in {str(value) for value in applied.outputs.values()}:
            raise errors.PlanError(f"{address}: the platform's current object is not {raw_id}")
        return _ready(type_name, provider, applied.inputs, applied.outputs, applied.display)
    if rehearsal.identity is None:
        raise errors.PlanError(f"{address}: this resource type cannot be imported")
    pending = PendingOperation(
        action=action,
        step=rehearsal.step,
        fingerprint=fingerprint(rehearsal.identity),
        job_id=object_id,
        detail=rehearsal.detail,
        identity=dict(rehearsal.identity),
    )
    return ResourceState(type=type_name, provider=provider, status="pending", pending=pending)


async def _verify(
    rtype: ResourceType[Any, Any, Any], client: Any, desired: Desired[Any], record: ResourceState
) -> Decision:
    """Step 2: only "resume" proves the platform knows the object and it is not failed."""
    assert record.pending is not None and record.pending.job_id is not None
    facts = await rtype.read(client, desired.target, record)
    decision = rtype.decide(desired, record, facts)
    if decision.action is not Action.RESUME:
        raise errors.PlanError(
            f"{desired.address}: {record.type} {record.pending.job_id} is not known to the platform, "
            "or it failed there",
            hint="check the id (for job resources: the id of the object the job made)",
        )
    return decision


async def _verify_and_resume(
    rtype: ResourceType[Any, Any, Any], client: Any, desired: Desired[Any], record: ResourceState
) -> ResourceState:
    """Steps 2 and 3: only "resume" proves the platform knows the object; then finish without sending."""
    address, type_name, provider = desired.address, record.type, record.provider
    decision = await _verify(rtype, client, desired, record)
    raw_id = str(record.pending.job_id) if record.pending is not None else ""
    try:
        applied = await rtype.apply(client, desired, record, decision, _ReadOnlyJournal(address, record))
    except (errors.JobTimeout, errors.Interrupted):
        return record
    except errors.JobFailed as exc:
        raise errors.PlanError(f"{address}: {raw_id} failed on the platform: {exc.message}") from exc
    return _ready(type_name, provider, applied.inputs, applied.outputs, applied.display)


def _ready(
    type_name: str,
    provider: str,
    inputs: Mapping[str, Any],
    outputs: Mapping[str, Any],
    display: Mapping[str, Any],
) -> ResourceState:
    return ResourceState(
        type=type_name,
        provider=provider,
        status="ready",
        fingerprint=fingerprint(inputs),
        inputs=dict(inputs),
        outputs=dict(outputs),
        display=dict(display),
    )
