"""The spec's outputs as apply records them: references filled in from the state just written.

An output is recorded from what was made, never from what the plan expected:
a reference (``alviss.refit.se.model_id``) takes the recorded output of a
ready record.  An output whose reference is not ready yet (never applied, a
job still running, a failed one) is left as the last apply recorded it, with
a note saying why, so ``reconciler output`` never shows a value of something
that does not exist.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.spec.document import OutputReference, OutputSpec, Spec
from reconciler.spec.names import suggest
from reconciler.state.document import OutputState, ResourceState, StateDocument

__all__ = ["OutputNote", "OutputsResult", "compute_outputs", "record_outputs"]


@dataclass(frozen=True)
class OutputNote:
    """Why one output was not (re)computed by this apply.

    ``mistake``: the spec names an output its resource does not record (worth a warning);
    otherwise the resource is just not there yet (not applied, a job running, failed: the
    apply says so already).
    """

    name: str
    message: str
    mistake: bool = False

    def __str__(self) -> str:
        return f"output {self.name!r}: {self.message}"


@dataclass(frozen=True)
class OutputsResult:
    """The outputs to record and what kept some from being computed."""

    outputs: dict[str, OutputState]
    notes: tuple[OutputNote, ...] = ()


class _Unknown(Exception):
    """A reference whose value is not in the state (yet)."""

    def __init__(self, message: str, *, mistake: bool = False) -> None:
        super().__init__(message)
        self.mistake = mistake


def compute_outputs(
    spec: Spec, document: StateDocument, *, data: Mapping[str, Mapping[str, Any]] | None = None
) -> OutputsResult:
    """Every output of ``spec`` with its references read from ``document`` (a data source's from
    ``data``: what the plan read, by address).

    Outputs no longer in the spec are dropped; one that cannot be computed
    keeps its earlier value (if any) and gets a note.
    """
    outputs: dict[str, OutputState] = {}
    notes: list[OutputNote] = []
    for name, output in spec.outputs.items():
        try:
            value = _value(output, document.resources, data or {})
        except _Unknown as unknown:
            notes.append(OutputNote(name, str(unknown), mistake=unknown.mistake))
            if name in document.outputs:
                outputs[name] = document.outputs[name]
            continue
        outputs[name] = OutputState(value=value, sensitive=output.sensitive, description=output.description)
    return OutputsResult(outputs=outputs, notes=tuple(notes))


def record_outputs(
    spec: Spec, document: StateDocument, *, data: Mapping[str, Mapping[str, Any]] | None = None
) -> tuple[StateDocument, tuple[OutputNote, ...]]:
    """``document`` with its outputs computed anew (the same object when nothing changed)."""
    result = compute_outputs(spec, document, data=data)
    if result.outputs == document.outputs:
        return document, result.notes
    return document.model_copy(update={"outputs": result.outputs}), result.notes


Data = Mapping[str, Mapping[str, Any]]


def _value(output: OutputSpec, records: Mapping[str, ResourceState], data: Data) -> Any:
    if not output.references:
        return copy.deepcopy(output.value)
    value = copy.deepcopy(output.value)
    for ref in output.references:
        value = _put(value, ref.path, _resolve(ref, records, data))
    return value


def _resolve(ref: OutputReference, records: Mapping[str, ResourceState], data: Data) -> Any:
    if ref.instances == (ref.address,):
        return _one(ref.address, ref.field, records, data)
    by_key: dict[str, Any] = {}
    for address in ref.instances:
        key = address[address.rindex("[") + 1 : -1]
        by_key[key] = _one(address, ref.field, records, data)
    return by_key


def _one(address: str, field: str | None, records: Mapping[str, ResourceState], data: Data) -> Any:
    if address in data:
        outputs = data[address]
    else:
        record = records.get(address)
        if record is None:
            raise _Unknown(f"{address} is not applied yet")
        if record.status != "ready":
            state = "has a job still running" if record.status == "pending" else "failed on its platform"
            raise _Unknown(f"{address} {state}")
        outputs = record.outputs
    if field is None:
        return copy.deepcopy(dict(outputs))
    if field not in outputs:
        have = ", ".join(sorted(outputs)) or "none"
        close = suggest(field, outputs)
        more = f"; did you mean {close!r}?" if close else ""
        raise _Unknown(f"{address} has no output {field!r} (it has: {have}){more}", mistake=True)
    return copy.deepcopy(outputs[field])


def _put(value: Any, path: tuple[str | int, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    value[head] = _put(value[head], rest, new)
    return value
