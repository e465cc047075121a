"""The dependency graph as an SVG picture, laid out here: no layout engine, nothing fetched.

The page must be one self-contained file that draws without a network, and
the graphs are small layered DAGs (uploads → dataset → refit → attribution →
set), so a layered layout written here does the job: each resource goes in
the column after the deepest of its dependencies (longest path), and each
column is ordered by the mean row of what it depends on (one barycentre
sweep), which keeps a market's chain on one line.  A graph-layout library
would bring a native toolchain (Graphviz) or a JavaScript runtime into the
page for what these forty lines do.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import escape

from reconciler.report.view import GraphView
from reconciler.spec.names import parse_instance

NODE_WIDTH = 200
NODE_HEIGHT = 36
COLUMN_GAP = 32
ROW_GAP = 12
MARGIN = 10
#: Characters of a label that fit in a node (the full address is the node's tooltip).
LABEL_CHARS = 26


@dataclass(frozen=True)
class Placed:
    address: str
    status: str
    column: int
    row: float

    @property
    def x(self) -> int:
        return MARGIN + self.column * (NODE_WIDTH + COLUMN_GAP)

    @property
    def y(self) -> int:
        return MARGIN + round(self.row * (NODE_HEIGHT + ROW_GAP))


def layout(graph: GraphView) -> list[Placed]:
    """Each node's column (longest path from a root) and row (the mean row of its dependencies,
    pushed down as little as needed so that no two nodes of a column overlap)."""
    depends: dict[str, list[str]] = {address: [] for address, _ in graph.nodes}
    for dependency, dependent in graph.edges:
        if dependency in depends and dependent in depends and dependency != dependent:
            depends[dependent].append(dependency)
    column: dict[str, int] = {}

    def depth(address: str, seen: frozenset[str]) -> int:
        if address not in column:
            deps = [d for d in depends[address] if d not in seen]  # a loaded spec has no cycle; be safe
            column[address] = 1 + max((depth(d, seen | {address}) for d in deps), default=-1)
        return column[address]

    for address in depends:
        depth(address, frozenset())
    order = {address: index for index, address in enumerate(depends)}
    row: dict[str, float] = {}
    placed: list[Placed] = []
    status = dict(graph.nodes)
    for current in range(max(column.values(), default=-1) + 1):
        members = [address for address in depends if column[address] == current]
        wanted: dict[str, float] = {}
        for address in members:
            rows = [row[d] for d in depends[address] if d in row]
            wanted[address] = sum(rows) / len(rows) if rows else -1.0
        members.sort(key=lambda address: (wanted[address], order[address]))
        last = -1.0
        for address in members:
            row[address] = max(wanted[address], last + 1.0)
            last = row[address]
            placed.append(Placed(address, status[address], current, row[address]))
    return placed


def _labels(address: str) -> tuple[str, str]:
    """The node's two lines: the address inside its module, and the module path (shortened)."""
    try:
        parsed = parse_instance(address)
    except ValueError:
        return _cut(address), ""
    return _cut(parsed.local), _cut(parsed.prefix.rstrip("."))


def _cut(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else "…" + text[-(LABEL_CHARS - 1) :]


def render_svg(graph: GraphView, *, clean: Callable[[str], str] = str, title: str = "") -> str:
    """The picture as an inline ``<svg>`` element (every text escaped after ``clean``)."""
    nodes = layout(graph)
    if not nodes:
        return ""
    where = {node.address: node for node in nodes}
    width = max(node.x for node in nodes) + NODE_WIDTH + MARGIN
    height = max(node.y for node in nodes) + NODE_HEIGHT + MARGIN
    parts: list[str] = [
        f'<svg class="graph" xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}">',
        f"<title>{escape(clean(title or 'dependency graph'))}</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrowhead"/>'
        "</marker></defs>",
    ]
    for dependency, dependent in graph.edges:
        source, target = where.get(dependency), where.get(dependent)
        if source is None or target is None:
            continue
        x1, y1 = source.x + NODE_WIDTH, source.y + NODE_HEIGHT // 2
        x2, y2 = target.x, target.y + NODE_HEIGHT // 2
        bend = (x2 - x1) / 2
        parts.append(
            f'<path class="edge" d="M{x1},{y1} C{x1 + bend:.0f},{y1} {x2 - bend:.0f},{y2} {x2},{y2}" '
            'marker-end="url(#arrow)"/>'
        )
    for node in nodes:
        address = clean(node.address)
        status = clean(node.status)
        local, module = _labels(address)
        if module and len(module) + len(status) + 3 > LABEL_CHARS + 4:
            module = "…" + module[-max(LABEL_CHARS + 1 - len(status) - 3, 4) :]
        first, second = local, f"{module} · {status}" if module else status
        parts.append(
            f'<g class="node status-{_css(status)}" data-address="{escape(address)}">'
            f"<title>{escape(address)}: {escape(status)}</title>"
            f'<rect x="{node.x}" y="{node.y}" width="{NODE_WIDTH}" height="{NODE_HEIGHT}" rx="6"/>'
            f'<text x="{node.x + 8}" y="{node.y + 15}">{escape(first)}</text>'
            f'<text class="sub" x="{node.x + 8}" y="{node.y + 29}">{escape(second)}</text>'
            "</g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _css(word: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in word)


def css_class(word: str) -> str:
    """A status word as a CSS class suffix (``not in spec`` → ``not-in-spec``)."""
    return _css(word)


__all__: Sequence[str] = ("css_class", "layout", "render_svg")
