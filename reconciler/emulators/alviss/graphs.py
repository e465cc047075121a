"""Model graphs at the two levels the Alviss API exposes.

A model's ``GraphInstance`` is a low-level graph (each media channel expanded
into its adstock and saturation steps) made from a high-level ``Graph`` (one
node per driver).  The remodel example fetches either level and posts it back
to ``/build/model``, so the emulator must accept both: a graph that holds any
low-level step (an ``adstock`` or ``saturation`` node) is low-level already
and is kept as it is, so an edited low-level graph (a channel's steps
removed: "no carry-over for TV") is built as posted, not expanded again.

The node and edge shapes (``id``/``type``/attributes, ``source``/``target``)
are the emulator's own: the vendor's pages show only ``nodes`` and ``edges``.
"""

from __future__ import annotations

from typing import Any

Graph = dict[str, list[dict[str, Any]]]


def default_graph() -> Graph:
    """The high-level graph of the seeded models."""
    drivers = [
        {"id": "tv", "type": "media", "label": "TV"},
        {"id": "search", "type": "media", "label": "Search"},
        {"id": "social", "type": "media", "label": "Social"},
        {"id": "price", "type": "price", "label": "Price"},
        {"id": "base", "type": "base", "label": "Base demand"},
    ]
    nodes = [*drivers, {"id": "sales", "type": "kpi", "label": "UnitsSold"}]
    edges = [{"source": "tv", "target": "search"}] + [
        {"source": node["id"], "target": "sales"} for node in drivers
    ]
    return {"nodes": nodes, "edges": edges}


#: The node types only a low-level graph holds.
LOW_LEVEL_TYPES = frozenset({"adstock", "saturation"})


def lower(graph: Graph) -> Graph:
    """The low-level version of ``graph``: media nodes gain adstock and saturation steps."""
    if any(node.get("type") in LOW_LEVEL_TYPES for node in graph["nodes"]):
        return {"nodes": [dict(node) for node in graph["nodes"]], "edges": [dict(e) for e in graph["edges"]]}
    ids = {str(node["id"]) for node in graph["nodes"]}
    expand = {
        str(node["id"])
        for node in graph["nodes"]
        if node.get("type") == "media" and f"{node['id']}_adstock" not in ids
    }
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    for node in graph["nodes"]:
        nodes.append(dict(node))
        name = str(node["id"])
        if name in expand:
            nodes.append({"id": f"{name}_adstock", "type": "adstock", "decay": 0.5})
            nodes.append({"id": f"{name}_saturation", "type": "saturation", "half_effect": 1.0})
            edges.append({"source": name, "target": f"{name}_adstock"})
            edges.append({"source": f"{name}_adstock", "target": f"{name}_saturation"})
    for edge in graph["edges"]:
        source = str(edge["source"])
        moved = dict(edge)
        if source in expand:
            moved["source"] = f"{source}_saturation"
        edges.append(moved)
    return {"nodes": nodes, "edges": edges}


def problems(graph: Graph) -> list[str]:
    """What makes ``graph`` unusable for a model (duplicate nodes or edges, dangling edges)."""
    found: list[str] = []
    ids: set[str] = set()
    for node in graph["nodes"]:
        name = str(node["id"])
        if name in ids:
            found.append(f"duplicate node id '{name}'")
        ids.add(name)
    if not ids:
        found.append("the graph has no nodes")
    edges: set[tuple[str, str]] = set()
    for edge in graph["edges"]:
        for end in ("source", "target"):
            if str(edge[end]) not in ids:
                found.append(f"edge {end} '{edge[end]}' is not a node")
        ends = (str(edge["source"]), str(edge["target"]))
        if ends in edges:
            found.append(f"duplicate edge '{ends[0]}' -> '{ends[1]}'")
        edges.add(ends)
    return found
