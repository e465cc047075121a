"""Checking the references between resources: they exist, have the right type, and form no cycle.

The engine builds its dependency graph from the same references
(:func:`reconciler.spec.refs.references` plus ``depends_on``), so every
problem it could meet there is caught here first, at the place the reference
was written, with the closest valid address as a suggestion.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from reconciler.errors import SpecError
from reconciler.spec import refs
from reconciler.spec.document import Location, ResourceSpec
from reconciler.spec.messages import display_path, spec_error
from reconciler.spec.names import parse_instance, suggest

__all__ = ["Quote", "check_references", "resource_references"]

# How to show the reference written at (resource address, config path) without leaking a secret.
Quote = Callable[[str, tuple[str | int, ...], str], str]


@dataclass(frozen=True)
class _Edge:
    target: str
    location: Location


def resource_references(resource: ResourceSpec) -> Iterator[refs.Reference]:
    """The references in the resource's configuration, then its ``depends_on``."""
    yield from refs.references(resource.config)
    for index, address in enumerate(resource.depends_on):
        yield refs.Reference(path=("depends_on", index), address=address, allowed=())


def _last_part(address: str) -> str:
    """The name (with its key) of an address, for "did you mean" by name alone."""
    try:
        parsed = parse_instance(address)
    except ValueError:
        return address.rsplit(".", 1)[-1]
    return parsed.name + (f"[{parsed.key}]" if parsed.key is not None else "")


def _closest(address: str, candidates: list[str]) -> str | None:
    found = suggest(address, candidates)
    if found is None:
        by_name = {_last_part(candidate): candidate for candidate in candidates}
        name = suggest(_last_part(address), by_name)
        found = by_name[name] if name is not None else None
    return found


def _instance_hint(address: str, wanted: str, templates: Mapping[str, list[str]]) -> str | None:
    """For a reference to a resource with for_each: which of its instances to name instead."""
    instances = templates.get(wanted)
    if not instances:
        return None
    key = None
    with contextlib.suppress(ValueError):
        key = parse_instance(address).key
    same = [name for name in instances if key is not None and name.endswith(f"[{key}]")]
    example = same[0] if same else instances[0]
    return f"{wanted} has for_each: name one of its instances, e.g. {example!r}"


def check_references(
    resources: Mapping[str, ResourceSpec],
    *,
    known: Mapping[str, str],
    quote: Quote,
    data: Mapping[str, ResourceSpec] | None = None,
    templates: Mapping[str, list[str]] | None = None,
) -> list[SpecError]:
    """Problems with the references of ``resources``; ``known`` maps every declared address to its type.

    A data source (in ``data`` and ``known``, ``data.alviss.model.x`` of type
    ``alviss.model``) may be referred to wherever its type is allowed.
    ``templates`` maps each resource with for_each to its instances, so a
    reference to the resource itself is told which instance to name.
    """
    targets = {**resources, **(data or {})}
    errors: list[SpecError] = []
    edges: dict[str, list[_Edge]] = {}
    for address, resource in resources.items():
        edges[address] = []
        for ref in resource_references(resource):
            where = resource.field_locations.get(ref.path, resource.location)
            field = display_path(ref.path)
            shown = quote(address, ref.path, ref.address)
            if ref.address not in known:
                others = [a for a in known if a != address]
                allowed = [a for a in others if not ref.allowed or known[a] in ref.allowed]
                close = _closest(ref.address, allowed or others)
                hint = _instance_hint(address, ref.address, templates or {})
                if hint is None:
                    hint = f"did you mean {close!r}?" if close else None
                errors.append(
                    spec_error(
                        f"{address}: {field!r} refers to {shown}, which is not in the spec", where, hint=hint
                    )
                )
            elif ref.allowed and known[ref.address] not in ref.allowed:
                expected = " or ".join(ref.allowed)
                message = (
                    f"{address}: {field!r} must refer to a resource of type {expected},"
                    f" not {shown} (type {known[ref.address]})"
                )
                errors.append(spec_error(message, where))
            else:
                other = targets.get(ref.address)
                if (
                    ref.allowed
                    and other is not None
                    and other.platform == resource.platform
                    and other.provider != resource.provider
                ):
                    # Ids are per provider instance (an Alviss dataset id means nothing in another project).
                    message = (
                        f"{address} (provider {resource.provider}): {field!r} refers to {shown},"
                        f" which belongs to provider {other.provider}"
                    )
                    hint = f"refer to a resource of provider {resource.provider}, or give an id"
                    errors.append(spec_error(message, where, hint=hint))
                edges[address].append(_Edge(ref.address, where))
    errors.extend(_cycles(edges))
    return errors


def _cycles(edges: Mapping[str, list[_Edge]]) -> list[SpecError]:
    """One error per distinct cycle, at the reference that closes it (iterative DFS, spec order)."""
    errors: list[SpecError] = []
    reported: set[frozenset[str]] = set()
    done: set[str] = set()
    for start in edges:
        if start in done:
            continue
        path = [start]
        stack: list[tuple[str, Iterator[_Edge]]] = [(start, iter(edges[start]))]
        while stack:
            node, pending = stack[-1]
            for edge in pending:
                if edge.target in path:
                    ring = path[path.index(edge.target) :]
                    if frozenset(ring) not in reported:
                        reported.add(frozenset(ring))
                        shown = " → ".join([node, *ring[:-1], node])  # ring ends at node, the top of the path
                        errors.append(spec_error(f"{node}: reference cycle {shown}", edge.location))
                elif edge.target not in done:
                    path.append(edge.target)
                    stack.append((edge.target, iter(edges.get(edge.target, []))))
                    break
            else:
                done.add(node)
                path.pop()
                stack.pop()
    return errors
