"""Top-level ``outputs:``: values a spec hands back after apply, as Terraform's outputs.

An output's ``value`` is any value (a whole ``${…}`` keeps its type); a
string in it that names a resource of the spec is a reference, written as
resources write them: ``alviss.refit.se`` (every output that resource
recorded, a mapping), ``alviss.refit.se.model_id`` (one of them), or a
``for_each`` resource without its key (a mapping by instance key).  The
loader checks here that each one names a resource of the spec; apply fills
them in from the state it has just written (``reconciler.engine.outputs``),
so an output is always what was made, never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reconciler.errors import SpecError
from reconciler.spec.document import OutputReference, OutputSpec
from reconciler.spec.entries import Entry, require_mapping
from reconciler.spec.messages import describe, spec_error, validation_errors
from reconciler.spec.names import parse_instance, suggest
from reconciler.spec.yamlpos import YamlPath

__all__ = ["OUTPUT_NAME", "read_outputs", "split_reference"]

#: What an output's name may be (Terraform's: letters, digits, '_' and '-').
OUTPUT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class OutputBody(BaseModel):
    """One entry of ``outputs:`` as written."""

    model_config = ConfigDict(extra="forbid")

    value: Any = Field(description="The value: any value, a resource (its outputs), or resource.OUTPUT.")
    description: str | None = Field(default=None, description="What the output is, for people.")
    sensitive: bool = Field(
        default=False,
        description="Masked in `reconciler output` listings; shown when asked for by name.",
    )


def split_reference(text: str, types: Mapping[str, Any]) -> tuple[str, str, str | None] | None:
    """``(address, type, field)`` when ``text`` names a resource of one of ``types``, else None (a literal).

    ``alviss.refit.se`` → ``("alviss.refit.se", "alviss.refit", None)``;
    ``alviss.refit.se.model_id`` → ``(…, "model_id")``; ``www.example.com`` → None.
    """
    for address, field in _readings(text):
        try:
            parsed = parse_instance(address)
        except ValueError:
            continue
        if parsed.data or parsed.type in types:
            return address, parsed.type, field
    return None


def _readings(text: str) -> Iterator[tuple[str, str | None]]:
    yield text, None
    head, dot, tail = text.rpartition(".")
    if dot and _FIELD.fullmatch(tail):
        yield head, tail


def read_outputs(
    entries: Mapping[str, Entry],
    *,
    known: Mapping[str, str],
    types: Mapping[str, Any],
    errors: list[SpecError],
) -> dict[str, OutputSpec]:
    """The outputs of ``entries`` (``("outputs", NAME)`` entries), what is wrong going to ``errors``.

    ``known`` maps every declared address (instances too) to its type; ``types`` are the
    registered resource types (a string naming one of them is a reference, not a literal).
    """
    templates: dict[str, list[str]] = {}
    for address in known:
        try:
            parsed = parse_instance(address)
        except ValueError:
            continue
        if parsed.key is not None:
            templates.setdefault(parsed.resource, []).append(address)
    outputs: dict[str, OutputSpec] = {}
    for name, entry in entries.items():
        output = _read(entry, known=known, templates=templates, types=types, errors=errors)
        if output is not None:
            outputs[name] = output
    return outputs


def _read(
    entry: Entry,
    *,
    known: Mapping[str, str],
    templates: Mapping[str, list[str]],
    types: Mapping[str, Any],
    errors: list[SpecError],
) -> OutputSpec | None:
    name = entry.key
    subject = f"output {name!r}"
    if not OUTPUT_NAME.fullmatch(name):
        errors.append(
            spec_error(
                f"invalid output name {name!r}",
                entry.location,
                hint="an output name is letters, digits, '_' and '-', starting with a letter or '_'",
            )
        )
        return None
    body = require_mapping(
        entry.document,
        entry.path,
        entry.body,
        subject,
        errors=errors,
        expected="a mapping with 'value' (and optional 'description', 'sensitive')",
    )
    if body is None:
        return None
    try:
        parsed = OutputBody.model_validate(body)
    except ValidationError as exc:
        errors.extend(
            validation_errors(
                exc, document=entry.document, base=entry.path, subject=subject, model=OutputBody
            )
        )
        return None
    if entry.broken():
        return None
    references: list[OutputReference] = []
    ok = True
    for path, text in _strings(parsed.value, ()):
        found = split_reference(text, types)
        if found is None:
            continue
        address, _, field = found
        if address in known:
            references.append(OutputReference(path, address, field, (address,)))
            continue
        if address in templates:
            references.append(OutputReference(path, address, field, tuple(templates[address])))
            continue
        where_path = (*entry.path, "value", *path)
        shown = describe(entry.document, where_path, text) or "a resource"
        close = suggest(address, [*known, *templates])
        hint = f"did you mean {close!r}?" if close else "an output refers to resources by their address"
        errors.append(
            spec_error(
                f"{subject}: 'value' refers to {shown}, which is not in the spec",
                entry.document.at(where_path),
                hint=hint,
            )
        )
        ok = False
    if not ok:
        return None
    return OutputSpec(
        name=name,
        value=parsed.value,
        description=parsed.description,
        sensitive=parsed.sensitive,
        location=entry.location,
        references=tuple(references),
    )


def _strings(value: Any, path: YamlPath) -> Iterator[tuple[YamlPath, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, key))
