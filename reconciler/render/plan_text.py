"""A plan as text, laid out like Terraform's so a reviewer sees what, why and how big.

Changes are grouped by provider instance, one symbol per action (``+``
create, ``~`` change, ``-/+`` replace, ``>`` resume, ``x`` forget, ``<=`` adopt), each
value as ``before → after``, nested values (training parameters) as a
structured diff from :mod:`reconciler.diff`, the reason code of the rule that
decided it (``reason: inputs_changed``), and the reason chain that links a
change to its root cause.  Every line fits the width: long values are cut
and long chains keep their root cause and their last steps.

The text is built once as rich :class:`~rich.text.Text` lines, so colour is
a rendering choice (``color=True`` for a terminal) and the plain text that
logs, pipes and tests see is the very same content without control
characters.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterable, Mapping
from itertools import groupby
from typing import Any

from rich.text import Text

from reconciler import diff
from reconciler.engine.plan import Change, Plan
from reconciler.vocabulary import KNOWN_AFTER_APPLY, Action

NO_CHANGES = "No changes. The live platforms match the spec."
KNOWN = "(known after apply)"

_WORDS = {
    Action.CREATE: "to create",
    Action.UPDATE: "to change",
    Action.REPLACE: "to replace",
    Action.RESUME: "to resume",
    Action.FORGET: "to forget",
    Action.ADOPT: "to adopt",
}
_LEGEND = {
    Action.CREATE: "create",
    Action.UPDATE: "change",
    Action.REPLACE: "replace",
    Action.RESUME: "resume a running job",
    Action.FORGET: "forget (state only; nothing is deleted)",
    Action.ADOPT: "adopt (found on the platform; recorded, nothing is sent)",
}
_STYLES = {
    Action.CREATE: "green",
    Action.UPDATE: "yellow",
    Action.REPLACE: "magenta",
    Action.RESUME: "cyan",
    Action.FORGET: "red",
    Action.ADOPT: "blue",
}
_INDENT = "      "
_MIN_WIDTH, _MAX_WIDTH = 60, 200


def value_text(value: Any, *, limit: int = 80) -> str:
    """One value as a person writes it in YAML flow style, cut to ``limit`` characters."""
    if value is KNOWN_AFTER_APPLY:
        return KNOWN
    if isinstance(value, list | tuple):
        text = "[" + ", ".join(value_text(item, limit=limit) for item in value) + "]"
    elif isinstance(value, Mapping):
        text = "{" + ", ".join(f"{key}: {value_text(item, limit=limit)}" for key, item in value.items()) + "}"
    elif value is None or value is diff.ABSENT:
        text = "-"
    else:
        return cut(str(value), limit, middle=True)
    return cut(text, limit)


def cut(text: str, limit: int, *, middle: bool = False) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis.

    ``middle`` keeps the end too: a file label's size and hash outlive its directory.
    """
    limit = max(limit, 8)
    if len(text) <= limit:
        return text
    if not middle:
        return text[: limit - 1] + "…"
    note = text.rfind(" (")
    if text.endswith(")") and note > 0 and len(text) - note <= limit - 4:
        tail = text[note:]
        return text[: limit - 1 - len(tail)] + "…" + tail
    head = (limit - 1) // 3
    return text[:head] + "…" + text[len(text) - (limit - 1 - head) :]


def _styled(value: Any, limit: int) -> Text:
    shown = value_text(value, limit=limit)
    text = Text(shown)
    text.highlight_words([KNOWN], style="dim italic")
    return text


def _pair(before: Any, after: Any, *, limit: int) -> Text:
    """``before → after``, each side getting its share of ``limit``."""
    side = max((limit - 3) // 2, 8)
    left, right = value_text(before, limit=limit), value_text(after, limit=limit)
    if len(left) + len(right) + 3 > limit:
        room = limit - 3 - min(len(left), side)
        left, right = cut(left, limit - 3 - min(len(right), room)), cut(right, room)
    shown = Text()
    shown.append(_styled(left, limit))
    shown.append(" → ", style="bold")
    shown.append(_styled(right, limit))
    return shown


def _values(change: Change, width: int) -> list[Text]:
    forget = change.action is Action.FORGET
    keys = list(dict.fromkeys([*change.before, *change.after] if forget else [*change.after, *change.before]))
    if not keys:
        return []
    pad = max(len(key) for key in keys)
    limit = width - len(_INDENT) - pad - 2
    lines: list[Text] = []
    for key in keys:
        before = change.before.get(key, diff.ABSENT)
        after = change.after.get(key, before)
        label = Text(_INDENT + key.ljust(pad) + "  ")
        if forget:
            lines.append(label + _styled(before, limit))
        elif (
            isinstance(after, Mapping)
            and (before is diff.ABSENT or isinstance(before, Mapping))
            and before != after
        ):
            lines.append(Text(_INDENT + key))
            lines.extend(_nested(before if isinstance(before, Mapping) else {}, after, width=width))
        elif before is not diff.ABSENT and before != after:
            lines.append(label + _pair(before, after, limit=limit))
        else:
            lines.append(label + _styled(after, limit))
    return lines


def _nested(before: Mapping[str, Any], after: Mapping[str, Any], *, width: int) -> list[Text]:
    """A nested value as one line per leaf, marked ``+``/``-``/``~`` where it changes."""
    leaves = diff.structured(before, after)
    pad = max(len(leaf.path) for leaf in leaves)
    limit = width - len(_INDENT) - 4 - pad - 2
    marks = {"same": " ", "changed": "~", "added": "+", "removed": "-"}
    lines = []
    for leaf in leaves:
        line = Text(_INDENT + "  ")
        line.append(
            marks[leaf.kind], style={"~": "yellow", "+": "green", "-": "red"}.get(marks[leaf.kind], "")
        )
        line.append(" " + leaf.path.ljust(pad) + "  ")
        if leaf.kind == "changed":
            line.append(_pair(leaf.before, leaf.after, limit=limit))
        else:
            line.append(_styled(leaf.before if leaf.kind == "removed" else leaf.after, limit))
        lines.append(line)
    return lines


def _chain_text(steps: list[tuple[str, str]], width: int) -> str:
    """``root (address) → b (address) → c``; when too wide, the middle steps lose their addresses,
    then the middle steps give way to ``…`` (the root cause and the last steps stay)."""
    budget = width - len(_INDENT) - len("why: ")
    named = [f"{summary} ({address})" if address else summary for summary, address in steps]
    text = " → ".join(named)
    if len(text) > budget:
        named = [named[0], *(summary for summary, _ in steps[1:])]
        text = " → ".join(named)
    kept = len(named) - 1
    while len(text) > budget and kept > 1:
        kept -= 1
        text = " → ".join([named[0], "…", *named[-kept:]])
    return cut(text, budget)


def _why(plan: Plan, change: Change, width: int) -> list[Text]:
    lines = []
    chain = plan.chain(change.address)
    if len(chain) > 1:
        steps = [(step.summary or step.action.value, step.address) for step in chain[:-1]]
        steps.append((change.summary or change.action.value, ""))
        lines.append(Text(_INDENT + "why: ", style="bold") + Text(_chain_text(steps, width)))
    lines.append(Text(cut(f"{_INDENT}reason: {change.reason.value}", width), style="dim"))
    for reason in change.reasons:
        lines.append(Text(cut(f"{_INDENT}- {reason}", width), style="dim"))
    return lines


def _header(change: Change, width: int) -> Text:
    style = _STYLES.get(change.action, "")
    line = Text("  ")
    line.append(change.action.symbol, style=f"bold {style}")
    line.append(" ")
    line.append(change.address, style="bold")
    if change.summary:
        line.append(cut(f": {change.summary}", max(width - len(line.plain), 8)))
    return line


def _legend(actions: Iterable[Action]) -> Text:
    present = set(actions)
    line = Text("  ")
    for action in (a for a in _LEGEND if a in present):
        line.append(action.symbol, style=f"bold {_STYLES[action]}")
        line.append(f" {_LEGEND[action]}   ")
    line.rstrip()
    return line


def _data_lines(plan: Plan, width: int) -> list[Text]:
    """What each data source read (``data.alviss.model.latest: model 12 (SWE/all/all, completed)``)."""
    if not plan.data:
        return []
    lines = [Text("Data sources read:")]
    for read in plan.data:
        line = Text("  ")
        line.append(read.address, style="bold")
        line.append(cut(f": {read.summary}", max(width - len(line.plain), 8)))
        lines.append(line)
    lines.append(Text(""))
    return lines


def _rejected_lines(plan: Plan, width: int) -> list[Text]:
    """The jobs kept rejected by their quality gates, and which check each misses."""
    if not plan.rejected:
        return []
    lines = [Text("Rejected by quality gates (kept as they are; what depends on them is held back):")]
    for change in plan.rejected:
        line = Text("  ")
        line.append(change.address, style="bold red")
        missed = change.reasons[0].removeprefix("rejected by its checks: ") if change.reasons else ""
        line.append(cut(f": {missed}", max(width - len(line.plain), 8)))
        lines.append(line)
    lines.append(Text("  a new job comes when their inputs change, or with --replace ADDRESS"))
    lines.append(Text(""))
    return lines


def plan_lines(plan: Plan, *, width: int = 100) -> list[Text]:
    """The plan as styled lines, none wider than ``width``."""
    width = min(max(width, _MIN_WIDTH), _MAX_WIDTH)
    changes = plan.actionable
    read = [*_data_lines(plan, width), *_rejected_lines(plan, width)]
    if not changes and not plan.moved:
        return [*read, Text(NO_CHANGES)]
    lines = [*read, Text("reconciler will perform these actions:")]
    if changes:
        lines.append(_legend(c.action for c in changes))
    lines.append(Text(""))
    if plan.moved:
        lines.append(Text("# moved blocks (the records follow; nothing is sent)", style="bold"))
        for move in plan.moved:
            line = f"  {move.source} has moved to {move.to}"
            if len(line) <= width:
                lines.append(Text(line))
            else:  # an address is never cut: it is what the reviewer checks
                lines.append(Text(f"  {move.source}"))
                lines.append(Text(f"{_INDENT}has moved to {move.to}"))
        lines.append(Text(""))
    for provider, group in groupby(sorted(changes, key=lambda c: c.provider), key=lambda c: c.provider):
        described = plan.providers.get(provider)
        title = f"# {provider}" + (f" ({described})" if described else "")
        lines.append(Text(cut(title, width), style="bold"))
        for change in group:
            lines.append(_header(change, width))
            lines.extend(_values(change, width))
            lines.extend(_why(plan, change, width))
            lines.append(Text(""))
    lines.append(Text(summary_line(plan.counts(), moved=len(plan.moved)), style="bold"))
    return lines


def render_plan(plan: Plan, *, color: bool = False, width: int | None = None) -> str:
    """The whole plan as text; ``No changes.`` when there is nothing to do.

    ``width`` defaults to the terminal's (100 without one); ``color`` adds ANSI styles.
    """
    if width is None:
        width = shutil.get_terminal_size((100, 24)).columns
    lines = plan_lines(plan, width=width)
    if not color:
        return "\n".join(line.plain for line in lines)
    from rich.console import Console  # only for colours: the plain text is the lines' own

    buffer = io.StringIO()
    console = Console(
        file=buffer, force_terminal=True, color_system="standard", width=_MAX_WIDTH, highlight=False
    )
    for line in lines:
        console.print(line, soft_wrap=True)
    return buffer.getvalue().rstrip("\n")


def summary_line(counts: Mapping[Action, int], *, moved: int = 0) -> str:
    """``Plan: 1 to create, …``; adoptions and moves are counted only when there are some."""
    parts = [
        f"{counts.get(action, 0)} {word}"
        for action, word in _WORDS.items()
        if action is not Action.ADOPT or counts.get(action, 0)
    ]
    if moved:
        parts.append(f"{moved} to move")
    return "Plan: " + ", ".join(parts) + "."
