"""Marking which fields of a resource's configuration are references.

A reference is the address of another resource (``alviss.upload.sales_w46``).
Resource types annotate such fields with :class:`RefTo`, so the loader can
check every reference (it exists, it has an allowed type, no cycles) and the
engine can build the dependency graph, both without knowing the types.

    contains: list[Annotated[str, RefTo("alviss.upload")]]
    model: int | Annotated[str, RefTo("alviss.refit", "alviss.model")]
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel


@dataclass(frozen=True)
class RefTo:
    """Field metadata: a string here is the address of a resource of one of ``types``."""

    types: tuple[str, ...]

    def __init__(self, *types_: str) -> None:
        object.__setattr__(self, "types", tuple(types_))


@dataclass(frozen=True)
class Reference:
    """One reference found in a configuration: where it sits and what it names."""

    path: tuple[str | int, ...]
    address: str
    allowed: tuple[str, ...]


def _ref_of(annotation: Any) -> RefTo | None:
    if typing.get_origin(annotation) is typing.Annotated:
        for meta in annotation.__metadata__:
            if isinstance(meta, RefTo):
                return meta
    return None


def _walk(annotation: Any, value: Any, path: tuple[str | int, ...]) -> Iterator[Reference]:
    ref = _ref_of(annotation)
    if ref is not None:
        if isinstance(value, str):
            yield Reference(path=path, address=value, allowed=ref.types)
        return
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        yield from _walk(args[0], value, path)
    elif origin in (typing.Union, types.UnionType):
        for arg in args:
            found = list(_walk(arg, value, path))
            if found:
                yield from found
                return
    elif origin in (list, tuple, set, frozenset) and isinstance(value, list | tuple | set | frozenset):
        item_type = args[0] if args else Any
        for index, item in enumerate(value):
            yield from _walk(item_type, item, (*path, index))
    elif origin is dict and isinstance(value, dict) and len(args) == 2:
        for key, item in value.items():
            yield from _walk(args[1], item, (*path, key))
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel) and isinstance(value, BaseModel):
        yield from references(value, path)


def references(config: BaseModel, path: tuple[str | int, ...] = ()) -> list[Reference]:
    """Every reference in ``config``, in field order."""
    found: list[Reference] = []
    for name, field in type(config).model_fields.items():
        annotation: Any = field.annotation
        if field.metadata:
            annotation = typing.Annotated[(annotation, *field.metadata)]
        found.extend(_walk(annotation, getattr(config, name), (*path, name)))
    return found
