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
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reconciler import errors
from reconciler.engine.plan import Change, DataSourceRead, Move, Plan
from reconciler.engine.planner import canonical
from reconciler.providers.base import Decision
from reconciler.spec.document import Spec
from reconciler.state.document import ResourceState, StateDocument
from reconciler.state.local import atomic_write
from reconciler.vocabulary import KNOWN_AFTER_APPLY, Action, Cause, KnownAfterApply, Reason

FORMAT: Final = "reconciler-plan"
FORMAT_VERSION: Final = 1
UNKNOWN_MARK: Final = "known_after_apply"
ACTION_WORDS: Final = tuple(action.value for action in Action if action is not Action.NOOP)
#: A plan of thousands of resources is a few MiB; anything far larger is not a plan.
MAX_PLAN_BYTES: Final = 64 << 20


@dataclass(frozen=True)
class SavedPlan:
    """A plan read back from its document, with what it was made from."""

    plan: Plan
    digests: Mapping[str, str | None] = field(default_factory=dict)
    #: The spec sources, relative to the plan file's directory (earlier versions: to where ``plan`` ran).
    sources: tuple[str, ...] = ()
    #: The values of the spec's variables the plan was made with (sensitive ones are not kept).
    variables: Mapping[str, Any] = field(default_factory=dict)


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


def summary_of(plan: Plan) -> dict[str, int]:
    """How many changes of each action (but no-op) the plan holds, as its document says."""
    counts = plan.counts()
    return {word: counts.get(Action(word), 0) for word in ACTION_WORDS}


def to_document(
    plan: Plan,
    *,
    spec: Spec | None = None,
    sources: Sequence[str] = (),
    variables: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The plan as the published JSON document (``docs/plan.schema.json``)."""
    digests = spec_digests(spec) if spec is not None else {}
    document: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "spec_files": list(sources),
        "state": {"lineage": plan.lineage, "serial": plan.serial},
        "providers": dict(plan.providers),
        "summary": summary_of(plan),
        "has_changes": plan.has_changes,
        "changes": [_change(change, digests.get(change.address)) for change in plan.changes],
        "targets": list(plan.targets),
        "replace": list(plan.replace),
        "moved": [{"from": move.source, "to": move.to} for move in plan.moved],
        **({"data": [_data(read) for read in plan.data]} if plan.data else {}),
    }
    if variables is None and spec is not None:
        variables = {
            name: value for name, value in spec.variables.items() if name not in spec.sensitive_variables
        }
    if variables:
        document["variables"] = dict(sorted(variables.items()))
    return document


def _data(read: DataSourceRead) -> dict[str, Any]:
    return {
        "address": read.address,
        "type": read.type,
        "provider": read.provider,
        "summary": read.summary,
        "outputs": encode(read.outputs),
    }


def saved_document(saved_plan: SavedPlan) -> dict[str, Any]:
    """A saved plan's document again, as it was read (``show PLANFILE --format json``)."""
    document = to_document(saved_plan.plan, sources=saved_plan.sources, variables=saved_plan.variables)
    for change in document["changes"]:
        change["spec"] = saved_plan.digests.get(change["address"])
    return document


def _change(change: Change, spec_digest: str | None) -> dict[str, Any]:
    return {
        "address": change.address,
        "type": change.type,
        "provider": change.provider,
        "action": change.action.value,
        "reason": change.reason.value,
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


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class _StateRef(_Strict):
    lineage: str
    serial: int = Field(ge=0)


class _ChangeDocument(_Strict):
    address: str = Field(min_length=1)
    type: str
    provider: str
    action: Annotated[Action, Field(strict=False)]
    reason: Annotated[Reason, Field(strict=False)]
    summary: str
    reasons: list[str]
    caused_by: list[str]
    cause: Cause | None
    before: dict[str, Any]
    after: dict[str, Any]
    fingerprint: str | None
    basis: str | None
    spec: str | None
    refreshed: Annotated[ResourceState, Field(strict=False)] | None


class _MoveDocument(_Strict):
    source: str = Field(alias="from", min_length=1)
    to: str = Field(min_length=1)


class _DataDocument(_Strict):
    address: str = Field(min_length=1)
    type: str
    provider: str
    summary: str
    outputs: dict[str, Any]


class _PlanDocument(_Strict):
    format: Literal["reconciler-plan"]
    format_version: int
    spec_files: list[str]
    state: _StateRef
    providers: dict[str, str]
    summary: dict[str, Annotated[int, Field(ge=0)]]
    has_changes: bool
    changes: list[_ChangeDocument]
    targets: list[str] = Field(default_factory=list)
    replace: list[str] = Field(default_factory=list)
    moved: list[_MoveDocument] = Field(default_factory=list)
    data: list[_DataDocument] = Field(default_factory=list)
    variables: dict[str, Any] = Field(default_factory=dict)


def _problems(exc: ValidationError) -> str:
    """The first few problems of a validation error, each at its place in the document."""
    found = exc.errors(include_url=False, include_input=False, include_context=False)
    shown = [f"{_place(error['loc'])}: {error['msg']}" for error in found[:3]]
    more = f" (and {len(found) - 3} more)" if len(found) > 3 else ""
    return "; ".join(shown) + more


def _place(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "the document"


def from_document(document: Any, *, source: str = "the plan") -> SavedPlan:
    """A plan read back from its document, with the spec digest recorded for each change.

    Every field is checked for its type before anything uses it, and the
    document must agree with itself (one change per address, a summary that
    counts its changes): a plan file edited by hand or cut short is refused
    here, before any state is read or anything is sent.
    """
    damaged = f"{source} is damaged"
    hint = "make the plan again with `plan -out FILE`"
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise errors.PlanError(f"{source} is not a reconciler plan", hint="make one with `plan -out FILE`")
    if document.get("format_version") != FORMAT_VERSION:
        raise errors.PlanError(
            f"{source} has plan format version {document.get('format_version')!r}; "
            f"this reconciler reads version {FORMAT_VERSION}",
            hint="make the plan again with this version",
        )
    if _before_reason_codes(document):
        raise errors.PlanError(
            f"{source} was made by an earlier version of reconciler (its changes carry no reason codes), "
            "so this version cannot check it against a plan made now",
            hint="make the plan again with this version: `plan -out FILE`",
        )
    try:
        parsed = _PlanDocument.model_validate(document)
    except ValidationError as exc:
        raise errors.PlanError(f"{damaged}: {_problems(exc)}", hint=hint) from exc
    changes = []
    digests: dict[str, str | None] = {}
    for index, item in enumerate(parsed.changes):
        if item.address in digests:
            raise errors.PlanError(f"{damaged}: changes[{index}]: {item.address} appears twice", hint=hint)
        changes.append(
            Change(
                address=item.address,
                type=item.type,
                provider=item.provider,
                decision=Decision(
                    action=item.action,
                    reason=item.reason,
                    summary=item.summary,
                    reasons=tuple(item.reasons),
                    before=decode(item.before),
                    after=decode(item.after),
                    fingerprint=item.fingerprint,
                    refreshed=item.refreshed,
                ),
                caused_by=tuple(item.caused_by),
                basis=item.basis,
                cause=item.cause,
            )
        )
        digests[item.address] = item.spec
    plan = Plan(
        changes=tuple(changes),
        lineage=parsed.state.lineage,
        serial=parsed.state.serial,
        providers=dict(parsed.providers),
        targets=tuple(parsed.targets),
        replace=tuple(parsed.replace),
        moved=tuple(Move(source=move.source, to=move.to) for move in parsed.moved),
        data=tuple(
            DataSourceRead(
                address=item.address,
                type=item.type,
                provider=item.provider,
                summary=item.summary,
                outputs=decode(item.outputs),
            )
            for item in parsed.data
        ),
    )
    # Plans written before the adopt action have no "adopt" count.
    if {"adopt": 0, **parsed.summary} != summary_of(plan) or parsed.has_changes != plan.has_changes:
        raise errors.PlanError(f"{damaged}: its summary does not count its changes", hint=hint)
    return SavedPlan(plan, digests, tuple(parsed.spec_files), dict(parsed.variables))


def _before_reason_codes(document: dict[str, Any]) -> bool:
    """A plan saved before changes carried their reason code: every change lacks ``reason``."""
    changes = document.get("changes")
    if not isinstance(changes, list) or not changes:
        return False
    return all(isinstance(item, dict) and "action" in item and "reason" not in item for item in changes)


def write(path: Path, plan: Plan, *, spec: Spec, sources: Sequence[str] = ()) -> None:
    """Save a plan for a later ``apply FILE``, all or nothing (a full disk leaves no half plan).

    The spec files are recorded relative to the plan file's directory, so the
    plan can be applied from any directory (and moved with its repository).
    """
    document = to_document(plan, spec=spec, sources=relative_sources(sources, plan_file=path))
    data = (json.dumps(document, indent=2) + "\n").encode()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, data)
    except OSError as exc:
        raise errors.PlanError(
            f"cannot write the plan to {path}: {exc.strerror or exc}; no plan file was written",
            hint=errors.os_hint(exc) or "choose another place with -out FILE",
        ) from exc


def relative_sources(sources: Sequence[str], *, plan_file: Path) -> list[str]:
    """Spec sources (relative to the working directory, or absolute) made relative to the plan's directory."""
    base = plan_file.absolute().parent
    return [Path(os.path.relpath(Path(source).absolute(), base)).as_posix() for source in sources]


def spec_sources(saved_plan: SavedPlan, *, plan_file: Path) -> list[Path]:
    """Where the spec files a saved plan names are now, read relative to the plan file's directory.

    Plans saved by earlier versions named them relative to the directory
    ``plan`` ran in: such a name is taken from the working directory when
    nothing is found beside the plan.
    """
    base = plan_file.absolute().parent
    found = []
    for source in saved_plan.sources:
        beside = Path(source) if Path(source).is_absolute() else base / source
        if not beside.exists() and Path(source).exists():
            beside = Path(source).absolute()
        found.append(Path(os.path.normpath(beside)))
    return found


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
        if not path.is_file():
            raise errors.PlanError(f"cannot read the plan {path}: not a regular file")
        if path.stat().st_size > MAX_PLAN_BYTES:
            raise errors.PlanError(f"{path} is too large for a plan (over {MAX_PLAN_BYTES >> 20} MiB)")
        data = path.read_bytes()
    except OSError as exc:
        raise errors.PlanError(f"cannot read the plan {path}: {exc.strerror or exc}") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise errors.PlanError(f"{path} is not a plan: not UTF-8 text (byte {exc.start})") from exc
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise errors.PlanError(f"{path} is not JSON: {exc.msg} at line {exc.lineno}") from exc
    except RecursionError as exc:
        raise errors.PlanError(f"{path} is not a plan: JSON nested too deeply") from exc
    return from_document(document, source=str(path))


def stale_reasons(saved_plan: SavedPlan, *, state: StateDocument, spec: Spec, fresh: Plan) -> list[str]:
    """Everything that changed since ``saved`` was made; empty when it may be applied as it is.

    ``fresh`` is a plan made now, with the saved plan's selection: once the
    state, the spec and every live object are as they were, it must be the
    saved plan change for change, so a change removed from, added to or
    altered in the file is named here too.
    """
    saved, digests = saved_plan.plan, saved_plan.digests
    reasons: list[str] = []
    # A plan of a never-stored state (serial 0) has no lineage yet: each read of nothing makes a new one.
    if saved.serial > 0 and state.lineage != saved.lineage:
        reasons.append(f"state lineage {saved.lineage} → {state.lineage} (another workspace)")
    elif state.serial != saved.serial:
        reasons.append(f"state serial {saved.serial} → {state.serial}")
    current = spec_digests(spec)
    in_saved = {change.address for change in saved.changes}
    for change in saved.changes:
        address = change.address
        if change.action is Action.FORGET:
            if address in current:
                reasons.append(f"{address}: back in the spec")
                continue
        elif address not in current:
            reasons.append(f"{address}: no longer in the spec")
            continue
        elif digests.get(address) != current[address]:
            reasons.append(f"{address}: the spec changed")
            continue
        try:
            now = fresh[address]
        except KeyError:
            reasons.append(f"{address}: no longer planned")
            continue
        if now.basis != change.basis:
            reasons.append(f"{address}: the live object changed")
        elif now.action is not change.action:
            reasons.append(f"{address}: planned as {now.action.value} now, {change.action.value} in the plan")
        else:
            differ = _differences(change, now)
            if differ:
                reasons.append(f"{address}: the plan's {', '.join(differ)} differ from a plan made now")
    for change in fresh.changes:
        if change.address not in in_saved:
            reasons.append(f"{change.address}: planned now ({change.action.value}), not in the plan")
    if saved.moved != fresh.moved:
        shown = ", ".join(f"{move.source} → {move.to}" for move in fresh.moved) or "none"
        reasons.append(f"the moved blocks move other records now: {shown}")
    read_now = {read.address: read for read in fresh.data}
    for read in saved.data:
        again = read_now.get(read.address)
        if again is None:
            reasons.append(f"{read.address}: no longer read")
        elif canonical(again.outputs) != canonical(read.outputs):
            reasons.append(f"{read.address}: reads {again.summary} now, {read.summary} in the plan")
    return reasons


#: The fields of a change compared between a saved plan and a fresh one (basis and action come first).
_COMPARED: Final = (
    "type",
    "provider",
    "fingerprint",
    "reason",
    "cause",
    "caused_by",
    "refreshed",
    "summary",
    "reasons",
    "before",
    "after",
)


def _differences(saved: Change, fresh: Change) -> list[str]:
    """The names of the fields in which two changes of the same address differ."""
    saved_document, fresh_document = _change(saved, None), _change(fresh, None)
    return [name for name in _COMPARED if saved_document[name] != fresh_document[name]]
