"""Pydantic validation errors rewritten as plain sentences at ``file:line:col``.

The people reading these wrote YAML, not Python: ``field 'dataset_name' is
required`` and ``'team' must be an integer, got 'one'`` tell them what to fix,
a pydantic dump with ``loc=('model', 'int')`` does not.  Each error is placed
on the most precise node: the offending value, the unknown key, or (for a
missing field) the key of the mapping that lacks it.

A value is quoted back only when it is safe to: an interpolated string shows
its ``${env:...}`` source, and fields named like credentials show nothing.

A model's own validator can say what to do, too: it raises :func:`hinted`
(a sentence about the field and a hint), which is reported as
``'field' <sentence>`` with that hint, at the value or, for a whole model,
at its key.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails, PydanticCustomError

from reconciler.errors import SpecError
from reconciler.spec.names import SECRETISH, suggest
from reconciler.spec.yamlpos import Document, YamlPath

__all__ = [
    "describe",
    "display_path",
    "hinted",
    "is_secret_path",
    "require_mapping",
    "spec_error",
    "unknown_keys",
    "validation_errors",
]

_HINTED = "reconciler_hinted"

_EXPECTED = {
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "a string",
    "list_type": "a list",
    "tuple_type": "a list",
    "set_type": "a list",
    "frozen_set_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "dataclass_type": "a mapping",
    "none_required": "null",
    "date_type": "a date (YYYY-MM-DD)",
    "date_parsing": "a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "a date (YYYY-MM-DD)",
    "datetime_type": "a date and time",
    "datetime_parsing": "a date and time",
    "datetime_from_date_parsing": "a date and time",
}
_MAX_SHOWN = 60


def hinted(sentence: str, hint: str, *, field: str | None = None) -> PydanticCustomError:
    """An error for a validator to raise: ``'FIELD' SENTENCE`` with ``hint``.

    ``field`` names the field in a whole-model validator (the error is then
    placed at the model's key); in a field validator the field is known.
    """
    context = {"sentence": sentence, "hint": hint, "field": field or ""}
    return PydanticCustomError(_HINTED, "{sentence}", context)


def is_secret_path(path: YamlPath) -> bool:
    """Whether the value at ``path`` is named like a credential (``token``, ``api_key``, ``dsn``…)."""
    names = [part for part in path if isinstance(part, str)]
    return bool(names) and SECRETISH.search(names[-1]) is not None


def spec_error(message: str, where: Any, *, hint: str | None = None) -> SpecError:
    """A SpecError at a :class:`~reconciler.spec.document.Location`."""
    return SpecError(message, file=where.file, line=where.line, column=where.column, hint=hint)


def display_path(path: YamlPath) -> str:
    """``("contains", 0)`` as ``contains[0]``; ``("combination", "country")`` as ``combination.country``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def describe(document: Document, path: YamlPath, value: Any) -> str | None:
    """How to quote ``value`` (found at ``path``) in a message; None when it must not be shown."""
    if path in document.sources:
        return repr(document.sources[path])
    if is_secret_path(path):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        shown = value if len(value) <= _MAX_SHOWN else value[:_MAX_SHOWN] + "…"
        return repr(shown)
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return None


def _data_path(loc: tuple[int | str, ...], data: Any) -> tuple[YamlPath, bool]:
    """The part of a pydantic ``loc`` naming written data (union tags skipped), and whether all of it did."""
    path: list[str | int] = []
    complete = True
    for part in loc:
        in_mapping = isinstance(data, dict) and isinstance(part, str) and part in data
        in_list = isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
        if in_mapping or in_list:
            data = data[part]
        else:
            complete = False
            continue
        path.append(part)
    return tuple(path), complete


def _expected(error: ErrorDetails) -> str | None:
    kind = error["type"]
    if kind in ("literal_error", "enum"):
        expected = str((error.get("ctx") or {}).get("expected", ""))
        return expected or None
    return _EXPECTED.get(kind)


def _unwrap(annotation: Any) -> list[Any]:
    """The alternatives an annotation allows, with ``Annotated`` and ``Optional`` peeled off."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [alt for arg in typing.get_args(annotation) for alt in _unwrap(arg)]
    return [annotation]


def _step(annotation: Any, part: str | int) -> Any:
    for alternative in _unwrap(annotation):
        origin = typing.get_origin(alternative)
        args = typing.get_args(alternative)
        if isinstance(alternative, type) and issubclass(alternative, BaseModel) and isinstance(part, str):
            for name, info in alternative.model_fields.items():
                if part in (name, info.alias):
                    return info.annotation
        elif origin in (list, tuple, set, frozenset) and isinstance(part, int) and args:
            return args[0]
        elif origin is dict and isinstance(part, str) and len(args) == 2:
            return args[1]
    return None


def _field_names(model: type[BaseModel], path: YamlPath) -> list[str]:
    """The keys a mapping at ``path`` inside ``model`` may have (empty when unknown)."""
    annotation: Any = model
    for part in path:
        annotation = _step(annotation, part)
    for alternative in _unwrap(annotation):
        if isinstance(alternative, type) and issubclass(alternative, BaseModel):
            return [info.alias or name for name, info in alternative.model_fields.items()]
    return []


def _single(
    error: ErrorDetails, *, document: Document, base: YamlPath, data: Any, model: type[BaseModel]
) -> tuple[YamlPath, str, str | None, bool]:
    """(data path, message, hint, whether placed at the key) for one pydantic error."""
    path, complete = _data_path(tuple(error["loc"]), data)
    kind = error["type"]
    if kind == _HINTED:
        context = error.get("ctx") or {}
        named = str(context.get("field") or "")
        field = named or display_path(path) or "value"
        hint = str(context.get("hint") or "") or None
        return path, f"{field!r} {context.get('sentence', '')}", hint, bool(named)
    if kind == "missing" and error["loc"]:
        field = display_path((*path, error["loc"][-1]))
        return path, f"field {field!r} is required", None, True
    if kind == "extra_forbidden" and path:
        close = suggest(str(path[-1]), _field_names(model, path[:-1]))
        return (
            path,
            f"unknown key {display_path(path)!r}",
            f"did you mean {close!r}?" if close else None,
            True,
        )
    field = display_path(path) or "value"
    expected = _expected(error)
    if expected is not None:
        got = describe(document, (*base, *path), error["input"]) if complete or path else None
        return path, f"{field!r} must be {expected}" + (f", got {got}" if got else ""), None, False
    text = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        text = text.removeprefix(prefix)
    if text.startswith("Input should be "):
        return path, f"{field!r} must be {text.removeprefix('Input should be ')}", None, False
    return path, f"{field!r} is invalid: {text[:1].lower()}{text[1:]}", None, False


def validation_errors(
    exc: ValidationError, *, document: Document, base: YamlPath, subject: str, model: type[BaseModel]
) -> list[SpecError]:
    """``exc`` (raised validating the mapping at ``base``) as SpecErrors, each prefixed with ``subject``."""
    data: Any = document.value
    for part in base:
        data = data[part]
    grouped: dict[tuple[YamlPath, bool], list[tuple[str, str | None, ErrorDetails]]] = {}
    for error in exc.errors(include_url=False):
        path, message, hint, at_key = _single(error, document=document, base=base, data=data, model=model)
        if any((*base, *path[:end]) in document.broken for end in range(len(path) + 1)):
            continue  # an interpolation failure already explains this value
        grouped.setdefault((path, at_key), []).append((message, hint, error))
    found: list[SpecError] = []
    for (path, at_key), items in grouped.items():
        where = document.key_at((*base, *path)) if at_key else document.at((*base, *path))
        expectations = [_expected(error) for _, _, error in items]
        if len(items) > 1 and not at_key and all(expectations):
            # A union: every alternative failed; say what any of them would accept.
            unique = list(dict.fromkeys(e for e in expectations if e))
            field = display_path(path) or "value"
            got = describe(document, (*base, *path), items[0][2]["input"])
            message = f"{field!r} must be {', '.join(unique[:-1])} or {unique[-1]}" if len(unique) > 1 else ""
            message = message or f"{field!r} must be {unique[0]}"
            items = [(message + (f", got {got}" if got else ""), None, items[0][2])]
        seen: set[str] = set()
        for message, hint, _ in items:
            if message not in seen:
                seen.add(message)
                found.append(spec_error(f"{subject}: {message}", where, hint=hint))
    return found


def require_mapping(
    document: Document,
    path: YamlPath,
    value: Any,
    what: str,
    *,
    errors: list[SpecError],
    expected: str = "a mapping",
) -> dict[str, Any] | None:
    """``value`` if it is a mapping; otherwise None, with an error saying what it is instead."""
    if isinstance(value, dict):
        return value
    if path not in document.broken:
        got = describe(document, path, value)
        message = f"{what} must be {expected}" + (f", got {got}" if got else "")
        errors.append(spec_error(message, document.at(path)))
    return None


def unknown_keys(
    document: Document,
    path: YamlPath,
    body: Mapping[str, Any],
    allowed: Sequence[str],
    *,
    subject: str,
    takes: str,
    errors: list[SpecError],
) -> bool:
    """Whether every key of the mapping at ``path`` is ``allowed``; each other one is an error at
    the key, with the closest allowed key or else the list (``takes``: "a module call takes")."""
    ok = True
    for key in body:
        if key not in allowed:
            close = suggest(str(key), allowed)
            hint = f"did you mean {close!r}?" if close else f"{takes}: {', '.join(allowed)}"
            errors.append(spec_error(f"{subject} {key!r}", document.key_at((*path, key)), hint=hint))
            ok = False
    return ok
