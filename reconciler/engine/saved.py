"""Plans as documents: the JSON plan, saved with ``plan -out`` and applied with ``apply FILE``.

One versioned document serves both the machine-readable plan
(``plan --format json``, schema in ``docs/plan.schema.json``) and the saved
plan, so what a reviewer reads in a pull request is exactly what CI applies.

A saved plan is only safe to apply against the world it was made from.  It
records that world three ways: the state's lineage and serial, a digest of
each resource's spec entry, and each change's ``basis`` (a digest of the live
facts it was decided from).  :func:`stale_reasons` compares them with a fresh
read and names every difference; apply refuses the plan if there is any.

Values known only after apply are written as ``{"known_after_apply": true}``.
Nothing secret is in a plan: providers are described by ``describe()`` (no
tokens), and changes hold only what resource types put in before/after.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, cast, get_args

from pydantic import ValidationError

from reconciler import errors
from reconciler.engine.plan import Cause, Change, Plan
from reconciler.engine.planner import canonical
from reconciler.spec.model import Spec
from reconciler.state.model import ResourceState, StateDocument
from reconciler.vocabulary import KNOWN_AFTER_APPLY, Action, KnownAfterApply

FORMAT: Final = "reconciler-plan"
FORMAT_VERSION: Final = 1
UNKNOWN_MARK: Final = "known_after_apply"
ACTION_WORDS: Final = ("create", "update", "replace", "resume", "forget")


@dataclass(frozen=True)
class SavedPlan:
    """A plan read back from its document, with what it was made from."""

    plan: Plan
    digests: Mapping[str, str | None] = field(default_factory=dict)
    #: The spec sources as given to ``plan`` (relative to the directory it ran in).
    sources: tuple[str, ...] = ()


def encode(value: Any) -> Any:
    """A plan value as JSON: "known after apply" becomes a tagged object."""
    if isinstance(value, KnownAfterApply):
        return {UNKNOWN_MARK: True}
    if isinstance(value, Mapping):
        return {str(key): encode(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [encode(item) for item in value]
    return canonical(value)


def decode(value: Any) -> Any:
    """The inverse of :func:`encode`."""
    if isinstance(value, dict):
        if value == {UNKNOWN_MARK: True}:
            return KNOWN_AFTER_APPLY
        return {key: decode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [decode(item) for item in value]
    return value


def spec_digests(spec: Spec) -> dict[str, str]:
    """One digest per resource of what the spec says about it (its entry, provider and depends_on)."""
    digests: dict[str, str] = {}
    for address, resource in spec.resources.items():
        entry = {
            "type": resource.type,
            "provider": resource.provider,
            "config": resource.config.model_dump(mode="json"),
            "depends_on": list(resource.depends_on),
        }
        text = json.dumps(entry, sort_keys=True, separators=(",", ":"), default=str)
        digests[address] = "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    return digests


def to_document(plan: Plan, *, spec: Spec | None = None, sources: Sequence[str] = ()) -> dict[str, Any]:
    """The plan as the published JSON document (``docs/plan.schema.json``)."""
    counts = plan.counts()
    digests = spec_digests(spec) if spec is not None else {}
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "spec_files": list(sources),
        "state": {"lineage": plan.lineage, "serial": plan.serial},
        "providers": dict(plan.providers),
        "summary": {word: counts.get(Action(word), 0) for word in ACTION_WORDS},
        "has_changes": plan.has_changes,
        "changes": [_change(change, digests.get(change.address)) for change in plan.changes],
    }


def _change(change: Change, spec_digest: str | None) -> dict[str, Any]:
    return {
        "address": change.address,
        "type": change.type,
        "provider": change.provider,
        "action": change.action.value,
        "summary": change.summary,
        "reasons": list(change.reasons),
        "caused_by": list(change.caused_by),
        "cause": change.cause,
        "before": encode(change.before),
        "after": encode(change.after),
        "fingerprint": change.fingerprint,
        "basis": change.basis,
        "spec": spec_digest,
        "refreshed": change.refreshed.model_dump(mode="json") if change.refreshed is not None else None,
    }


def from_document(document: Any, *, source: str = "the plan") -> SavedPlan:
    """A plan read back from its document, with the spec digest recorded for each change."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise errors.PlanError(f"{source} is not a reconciler plan", hint="make one with `plan -out FILE`")
    if document.get("format_version") != FORMAT_VERSION:
        raise errors.PlanError(
            f"{source} has plan format version {document.get('format_version')!r}; "
            f"this reconciler reads version {FORMAT_VERSION}",
            hint="make the plan again with this version",
        )
    try:
        changes = []
        digests: dict[str, str | None] = {}
        for item in document["changes"]:
            cause = item.get("cause")
            if cause is not None and cause not in get_args(Cause):
                raise ValueError(f"unknown cause {cause!r}")
            refreshed = item.get("refreshed")
            changes.append(
                Change(
                    address=item["address"],
                    type=item["type"],
                    provider=item["provider"],
                    action=Action(item["action"]),
                    summary=item.get("summary", ""),
                    reasons=tuple(item.get("reasons", ())),
                    caused_by=tuple(item.get("caused_by", ())),
                    before=decode(item.get("before", {})),
                    after=decode(item.get("after", {})),
                    fingerprint=item.get("fingerprint"),
                    refreshed=ResourceState.model_validate(refreshed) if refreshed is not None else None,
                    basis=item.get("basis"),
                    cause=cast(Cause | None, cause),
                )
            )
            digests[item["address"]] = item.get("spec")
        plan = Plan(
            changes=tuple(changes),
            lineage=str(document["state"]["lineage"]),
            serial=int(document["state"]["serial"]),
            providers=dict(document.get("providers", {})),
        )
        sources = tuple(str(item) for item in document.get("spec_files", ()))
    except (KeyError, TypeError, ValueError, ValidationError) as exc:
        raise errors.PlanError(f"{source} is damaged: {type(exc).__name__}: {exc}") from exc
    return SavedPlan(plan, digests, sources)


def write(path: Path, plan: Plan, *, spec: Spec, sources: Sequence[str] = ()) -> None:
    """Save a plan for a later ``apply FILE``."""
    text = json.dumps(to_document(plan, spec=spec, sources=sources), indent=2) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise errors.PlanError(f"cannot write the plan to {path}: {exc.strerror}") from exc


def is_plan_file(path: Path) -> bool:
    """Whether ``path`` holds a plan document rather than a spec (looks at the first bytes only)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(200)
    except OSError:
        return False
    return head.lstrip().startswith(b"{") and FORMAT.encode() in head


def read(path: Path) -> SavedPlan:
    """A saved plan, its spec digests and sources."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise errors.PlanError(f"cannot read the plan {path}: {exc.strerror}") from exc
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise errors.PlanError(f"{path} is not JSON: {exc.msg} at line {exc.lineno}") from exc
    return from_document(document, source=str(path))


def stale_reasons(saved_plan: SavedPlan, *, state: StateDocument, spec: Spec, fresh: Plan) -> list[str]:
    """Everything that changed since ``saved`` was made; empty when it may be applied as it is."""
    saved, digests = saved_plan.plan, saved_plan.digests
    reasons: list[str] = []
    # A plan of a never-stored state (serial 0) has no lineage yet: each read of nothing makes a new one.
    if saved.serial > 0 and state.lineage != saved.lineage:
        reasons.append(f"state lineage {saved.lineage} → {state.lineage} (another workspace)")
    elif state.serial != saved.serial:
        reasons.append(f"state serial {saved.serial} → {state.serial}")
    current = spec_digests(spec)
    for change in saved.changes:
        address = change.address
        if change.action is Action.FORGET:
            if address in current:
                reasons.append(f"{address}: back in the spec")
            continue
        if address not in current:
            reasons.append(f"{address}: no longer in the spec")
            continue
        if digests.get(address) != current[address]:
            reasons.append(f"{address}: the spec changed")
            continue
        try:
            now = fresh[address]
        except KeyError:
            reasons.append(f"{address}: no longer planned")
            continue
        if now.basis != change.basis:
            reasons.append(f"{address}: the live object changed")
    return reasons
