"""The plan as markdown, for a pull-request comment: a summary table first, then details.

A reviewer sees at once how many resources change and how, then each change
with its reasons and values in a collapsible block, so a large plan stays
readable in a comment.  Values are cut short and table cells escaped so a
value can never break the table.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler import diff
from reconciler.engine.plan import Change, Plan
from reconciler.render.diagnostics import TARGETING_TITLE
from reconciler.vocabulary import Action, KnownAfterApply, is_known

TITLE = "### reconciler plan"
_MAX_VALUE = 120
_WORDS = (
    (Action.CREATE, "create"),
    (Action.UPDATE, "change"),
    (Action.REPLACE, "replace"),
    (Action.RESUME, "resume"),
    (Action.FORGET, "forget"),
    (Action.ADOPT, "adopt"),
)


def _value(value: Any) -> str:
    if isinstance(value, KnownAfterApply):
        return "(known after apply)"
    if isinstance(value, list | tuple):
        text = "[" + ", ".join(_value(item) for item in value) + "]"
    elif isinstance(value, Mapping):
        text = "{" + ", ".join(f"{key}: {_value(item)}" for key, item in value.items()) + "}"
    else:
        text = str(value)
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 1] + "…"


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    cleaned = text.replace("`", "'")
    return f"`{cleaned}`"


def _details(change: Change, plan: Plan) -> list[str]:
    lines = [
        f"<details><summary><code>{_html(change.action.symbol)}</code> <b>{change.address}</b>: "
        f"{change.summary or change.action.value}</summary>",
        "",
    ]
    if change.caused_by:
        chain = " → ".join(step.address for step in plan.chain(change.address))
        lines.append(f"why: {chain}")
        lines.append("")
    lines.append(f"reason: `{change.reason.value}`")
    lines.append("")
    lines.extend(f"- {reason}" for reason in change.reasons)
    keys = list(dict.fromkeys([*change.before, *change.after]))
    if keys:
        lines += ["", "| field | before | after |", "|---|---|---|"]
        for key in keys:
            if _nested(change.before.get(key), change.after.get(key)):
                lines.extend(_leaf_rows(key, change.before.get(key), change.after[key]))
                continue
            before = _value(change.before[key]) if key in change.before else ""
            after = _value(change.after[key]) if key in change.after else ""
            if not is_known(change.after.get(key)) or before != after:
                lines.append(f"| {_cell(key)} | {_cell(before)} | {_cell(after)} |")
            else:
                lines.append(f"| {_cell(key)} | {_cell(before)} | (unchanged) |")
    lines += ["", "</details>", ""]
    return lines


def _nested(before: Any, after: Any) -> bool:
    """Whether a value is shown leaf by leaf, as the text plan does: a mapping that changes."""
    return isinstance(after, Mapping) and (before is None or isinstance(before, Mapping)) and before != after


def _leaf_rows(key: str, before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> list[str]:
    """One row per leaf of a changing mapping (``+``/``-``/``~`` where it changes): a graph edit's
    diff reads as a diff in a pull-request comment too."""
    marks = {"same": "", "changed": "~ ", "added": "+ ", "removed": "- "}
    rows = []
    for leaf in diff.structured(before or {}, after):
        was = "" if leaf.before is diff.ABSENT else _value(leaf.before)
        now = "" if leaf.after is diff.ABSENT else _value(leaf.after)
        field = f"{marks[leaf.kind]}{key}.{leaf.path}"
        rows.append(f"| {_cell(field)} | {_cell(was)} | {_cell(now)} |")
    return rows


def _targeting(plan: Plan) -> str:
    """Terraform's targeting warning as a quote, for a plan made with ``--target`` (else nothing)."""
    if not plan.targets:
        return ""
    targets = ", ".join(_code(target) for target in plan.targets)
    return (
        f"> **Warning: {TARGETING_TITLE}.** This plan covers only {targets} and what it depends on "
        "(`--target`), so it may not represent all of the changes requested by the current spec. "
        "The `--target` option is not for routine use.\n\n"
    )


def render_plan_markdown(plan: Plan) -> str:
    """Markdown for a pull-request comment."""
    if not plan.has_changes:
        return (
            f"{TITLE}\n\n**No changes.** The live platforms match the spec.\n"
            + _targeting(plan)
            + _data(plan)
        )
    counts = plan.counts()
    summary = ", ".join(
        f"{counts.get(action, 0)} to {word}"
        for action, word in _WORDS
        if action is not Action.ADOPT or counts.get(action, 0)
    )
    if plan.moved:
        summary += f", {len(plan.moved)} to move"
    lines = [
        TITLE,
        "",
        f"**Plan:** {summary}.",
        "",
        _targeting(plan) + "| | resource | action | why |",
        "|---|---|---|---|",
    ]
    for move in plan.moved:
        why = f"moved from {_code(move.source)} (moved block; nothing is sent)"
        lines.append(f"| {_code('->')} | {_code(move.to)} | move | {_cell(why)} |")
    for change in plan.actionable:
        why = change.reasons[0] if change.reasons else ""
        symbol, address = _code(change.action.symbol), _code(change.address)
        lines.append(f"| {symbol} | {address} | {change.action.value} | {_cell(why)} |")
    lines += ["", "#### Details", ""]
    for change in plan.actionable:
        lines += _details(change, plan)
    return "\n".join(lines) + _data(plan)


def _data(plan: Plan) -> str:
    """The data sources the plan read, as a closing list (nothing when there are none)."""
    if not plan.data:
        return ""
    items = "".join(f"- {_code(read.address)}: {_html(read.summary)}\n" for read in plan.data)
    return f"\n#### Data sources read\n\n{items}"


__all__ = ["render_plan_markdown"]
