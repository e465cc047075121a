"""Before planning: the data sources are read, every literal remote id is read, and what they name is checked.

Data sources (``data:``) are read-only lookups: each is read once, and what
it found (its outputs, what the plan shows) rides along with the plan, where
the resources that refer to it read it as an upstream whose outputs are known.
Nothing found, or several where one is needed, is an error at the field that
asked (the data source type raises it).

A spec that names a model which does not exist (``model: 99``) used to pass
``plan`` and fail in the middle of ``apply``, after the uploads and the new
active dataset before it were already made.  So ``plan`` first reads each
literal id of an existing object (a field marked
:class:`~reconciler.spec.refs.RemoteId`), once per provider instance however
often it is named, through its platform's
:class:`~reconciler.providers.platform.RemoteKind`.  An id that names nothing
is an error at the field that names it; then each resource type may compare
the objects named with what the spec asks (a refit's combination and its
source model's).  Every such problem is reported at once, as one
:class:`~reconciler.errors.SpecErrors`: nothing is planned, nothing is sent.

Reads only; a failure other than "not found" (an outage, a refused token) is
raised as it is.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler import errors
from reconciler.engine.graph import Graph
from reconciler.engine.plan import DataSourceRead
from reconciler.engine.planner import TypeLookup, target_of
from reconciler.providers.base import DataRead, DataSourceType
from reconciler.providers.platform import RemoteKind
from reconciler.spec.document import Location, ResourceSpec, Spec
from reconciler.spec.messages import display_path
from reconciler.spec.refs import LiteralId, literal_ids, references
from reconciler.state.document import StateDocument

__all__ = [
    "DataLookup",
    "KindLookup",
    "Named",
    "check_named",
    "data_named",
    "plan_reads",
    "raise_all",
    "read_data",
    "read_named",
]

#: The data source type of a name (``alviss.model``).
DataLookup = Callable[[str], "DataSourceType[Any, Any]"]

#: The platform's reader of a kind of remotely named object (``alviss.model``), or None when none reads it.
KindLookup = Callable[[str], "RemoteKind[Any] | None"]

#: Per resource address, per field path: the object the literal id there names, as read.
Named = dict[str, dict[tuple[str | int, ...], Any]]


@dataclass(frozen=True)
class _Place:
    """One literal id as written: the resource, the id and what it is read as."""

    resource: ResourceSpec
    item: LiteralId
    key: tuple[str, str, str]  # (provider instance, kind, id as text): one read each


async def read_named(
    spec: Spec,
    *,
    kinds: KindLookup,
    clients: Mapping[str, Any],
    providers: Mapping[str, str] | None = None,
    limit: int = 16,
) -> tuple[Named, list[errors.SpecError]]:
    """What every literal remote id of ``spec`` names, and an error for each that names nothing.

    ``providers`` describes each provider instance for the messages
    (``emulator://alviss, project 1/1``).
    """
    places: list[_Place] = []
    wanted: dict[tuple[str, str, str], tuple[RemoteKind[Any], Any]] = {}
    for resource in spec.resources.values():
        if resource.provider not in clients:
            continue
        for item in literal_ids(resource.config):
            kind = kinds(item.kind)
            if kind is None:
                continue  # no platform reads this kind by id: nothing to check
            key = (resource.provider, item.kind, str(item.value))
            wanted.setdefault(key, (kind, item.value))
            places.append(_Place(resource, item, key))
    semaphore = asyncio.Semaphore(limit)

    async def read(key: tuple[str, str, str]) -> Any:
        kind, value = wanted[key]
        async with semaphore:
            return await kind.read(clients[key[0]], value)

    keys = list(wanted)
    results = dict(zip(keys, await asyncio.gather(*(read(key) for key in keys)), strict=True))
    named: Named = {}
    problems: list[errors.SpecError] = []
    for place in places:
        found = results[place.key]
        if found is None:
            problems.append(_missing(place, wanted[place.key][0], providers or {}))
        else:
            named.setdefault(place.resource.address, {})[place.item.path] = found
    return named, problems


def _missing(place: _Place, kind: RemoteKind[Any], providers: Mapping[str, str]) -> errors.SpecError:
    resource, item = place.resource, place.item
    where = resource.field_locations.get(item.path) or resource.location
    provider = resource.provider
    described = providers.get(provider)
    within = f"provider {provider}" + (f" ({described})" if described else "")
    return _located(
        f"{resource.address}: {display_path(item.path)!r}: {kind.noun} {item.value} does not exist"
        f" in {within}",
        where,
        hint=f"check the id, and that provider {provider} is where that {kind.noun} is "
        "(plan reads every id a spec names before anything is sent)",
    )


async def read_data(
    spec: Spec,
    state: StateDocument,
    *,
    types: DataLookup,
    clients: Mapping[str, Any],
    resources: TypeLookup,
    limit: int = 16,
    importing: tuple[str, str] | None = None,
) -> tuple[dict[str, DataRead], list[errors.SpecError]]:
    """What every data source of ``spec`` found, by address, and the error of each that found nothing.

    Each is told which ids the state records for its provider instance (what
    this spec made), per kind of object, which a lookup of "the latest" of that
    kind leaves out; ``importing`` (address, id) is the object ``import`` is
    adopting, made by this spec as far as the lookups of its kind go, as is
    the object of each ``import:`` block whose resource the state does not
    record yet.  ``resources`` gives each resource type, whose ``made_key``
    names the kind.
    """
    semaphore = asyncio.Semaphore(limit)
    made_keys: dict[str, str | None] = {}
    adopting = [(block.to, str(block.id)) for block in spec.imports if block.to not in state.resources]
    if importing is not None:
        adopting.append(importing)

    def made_key(type_name: str) -> str | None:
        if type_name not in made_keys:
            try:
                made_keys[type_name] = resources(type_name).made_key
            except KeyError:  # a record of a type no platform has now: it made nothing looked up
                made_keys[type_name] = None
        return made_keys[type_name]

    async def read(source: ResourceSpec) -> DataRead | errors.SpecError:
        target = target_of(source, spec)
        async with semaphore:
            try:
                made = _made(state, source.provider, made_key)
                for address, object_id in adopting:
                    resource = spec.resources.get(address)
                    key = made_key(resource.type) if resource is not None else None
                    if resource is not None and resource.provider == source.provider and key is not None:
                        made[key] = made.get(key, frozenset()) | {object_id}
                return await types(source.type).read(clients[source.provider], target, made=made)
            except errors.SpecError as error:  # nothing found, or several where one is needed: located
                return error

    sources = [source for source in spec.data.values() if source.provider in clients]
    results = await asyncio.gather(*(read(source) for source in sources))
    found: dict[str, DataRead] = {}
    problems: list[errors.SpecError] = []
    for source, result in zip(sources, results, strict=True):
        if isinstance(result, errors.SpecError):
            problems.append(result)
        else:
            found[source.address] = result
    return found, problems


def _made(
    state: StateDocument, provider: str, made_key: Callable[[str], str | None]
) -> dict[str, frozenset[str]]:
    """Per output key, the ids of the objects the resources of ``provider`` made, as the state records them.

    Only each record's own object counts (its type's ``made_key``): a refit
    records the dataset it ran on as ``dataset_id``, which it did not make.
    """
    made: dict[str, set[str]] = {}
    for record in state.resources.values():
        if record.provider != provider:
            continue
        key = made_key(record.type)
        value = record.outputs.get(key) if key is not None else None
        if key is not None and isinstance(value, int | str) and not isinstance(value, bool):
            made.setdefault(key, set()).add(str(value))
    return {key: frozenset(ids) for key, ids in made.items()}


def data_named(spec: Spec, found: Mapping[str, DataRead], named: Named) -> None:
    """Add to ``named`` what the data sources referred to found, at the fields that refer to them."""
    for address, resource in spec.resources.items():
        for ref in references(resource.config):
            read = found.get(ref.address)
            if read is not None and read.found is not None:
                named.setdefault(address, {})[ref.path] = read.found


def plan_reads(spec: Spec, found: Mapping[str, DataRead]) -> dict[str, DataSourceRead]:
    """What the plan keeps of each data source read: address, type, provider, summary, outputs."""
    return {
        address: DataSourceRead(
            address=address,
            type=source.type,
            provider=source.provider,
            summary=found[address].summary,
            outputs=dict(found[address].outputs),
        )
        for address, source in spec.data.items()
        if address in found
    }


def check_named(spec: Spec, named: Named, *, types: TypeLookup) -> list[errors.SpecError]:
    """What each resource type finds wrong with the objects its resources name (``ResourceType.check``)."""
    problems: list[errors.SpecError] = []
    planned: dict[str, Any] = {}  # what each resource will make, as far as known before apply
    for address in Graph.from_spec(spec).order():
        resource = spec.resources[address]
        found = named.setdefault(address, {})
        for ref in references(resource.config):
            if ref.address in planned and ref.path not in found:
                found[ref.path] = planned[ref.address]
        rtype, target = types(resource.type), target_of(resource, spec)
        if found:
            problems.extend(rtype.check(target, found))
        made = rtype.planned(target, found)
        if made is not None:
            planned[address] = made
    return problems


def _located(message: str, where: Location, *, hint: str | None = None) -> errors.SpecError:
    return errors.SpecError(message, file=where.file, line=where.line, column=where.column, hint=hint)


def raise_all(problems: list[errors.SpecError], *, order: Mapping[str, int]) -> None:
    """Raise every problem at once, in file order then position; nothing when there is none."""
    if problems:
        problems.sort(key=lambda e: (order.get(e.file, len(order)), e.line, e.column))
        raise errors.SpecErrors(problems)
