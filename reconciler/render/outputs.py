"""Recorded outputs as ``reconciler output`` and the end of ``apply`` print them, as Terraform does.

A listing shows every output as ``NAME = VALUE`` (values as JSON, so a
string is quoted and a map reads as one), a sensitive one as
``<sensitive>``; asked for by name, an output is printed whole (a string
as it is, for ``$(reconciler output NAME SPEC)``; anything else as JSON),
sensitive or not, because asking by name is asking to see it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from reconciler.state.document import OutputState

__all__ = ["SENSITIVE", "outputs_json", "outputs_text", "value_text"]

#: What a sensitive output shows in a listing.
SENSITIVE = "<sensitive>"


def _json(value: Any, *, indent: int | None = None) -> str:
    return json.dumps(value, indent=indent, ensure_ascii=False, sort_keys=False)


def outputs_text(outputs: Mapping[str, OutputState]) -> str:
    """One ``NAME = VALUE`` line per output, sorted by name; sensitive values masked."""
    lines = []
    for name, output in sorted(outputs.items()):
        shown = SENSITIVE if output.sensitive else _json(output.value)
        lines.append(f"{name} = {shown}")
    return "\n".join(lines)


def outputs_json(outputs: Mapping[str, OutputState]) -> str:
    """Every output as ``{NAME: {"sensitive": …, "value": …}}``; a sensitive value is masked (null)."""
    document: dict[str, Any] = {}
    for name, output in sorted(outputs.items()):
        value = None if output.sensitive else output.value
        entry: dict[str, Any] = {"sensitive": output.sensitive, "value": value}
        if output.description:
            entry["description"] = output.description
        document[name] = entry
    return _json(document, indent=2)


def value_text(output: OutputState, *, as_json: bool = False) -> str:
    """One output's value, unmasked: JSON with ``as_json``, else a string as it is and the rest as JSON."""
    if not as_json and isinstance(output.value, str):
        return output.value
    return _json(output.value, indent=2 if as_json else None)
