"""Reading platform answers through models of their documented fields.

A platform answer is a claim about the world that the planner acts on, so it
is read through a pydantic model of the fields the vendor documents, never
picked apart with ``dict.get``.  The rules every provider follows:

- extra fields are ignored (platforms add fields; that is not an error);
- fields the vendors' pages never show (INFERRED in the provider docs) are
  optional, and the provider says what it does without them;
- ids are :data:`ObjectId`: ``12`` and ``"12"`` are the same id, so state
  written from either form compares equal;
- an answer that does not fit is :class:`errors.MalformedAnswer`, naming the
  call and the first offending field, never a traceback and never a fact;
- for a creating call (``creates=True``) an unreadable answer is an unknown
  outcome (:class:`errors.OutcomeUnknown`): the platform may have made the
  object, so the write-ahead record stays and the object is looked up before
  anything is sent again.
"""

from __future__ import annotations

import functools
from typing import Annotated, Any, TypeVar, overload

from pydantic import BaseModel, ConfigDict, PlainValidator, TypeAdapter, ValidationError

from reconciler import errors

__all__ = ["Answer", "ObjectId", "normalize_id", "parse", "same_id"]

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


class Answer(BaseModel):
    """Base of every answer model: unknown fields ignored, read-only once parsed."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


def normalize_id(value: Any) -> int | str:
    """One form per id: decimal strings become integers (``"12"`` → ``12``), other strings are kept.

    Anything else (null, a boolean, which Python counts as an ``int``, a float,
    an empty string, an object) is not an id.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.isascii() and text.isdigit():
            return int(text)
        if text:
            return text
    raise ValueError(f"expected an id (an integer or a non-empty string), got {_kind(value)}")


def same_id(one: Any, other: Any) -> bool:
    """``"12"`` and ``12`` are one id; anything that is not an id matches nothing."""
    try:
        return normalize_id(one) == normalize_id(other)
    except ValueError:
        return False


#: An object id as platforms send it: an integer, or a string (normalised by :func:`normalize_id`).
ObjectId = Annotated[int | str, PlainValidator(normalize_id, json_schema_input_type=int | str)]


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return "an empty string"
    return {bool: "a boolean", float: "a number", dict: "an object", list: "a list"}.get(
        type(value), type(value).__name__
    )


@functools.cache
def _adapter(shape: Any) -> TypeAdapter[Any]:
    return TypeAdapter(shape)


@overload
def parse(shape: type[M], body: Any, *, service: str, call: str, creates: bool = False) -> M: ...
@overload
def parse(shape: Any, body: Any, *, service: str, call: str, creates: bool = False) -> Any: ...
def parse(shape: Any, body: Any, *, service: str, call: str, creates: bool = False) -> Any:
    """``body`` read as ``shape`` (a model or any type pydantic validates), or a clean error.

    ``call`` is ``"METHOD /path"`` without query string; ``service`` names the
    platform (and instance) as the HTTP client does.
    """
    try:
        if isinstance(shape, type) and issubclass(shape, BaseModel):
            return shape.model_validate(body)
        return _adapter(shape).validate_python(body)
    except ValidationError as exc:
        raise malformed(exc, service=service, call=call, creates=creates) from None
    except RecursionError:
        raise _error(
            f"{service}: {call}: the answer is nested too deeply to read",
            call=call,
            field="",
            creates=creates,
        ) from None


def malformed(exc: ValidationError, *, service: str, call: str, creates: bool) -> errors.ProviderError:
    """The error for an answer that failed validation: the call, the field and what was wrong."""
    first = exc.errors(include_url=False, include_input=False)[0]
    field = ".".join(str(part) for part in first.get("loc", ()))
    where = f"field {field!r}" if field else "the body"
    count = exc.error_count()
    more = f" (and {count - 1} more problem{'s' if count > 2 else ''})" if count > 1 else ""
    kind = first.get("type", "")
    if kind == "value_error":
        what = str(first.get("ctx", {}).get("error", first.get("msg", "invalid")))
    else:
        what = _SHAPES.get(kind, first.get("msg", "invalid"))
    message = f"{service}: {call}: unexpected answer: {where}: {what}{more}"
    return _error(message, call=call, field=field, creates=creates)


_SHAPES = {
    "model_type": "expected a JSON object",
    "dict_type": "expected a JSON object",
    "list_type": "expected a JSON list",
    "missing": "missing",
}


def _error(message: str, *, call: str, field: str, creates: bool) -> errors.ProviderError:
    return errors.unreadable_answer(
        message,
        call=call,
        field=field,
        creates=creates,
        hint="the platform answered in a shape this version does not know; nothing was planned from it",
    )
