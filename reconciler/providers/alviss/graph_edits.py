"""Edits to a remodel's source graph: nodes and edges added, removed or changed, as the spec declares them.

Seed 001's remodel fetches an existing model's graph (high-level ``Graph`` or
low-level ``GraphInstance``) and posts it to ``/build/model`` "where possibly
different modeling assumptions are made": those assumptions are edits to the
graph, written in the spec (``edits: {nodes: {add, remove, change}, edges:
{add, remove, change}}``) and applied to the source graph when the remodel
is built.

The vendor's pages show a graph only as ``{"nodes": [...], "edges": [...]}``;
that a node is known by its ``id`` and an edge by its ``source`` and
``target`` is INFERRED (the emulator's shapes).  Every other key of a node or
an edge is an attribute, passed through as written.

Here, what is wrong with the edits whatever the graph (``validate``, each at
its entry): an entry given twice, a node both added and removed, an edge
naming a node the edits remove, a change that says nothing.  What the source
graph cannot take is :mod:`~reconciler.providers.alviss.graphs`.  The
canonical form (the remodel's identity) sorts every list, so the same edits
written in another order are the same remodel.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails

from reconciler.spec.messages import hinted

Path = tuple[str | int, ...]
Graph = Mapping[str, list[dict[str, Any]]]


def _id_text(value: Any) -> Any:
    """A node id written as a number (``3``) is the text ``"3"``: node ids are compared as text."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


NodeId = Annotated[str, BeforeValidator(_id_text), Field(min_length=1)]


def _plain(value: Any) -> Any:
    """An attribute value as JSON (a YAML date becomes its ISO text)."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    isoformat = getattr(value, "isoformat", None)
    return isoformat() if callable(isoformat) else str(value)


class _Attributed(BaseModel):
    """An entry whose other keys are the node's or edge's attributes (free-form, as the graph holds them)."""

    model_config = ConfigDict(extra="allow")

    def attributes(self) -> dict[str, Any]:
        return {key: _plain(value) for key, value in (self.model_extra or {}).items()}


class NodeAdd(_Attributed):
    """A node added to the graph: its ``id`` and its attributes (``type``, ``label``, …)."""

    id: NodeId = Field(description="The new node's id (not already in the source graph).")


class NodeChange(_Attributed):
    """Attributes set on a node of the source graph; an attribute given as null is removed."""

    id: NodeId = Field(description="The id of a node of the source graph.")


class EdgeEnds(BaseModel):
    """An edge of the graph, known by the nodes it joins."""

    model_config = ConfigDict(extra="forbid")

    source: NodeId
    target: NodeId

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.target)


class EdgeAdd(_Attributed):
    """An edge added to the graph: the nodes it joins and its attributes."""

    source: NodeId
    target: NodeId

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.target)


class EdgeChange(EdgeAdd):
    """Attributes set on an edge of the source graph; an attribute given as null is removed."""


class NodeEdits(BaseModel):
    """What happens to the graph's nodes."""

    model_config = ConfigDict(extra="forbid")

    add: list[NodeAdd] = Field(default_factory=list, description="New nodes: {id, attributes…}.")
    remove: list[NodeId] = Field(
        default_factory=list, description="Ids of nodes to remove (their edges go with them)."
    )
    change: list[NodeChange] = Field(
        default_factory=list, description="{id, attributes to set…}; an attribute given as null is removed."
    )


class EdgeEdits(BaseModel):
    """What happens to the graph's edges."""

    model_config = ConfigDict(extra="forbid")

    add: list[EdgeAdd] = Field(default_factory=list, description="New edges: {source, target, attributes…}.")
    remove: list[EdgeEnds] = Field(default_factory=list, description="Edges to remove: {source, target}.")
    change: list[EdgeChange] = Field(
        default_factory=list,
        description="{source, target, attributes to set…}; an attribute given as null is removed.",
    )


@dataclass(frozen=True)
class Problem:
    """One bad edit: where it is (a path under the resource's config), what is wrong, what to do."""

    path: Path
    sentence: str
    hint: str


def edge_text(key: tuple[str, str]) -> str:
    return f"{key[0]} → {key[1]}"


class GraphEdits(BaseModel):
    """Edits to the source graph, applied before the graph is posted to ``/build/model``."""

    model_config = ConfigDict(extra="forbid")

    nodes: NodeEdits = Field(default_factory=NodeEdits)
    edges: EdgeEdits = Field(default_factory=EdgeEdits)

    @model_validator(mode="after")
    def _consistent(self) -> GraphEdits:
        found = self.conflicts()
        if found:
            raise ValidationError.from_exception_data(
                "GraphEdits",
                [
                    InitErrorDetails(type=hinted(item.sentence, item.hint), loc=item.path, input=None)
                    for item in found
                ],
            )
        return self

    @property
    def empty(self) -> bool:
        nodes, edges = self.nodes, self.edges
        return not (nodes.add or nodes.remove or nodes.change or edges.add or edges.remove or edges.change)

    def conflicts(self) -> list[Problem]:
        """What is wrong with the edits whatever the source graph (paths relative to these edits)."""
        found: list[Problem] = []
        nodes, edges = self.nodes, self.edges
        added = _first(
            ((entry.id, index) for index, entry in enumerate(nodes.add)),
            ("nodes", "add"),
            "id",
            "adds node {} a second time",
            found,
        )
        removed = _first(
            ((name, index) for index, name in enumerate(nodes.remove)),
            ("nodes", "remove"),
            None,
            "removes node {} a second time",
            found,
        )
        changed = _first(
            ((entry.id, index) for index, entry in enumerate(nodes.change)),
            ("nodes", "change"),
            "id",
            "changes node {} a second time",
            found,
        )
        for name, index in added.items():
            if name in removed:
                found.append(
                    Problem(
                        ("nodes", "add", index, "id"),
                        f"adds node {name!r}, which nodes.remove[{removed[name]}] removes",
                        "to alter a node of the source graph use nodes.change; to rename one, remove it and "
                        "add a node with another id",
                    )
                )
        for name, index in changed.items():
            if name in removed:
                found.append(
                    Problem(
                        ("nodes", "change", index, "id"),
                        f"changes node {name!r}, which nodes.remove[{removed[name]}] removes",
                        "keep the node and change it, or remove it",
                    )
                )
            elif name in added:
                found.append(
                    Problem(
                        ("nodes", "change", index, "id"),
                        f"changes node {name!r}, which nodes.add[{added[name]}] adds",
                        "give the new node its attributes in nodes.add",
                    )
                )
        for index, change in enumerate(nodes.change):
            if not change.attributes():
                found.append(
                    Problem(
                        ("nodes", "change", index),
                        f"says nothing to change on node {change.id!r}",
                        "give the attributes to set, e.g. {id: tv, label: TV}; an attribute given as null "
                        "is removed",
                    )
                )
        edge_added = _first(
            ((entry.key, index) for index, entry in enumerate(edges.add)),
            ("edges", "add"),
            None,
            "adds edge {} a second time",
            found,
            shown=edge_text,
        )
        edge_removed = _first(
            ((entry.key, index) for index, entry in enumerate(edges.remove)),
            ("edges", "remove"),
            None,
            "removes edge {} a second time",
            found,
            shown=edge_text,
        )
        edge_changed = _first(
            ((entry.key, index) for index, entry in enumerate(edges.change)),
            ("edges", "change"),
            None,
            "changes edge {} a second time",
            found,
            shown=edge_text,
        )
        for key, index in edge_added.items():
            if key in edge_removed:
                found.append(
                    Problem(
                        ("edges", "add", index),
                        f"adds edge {edge_text(key)}, which edges.remove[{edge_removed[key]}] removes",
                        "leave both out to keep the edge, or use edges.change to alter its attributes",
                    )
                )
        for key, index in edge_changed.items():
            if key in edge_removed:
                found.append(
                    Problem(
                        ("edges", "change", index),
                        f"changes edge {edge_text(key)}, which edges.remove[{edge_removed[key]}] removes",
                        "keep the edge and change it, or remove it",
                    )
                )
            elif key in edge_added:
                found.append(
                    Problem(
                        ("edges", "change", index),
                        f"changes edge {edge_text(key)}, which edges.add[{edge_added[key]}] adds",
                        "give the new edge its attributes in edges.add",
                    )
                )
        for index, edge_change in enumerate(edges.change):
            if not edge_change.attributes():
                found.append(
                    Problem(
                        ("edges", "change", index),
                        f"says nothing to change on edge {edge_text(edge_change.key)}",
                        "give the attributes to set; an attribute given as null is removed",
                    )
                )
        for group, entries in (("add", edges.add), ("change", edges.change)):
            for index, entry in enumerate(entries):
                for end in ("source", "target"):
                    name = getattr(entry, end)
                    if name in removed:
                        found.append(
                            Problem(
                                ("edges", group, index, end),
                                f"names node {name!r}, which nodes.remove[{removed[name]}] removes",
                                "join nodes the edited graph keeps, or keep the node",
                            )
                        )
        return found

    def canonical(self) -> dict[str, Any] | None:
        """The edits in one order (the remodel's identity); None when there are none."""
        if self.empty:
            return None
        nodes, edges = self.nodes, self.edges
        form: dict[str, Any] = {}
        node_form = {
            "add": [{"id": e.id, **e.attributes()} for e in sorted(nodes.add, key=lambda e: e.id)],
            "remove": sorted(nodes.remove),
            "change": [{"id": e.id, **e.attributes()} for e in sorted(nodes.change, key=lambda e: e.id)],
        }
        edge_form = {
            "add": [
                {"source": e.source, "target": e.target, **e.attributes()}
                for e in sorted(edges.add, key=lambda e: e.key)
            ],
            "remove": [
                {"source": e.source, "target": e.target} for e in sorted(edges.remove, key=lambda e: e.key)
            ],
            "change": [
                {"source": e.source, "target": e.target, **e.attributes()}
                for e in sorted(edges.change, key=lambda e: e.key)
            ],
        }
        for name, part in (("nodes", node_form), ("edges", edge_form)):
            kept = {key: value for key, value in part.items() if value}
            if kept:
                form[name] = kept
        return form


def _first(
    items: Iterable[tuple[Any, int]],
    where: Path,
    field: str | None,
    sentence: str,
    found: list[Problem],
    *,
    shown: Any = repr,
) -> dict[Any, int]:
    """The index of each key's first entry; a later entry of the same key is a problem."""
    first: dict[Any, int] = {}
    for key, index in items:
        if key in first:
            path = (*where, index, field) if field else (*where, index)
            hint = f"give it once ({'.'.join(str(part) for part in where)}[{first[key]}] has it already)"
            found.append(Problem(path, sentence.format(shown(key)), hint))
        else:
            first.setdefault(key, index)
    return first
