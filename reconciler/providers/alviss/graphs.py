"""A remodel's edits against its source graph: what the graph cannot take, the edited graph, the plan's diff.

The edits themselves, and what is wrong with them whatever the graph, are
:mod:`~reconciler.providers.alviss.graph_edits`.  Here the source graph is
known (read at plan time for a source named by id, else at apply): a node or
edge to remove or change must be in it, one to add must not, and every edge
must join nodes of the edited graph.  Each problem is located at its edit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.providers.alviss.graph_edits import Graph, GraphEdits, Path, Problem, edge_text
from reconciler.spec.names import suggest
from reconciler.vocabulary import KNOWN_AFTER_APPLY


@dataclass(frozen=True)
class Source:
    """The source graph as edits see it: nodes by id, edges by (source, target), in the graph's order."""

    nodes: dict[str, dict[str, Any]]
    edges: dict[tuple[str, str], dict[str, Any]]

    @classmethod
    def of(cls, graph: Graph) -> Source | str:
        """The graph read by ids, or why it cannot be (a node without an id, an edge without ends)."""
        nodes: dict[str, dict[str, Any]] = {}
        edges: dict[tuple[str, str], dict[str, Any]] = {}
        for node in graph.get("nodes", []):
            name = node.get("id")
            if name is None or isinstance(name, dict | list):
                return "a node of the graph has no 'id'"
            nodes.setdefault(str(name), dict(node))
        for edge in graph.get("edges", []):
            ends = edge.get("source"), edge.get("target")
            if any(end is None or isinstance(end, dict | list) for end in ends):
                return "an edge of the graph has no 'source' and 'target'"
            edges.setdefault((str(ends[0]), str(ends[1])), dict(edge))
        return cls(nodes, edges)


def problems(edits: GraphEdits, graph: Graph, *, what: str) -> list[Problem]:
    """What the edits ask of ``graph`` (``what`` names it: "model 3's high-level graph") that it lacks."""
    source = Source.of(graph)
    if isinstance(source, str):
        return [Problem((), f"cannot be applied: {source} ({what})", "edit a graph whose nodes have ids")]
    found: list[Problem] = []
    names = list(source.nodes)

    def missing(path: Path, name: str) -> None:
        close = suggest(name, names)
        hint = f"did you mean {close!r}?" if close else f"its nodes: {', '.join(names) or 'none'}"
        found.append(Problem(path, f"names node {name!r}, which is not in {what}", hint))

    nodes, edges = edits.nodes, edits.edges
    for index, name in enumerate(nodes.remove):
        if name not in source.nodes:
            missing(("nodes", "remove", index), name)
    for index, change in enumerate(nodes.change):
        if change.id not in source.nodes:
            missing(("nodes", "change", index, "id"), change.id)
        else:
            for key, value in change.attributes().items():
                if value is None and key not in source.nodes[change.id]:
                    found.append(
                        Problem(
                            ("nodes", "change", index, key),
                            f"removes attribute {key!r}, which node {change.id!r} does not have in {what}",
                            "leave it out",
                        )
                    )
    for index, entry in enumerate(nodes.add):
        if entry.id in source.nodes:
            found.append(
                Problem(
                    ("nodes", "add", index, "id"),
                    f"adds node {entry.id!r}, which {what} has",
                    "use nodes.change to alter it, or choose another id",
                )
            )
    kept = [name for name in names if name not in set(nodes.remove)] + [entry.id for entry in nodes.add]
    if not kept:
        found.append(Problem(("nodes", "remove"), f"removes every node of {what}", "keep at least one node"))
    present = set(kept)
    for index, ends in enumerate(edges.remove):
        if ends.key not in source.edges:
            found.append(
                Problem(
                    ("edges", "remove", index),
                    f"removes edge {edge_text(ends.key)}, which is not in {what}",
                    _edges_hint(ends.key, source),
                )
            )
    for index, edge_change in enumerate(edges.change):
        if edge_change.key not in source.edges:
            found.append(
                Problem(
                    ("edges", "change", index),
                    f"changes edge {edge_text(edge_change.key)}, which is not in {what}",
                    _edges_hint(edge_change.key, source),
                )
            )
            continue
        for key, value in edge_change.attributes().items():
            if value is None and key not in source.edges[edge_change.key]:
                found.append(
                    Problem(
                        ("edges", "change", index, key),
                        f"removes attribute {key!r}, which edge {edge_text(edge_change.key)} does not "
                        f"have in {what}",
                        "leave it out",
                    )
                )
    for index, edge_add in enumerate(edges.add):
        if edge_add.key in source.edges:
            found.append(
                Problem(
                    ("edges", "add", index),
                    f"adds edge {edge_text(edge_add.key)}, which {what} has",
                    "use edges.change to alter its attributes",
                )
            )
        for end in ("source", "target"):
            name = getattr(edge_add, end)
            if name not in present and name not in nodes.remove:
                close = suggest(name, sorted(present))
                hint = f"did you mean {close!r}?" if close else "add the node in nodes.add"
                found.append(
                    Problem(
                        ("edges", "add", index, end),
                        f"names node {name!r}, which is not a node of {what} or of nodes.add",
                        hint,
                    )
                )
    return found


def _edges_hint(key: tuple[str, str], source: Source) -> str:
    near = [edge_text(edge) for edge in source.edges if key[0] in edge or key[1] in edge]
    return f"its edges at these nodes: {', '.join(near)}" if near else "check the node ids of the edge"


def edited(edits: GraphEdits, graph: Graph) -> dict[str, list[dict[str, Any]]]:
    """``graph`` with the edits applied (checked by :func:`problems` first); the source's order kept,
    new nodes and edges after it in the canonical order."""
    removed = set(edits.nodes.remove)
    removed_edges = {entry.key for entry in edits.edges.remove}
    node_changes = {entry.id: entry.attributes() for entry in edits.nodes.change}
    edge_changes = {entry.key: entry.attributes() for entry in edits.edges.change}
    nodes: list[dict[str, Any]] = []
    for node in graph.get("nodes", []):
        name = str(node.get("id"))
        if name not in removed:
            nodes.append(_set(node, node_changes.get(name, {})))
    nodes += [{"id": entry.id, **entry.attributes()} for entry in sorted(edits.nodes.add, key=lambda e: e.id)]
    edges: list[dict[str, Any]] = []
    for edge in graph.get("edges", []):
        key = (str(edge.get("source")), str(edge.get("target")))
        if key in removed_edges or key[0] in removed or key[1] in removed:
            continue
        edges.append(_set(edge, edge_changes.get(key, {})))
    edges += [
        {"source": entry.source, "target": entry.target, **entry.attributes()}
        for entry in sorted(edits.edges.add, key=lambda e: e.key)
    ]
    return {"nodes": nodes, "edges": edges}


def _set(item: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    result = dict(item)
    for key, value in changes.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


# -- the plan's diff -----------------------------------------------------------------------------


def diff_view(edits: GraphEdits, graph: Graph | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """What the plan shows of the edits, as before/after values of ``{"nodes": …, "edges": …}``.

    Before is the source graph's side of each edited node and edge (a changed
    one's touched attributes; a removed node's edges too), after the edited
    side; the renderers show the difference leaf by leaf (``+
    nodes.influencer.type  media``, ``~ nodes.tv.label  TV → TV (linear)``).
    Without the source graph (its model is made by this apply) its side is
    "known after apply".  A node or edge with no attributes shows as ``""``.
    """
    source = Source.of(graph) if graph is not None else None
    known = source if isinstance(source, Source) else None
    before: dict[str, dict[str, Any]] = {"nodes": {}, "edges": {}}
    after: dict[str, dict[str, Any]] = {"nodes": {}, "edges": {}}

    def old_node(name: str) -> dict[str, Any] | None:
        if known is None:
            return None
        return {key: value for key, value in known.nodes.get(name, {}).items() if key != "id"}

    def oldedge_text(key: tuple[str, str]) -> dict[str, Any] | None:
        if known is None:
            return None
        return {name: value for name, value in known.edges.get(key, {}).items() if name not in _ENDS}

    def whole(attributes: dict[str, Any] | None) -> Any:
        return KNOWN_AFTER_APPLY if attributes is None else (attributes or "")

    def touched(old: dict[str, Any] | None, wanted: Mapping[str, Any]) -> dict[str, Any]:
        if old is None:
            return dict.fromkeys(wanted, KNOWN_AFTER_APPLY)
        return {key: old[key] for key in wanted if key in old}

    for name in edits.nodes.remove:
        before["nodes"][name] = whole(old_node(name))
        for key in known.edges if known is not None else ():
            if name in key:
                before["edges"][edge_text(key)] = whole(oldedge_text(key))
    for node in edits.nodes.change:
        wanted = node.attributes()
        if was := touched(old_node(node.id), wanted):
            before["nodes"][node.id] = was
        if now := {key: value for key, value in wanted.items() if value is not None}:
            after["nodes"][node.id] = now
    for added in edits.nodes.add:
        after["nodes"][added.id] = whole(added.attributes())
    for ends in edits.edges.remove:
        before["edges"][edge_text(ends.key)] = whole(oldedge_text(ends.key))
    for edge in edits.edges.change:
        wanted = edge.attributes()
        if was := touched(oldedge_text(edge.key), wanted):
            before["edges"][edge_text(edge.key)] = was
        if now := {key: value for key, value in wanted.items() if value is not None}:
            after["edges"][edge_text(edge.key)] = now
    for new in edits.edges.add:
        after["edges"][edge_text(new.key)] = whole(new.attributes())
    return _pruned(before), _pruned(after)


_ENDS = ("source", "target")


def _pruned(side: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Without the groups that show nothing."""
    return {group: entries for group, entries in side.items() if entries}
