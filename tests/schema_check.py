"""A small JSON Schema checker for the schemas the project publishes: the spec schema
(:mod:`reconciler.spec.schema`), ``docs/plan.schema.json`` and ``docs/validate.schema.json``.

It covers exactly the keywords those schemas are written in and fails loudly on
any other, so a schema cannot quietly grow past what the tests check; its
messages are short (``$.resource: unknown key``, ``$: missing 'state'``) and the
tests assert them.
"""

from __future__ import annotations

import re
from typing import Any

_TYPES: dict[str, Any] = {
    "object": dict,
    "array": list,
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "null": type(None),
}
_IGNORED = {"title", "description", "default", "format", "writeOnly", "$schema", "$id", "$defs", "examples"}


def _is(value: Any, name: str) -> bool:
    if name in ("integer", "number") and isinstance(value, bool):
        return False
    return isinstance(value, _TYPES[name])


def errors(value: Any, schema: dict[str, Any], root: dict[str, Any], path: str = "$") -> list[str]:
    """Every violation of ``schema`` by ``value``, as ``path: what``."""
    found: list[str] = []
    shaped = {"properties", "patternProperties", "additionalProperties"}
    if isinstance(value, dict) and shaped & schema.keys():
        found += _object(value, schema, root, path)
    for key, rule in schema.items():
        if key in _IGNORED or key in shaped:
            continue
        if key == "$ref":
            target = root
            for part in rule.removeprefix("#/").split("/"):
                target = target[part]
            found += errors(value, target, root, path)
        elif key == "type":
            names = rule if isinstance(rule, list) else [rule]
            if not any(_is(value, name) for name in names):
                return [f"{path}: expected {rule}, got {type(value).__name__}"]
        elif key in ("anyOf", "oneOf"):
            failures = [errors(value, option, root, path) for option in rule]
            if all(failures):
                # The first alternative is the value's own schema (the others: an expression, null).
                found.append(f"{path}: matches none of {key} ({'; '.join(failures[0])})")
        elif key == "allOf":
            for option in rule:
                found += errors(value, option, root, path)
        elif key == "const" and value != rule:
            found.append(f"{path}: expected {rule!r}")
        elif key == "enum" and value not in rule:
            found.append(f"{path}: {value!r} not in {rule}")
        elif key == "pattern" and isinstance(value, str) and not re.search(rule, value):
            found.append(f"{path}: {value!r} does not match {rule}")
        elif key in ("minLength", "minItems") and isinstance(value, str | list) and len(value) < rule:
            found.append(f"{path}: shorter than {rule}")
        elif key == "maxLength" and isinstance(value, str) and len(value) > rule:
            found.append(f"{path}: longer than {rule}")
        elif key in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
            if _is(value, "number") and not _bound(key, value, rule):
                found.append(f"{path}: {value} violates {key} {rule}")
        elif key == "items" and isinstance(value, list):
            for index, item in enumerate(value):
                found += errors(item, rule, root, f"{path}[{index}]")
        elif key == "required" and isinstance(value, dict):
            found += [f"{path}: missing {name!r}" for name in rule if name not in value]
        elif key not in (
            "const",
            "enum",
            "pattern",
            "minLength",
            "minItems",
            "maxLength",
            "items",
            "required",
        ):
            raise AssertionError(f"the schema checker does not know the keyword {key!r}")
    return found


def _bound(key: str, value: float, rule: float) -> bool:
    return {
        "minimum": value >= rule,
        "exclusiveMinimum": value > rule,
        "maximum": value <= rule,
        "exclusiveMaximum": value < rule,
    }[key]


def _object(value: dict[str, Any], schema: dict[str, Any], root: dict[str, Any], path: str) -> list[str]:
    found: list[str] = []
    for name, item in value.items():
        where = f"{path}.{name}"
        if name in schema.get("properties", {}):
            found += errors(item, schema["properties"][name], root, where)
            continue
        matched = [
            rule for pattern, rule in schema.get("patternProperties", {}).items() if re.search(pattern, name)
        ]
        for rule in matched:
            found += errors(item, rule, root, where)
        extra = schema.get("additionalProperties", True)
        if not matched and extra is False:
            found.append(f"{where}: unknown key")
        elif not matched and isinstance(extra, dict):
            found += errors(item, extra, root, where)
    return found
