"""Marking which fields of a resource's configuration are references (and which are local files).

A reference is the address of another resource (``alviss.upload.sales_w46``).
Resource types annotate such fields with :class:`RefTo`, so the loader can
check every reference (it exists, it has an allowed type, no cycles) and the
engine can build the dependency graph, both without knowing the types.

    contains: list[Annotated[str, RefTo("alviss.upload")]]
    model: Annotated[int, RemoteId("alviss.model")] | Annotated[str, RefTo("alviss.refit", "alviss.model")]

A literal id of an object that must already exist on the platform is marked
with :class:`RemoteId`, so ``plan`` can read each one before deciding anything.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel


@dataclass(frozen=True)
class RefTo:
    """Field metadata: a string here is the address of a resource of one of ``types``."""

    types: tuple[str, ...]

    def __init__(self, *types_: str) -> None:
        object.__setattr__(self, "types", tuple(types_))


@dataclass(frozen=True)
class LocalFile:
    """Field metadata: a string here names a local file, relative to the spec file.

    ``output``: the file is written (it may be missing); otherwise it is read.
    The loader checks every such field: a path that exists must be a regular
    file, not a directory, a device (``/dev/zero``) or a FIFO, which would
    hang or fail a read deep inside a plan.
    """

    output: bool = False


#: A data file the resource reads: ``file: DataFile = Field(...)``.
DataFile = Annotated[str, LocalFile()]


@dataclass(frozen=True)
class RemoteId:
    """Field metadata: a literal id here names an object of ``kind`` that must already exist.

    ``kind`` is a kind of object a platform can read by id (``alviss.model``,
    ``alviss.dataset``, ``akkio.dataset``).  ``plan`` reads every such id
    before deciding anything, so an id that names nothing is an error at its
    field, found before any request that changes something is sent (rather than
    in the middle of ``apply``, after the uploads before it were made).
    """

    kind: str


M = TypeVar("M")


@dataclass(frozen=True)
class Marked(Generic[M]):
    """One marked field found in a configuration: where it sits, its text and its marker."""

    path: tuple[str | int, ...]
    value: Any  # the field's text; a RemoteId's may be an int
    marker: M


@dataclass(frozen=True)
class Reference:
    """One reference found in a configuration: where it sits and what it names."""

    path: tuple[str | int, ...]
    address: str
    allowed: tuple[str, ...]


def _marker_of(annotation: Any, kind: type[M]) -> M | None:
    if typing.get_origin(annotation) is typing.Annotated:
        for meta in annotation.__metadata__:
            if isinstance(meta, kind):
                return meta
    return None


def _walk(annotation: Any, value: Any, path: tuple[str | int, ...], kind: type[M]) -> Iterator[Marked[M]]:
    marker = _marker_of(annotation, kind)
    if marker is not None:
        # An id is of its field's own type (``Annotated[int, RemoteId(…)]`` holds ints only);
        # a reference or a file name is a string.
        base = typing.get_args(annotation)[0] if isinstance(marker, RemoteId) else str
        if isinstance(value, base) and not isinstance(value, bool):
            yield Marked(path=path, value=value, marker=marker)
        return
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        yield from _walk(args[0], value, path, kind)
    elif origin in (typing.Union, types.UnionType):
        for arg in args:
            found = list(_walk(arg, value, path, kind))
            if found:
                yield from found
                return
    elif origin in (list, tuple, set, frozenset) and isinstance(value, list | tuple | set | frozenset):
        item_type = args[0] if args else Any
        for index, item in enumerate(value):
            yield from _walk(item_type, item, (*path, index), kind)
    elif origin is dict and isinstance(value, dict) and len(args) == 2:
        for key, item in value.items():
            yield from _walk(args[1], item, (*path, key), kind)
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel) and isinstance(value, BaseModel):
        yield from marked(value, kind, path)


def marked(config: BaseModel, kind: type[M], path: tuple[str | int, ...] = ()) -> list[Marked[M]]:
    """Every string field of ``config`` annotated with a ``kind`` marker, in field order."""
    found: list[Marked[M]] = []
    for name, field in type(config).model_fields.items():
        annotation: Any = field.annotation
        if field.metadata:
            annotation = typing.Annotated[(annotation, *field.metadata)]
        found.extend(_walk(annotation, getattr(config, name), (*path, name), kind))
    return found


@dataclass(frozen=True)
class LiteralId:
    """One literal remote id found in a configuration: where it sits, the id and its kind."""

    path: tuple[str | int, ...]
    value: int | str
    kind: str


def literal_ids(config: BaseModel, path: tuple[str | int, ...] = ()) -> list[LiteralId]:
    """Every literal id of an existing remote object in ``config``, in field order."""
    return [
        LiteralId(path=item.path, value=item.value, kind=item.marker.kind)
        for item in marked(config, RemoteId, path)
    ]


def references(config: BaseModel, path: tuple[str | int, ...] = ()) -> list[Reference]:
    """Every reference in ``config``, in field order."""
    return [
        Reference(path=item.path, address=item.value, allowed=item.marker.types)
        for item in marked(config, RefTo, path)
    ]
