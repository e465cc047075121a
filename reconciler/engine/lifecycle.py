"""A resource's ``lifecycle``: inputs whose edits plan nothing, and replacements that are refused.

``ignore_changes`` keeps the named inputs out of the resource's identity
while its recorded object stands.  The record keeps the canonical form of
the identity it was made from (``inputs``); the resource is decided again
with each ignored field at the value recorded there, and when that is "in
sync" the edit plans nothing.  As in Terraform, the ignored fields are not
frozen: when something else gives the resource a new job (a new upstream
object, a taint, ``--replace``) the job is made from the spec as written.
A field the record does not carry under its own name (a data file's path,
recorded as the file's sha256) cannot be held at a recorded value and is
compared as usual.

``prevent_replace`` turns a plan that would replace the object, whatever the
reason (changed inputs, an upstream change, a taint, ``--replace``), into an
error at the ``prevent_replace`` line naming each reason.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from reconciler import errors
from reconciler.engine.plan import Plan
from reconciler.providers.base import Decision, Desired, ResourceType
from reconciler.spec.document import Spec
from reconciler.state.document import ResourceState
from reconciler.vocabulary import Action

__all__ = ["held_config", "ignoring_changes", "refused_replacements"]

_MISSING = object()


def _recorded_value(form: Mapping[str, Any], name: str) -> Any:
    """The value ``form`` (a canonical identity) records for the input ``name``: at its top or one below."""
    if name in form:
        return form[name]
    for value in form.values():
        if isinstance(value, Mapping) and name in value:
            return value[name]
    return _MISSING


def held_config(config: BaseModel, names: tuple[str, ...], record: ResourceState | None) -> BaseModel | None:
    """``config`` with each field of ``names`` at the value ``record`` was made from; None if none can be."""
    if record is None:
        return None
    form = record.inputs or (record.pending.identity if record.pending is not None else None) or {}
    fields = type(config).model_fields
    data = config.model_dump(by_alias=True, exclude_unset=True)
    held = False
    for name in names:
        value = _recorded_value(form, name)
        if value is _MISSING:
            continue
        info = fields[name]
        data[info.alias if isinstance(info.alias, str) else name] = value
        held = True
    if not held:
        return None
    try:
        return type(config).model_validate(data)
    except ValidationError:  # recorded in a form the spec does not write: compared as usual
        return None


def ignoring_changes(
    rtype: ResourceType[Any, Any, Any],
    desired: Desired[Any],
    record: ResourceState | None,
    facts: Any,
    decision: Decision,
    names: tuple[str, ...],
) -> Decision:
    """The decision with ``ignore_changes`` (``names``) applied: "in sync" when only they were edited."""
    config = held_config(desired.config, names, record)
    if config is None:
        return decision
    target = dataclasses.replace(desired.target, config=config)
    held = rtype.decide(dataclasses.replace(desired, target=target), record, facts)
    return held if held.action is Action.NOOP else decision


def refused_replacements(plan: Plan, spec: Spec) -> errors.SpecErrors | None:
    """One error per change that would replace a resource whose lifecycle has ``prevent_replace``."""
    found: list[errors.SpecError] = []
    for change in plan.changes:
        resource = spec.resources.get(change.address)
        if change.action is not Action.REPLACE or resource is None or not resource.lifecycle.prevent_replace:
            continue
        why = "; ".join(change.reasons) or change.summary
        if change.caused_by:
            why = f"{why} (after {', '.join(change.caused_by)})"
        where = resource.lifecycle.location or resource.location
        found.append(
            errors.SpecError(
                f"{change.address}: lifecycle.prevent_replace is set, but the plan would replace it "
                f"({change.reason.value}: {why})",
                file=where.file,
                line=where.line,
                column=where.column,
                hint="undo what makes it a new object, or set prevent_replace: false to let it be replaced",
            )
        )
    return errors.SpecErrors(found) if found else None
