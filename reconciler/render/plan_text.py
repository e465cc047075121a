"""A plan as text, laid out like Terraform's: grouped by provider instance,
one symbol per action, before → after for each value, and the reason chain."""

from __future__ import annotations

from collections.abc import Mapping
from itertools import groupby
from typing import Any

from reconciler.engine.plan import Change, Plan
from reconciler.vocabulary import KNOWN_AFTER_APPLY, Action

NO_CHANGES = "No changes. The live platforms match the spec."

_WORDS = {
    Action.CREATE: "to create",
    Action.UPDATE: "to change",
    Action.REPLACE: "to replace",
    Action.RESUME: "to resume",
    Action.FORGET: "to forget",
}


def value_text(value: Any, *, limit: int = 80) -> str:
    if value is KNOWN_AFTER_APPLY:
        return "(known after apply)"
    if isinstance(value, list | tuple):
        text = "[" + ", ".join(value_text(item, limit=limit) for item in value) + "]"
    elif value is None:
        text = "-"
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _values(change: Change) -> list[str]:
    keys = list(dict.fromkeys([*change.before, *change.after]))
    if not keys:
        return []
    width = max(len(key) for key in keys)
    lines = []
    for key in keys:
        after = change.after.get(key, change.before.get(key))
        if key in change.before and change.before[key] != after and change.action is not Action.FORGET:
            shown = f"{value_text(change.before[key])} → {value_text(after)}"
        elif change.action is Action.FORGET:
            shown = value_text(change.before.get(key))
        else:
            shown = value_text(after)
        lines.append(f"      {key.ljust(width)}  {shown}")
    return lines


def _why(plan: Plan, change: Change) -> list[str]:
    lines = []
    chain = plan.chain(change.address)
    if len(chain) > 1:
        steps = [f"{step.summary or step.action.value} ({step.address})" for step in chain[:-1]]
        steps.append(change.summary or change.action.value)
        lines.append("      why: " + " → ".join(steps))
    for reason in change.reasons:
        lines.append(f"      - {reason}")
    return lines


def render_plan(plan: Plan) -> str:
    """The whole plan as text; ``No changes.`` when there is nothing to do."""
    changes = plan.actionable
    if not changes:
        return NO_CHANGES
    lines = ["reconciler will perform these actions:", ""]
    for provider, group in groupby(sorted(changes, key=lambda c: c.provider), key=lambda c: c.provider):
        described = plan.providers.get(provider)
        lines.append(f"# {provider}" + (f" ({described})" if described else ""))
        for change in group:
            header = f"  {change.action.symbol} {change.address}"
            if change.summary:
                header += f": {change.summary}"
            lines.append(header)
            lines.extend(_values(change))
            lines.extend(_why(plan, change))
            lines.append("")
    lines.append(summary_line(plan.counts()))
    return "\n".join(lines)


def summary_line(counts: Mapping[Action, int]) -> str:
    parts = [f"{counts.get(action, 0)} {word}" for action, word in _WORDS.items()]
    return "Plan: " + ", ".join(parts) + "."
