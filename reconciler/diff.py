"""What changed between two nested values, in words and in structure a reviewer reads.

The one place deepdiff is used, so its types never leak: callers get lines
such as ``params.epochs: 500 → 800`` and ``train_fraction: added 0.8``
(:func:`changes`), or one :class:`Leaf` per dotted path with its before and
after values (:func:`structured`), which the plan renderer lays out as a
nested block.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

_PART = re.compile(r"\['([^']*)'\]|\[(\d+)\]")


class _Absent:
    """The value of a path on the side where it does not exist."""

    def __repr__(self) -> str:
        return "(absent)"


ABSENT: Final = _Absent()


@dataclass(frozen=True)
class Leaf:
    """One dotted path of a nested value, before and after (``ABSENT`` where it does not exist)."""

    path: str
    before: Any
    after: Any

    @property
    def kind(self) -> Literal["same", "changed", "added", "removed"]:
        if self.before is ABSENT:
            return "added"
        if self.after is ABSENT:
            return "removed"
        return "changed" if self.before != self.after else "same"


def dotted(path: str) -> str:
    """``root['params']['epochs']`` → ``params.epochs``; ``root['ids'][2]`` → ``ids[2]``."""
    parts: list[str] = []
    for name, index in _PART.findall(path):
        if name:
            parts.append(("." if parts else "") + name)
        else:
            parts.append(f"[{index}]")
    return "".join(parts) or "(value)"


def short(value: Any, *, limit: int = 60) -> str:
    text = repr(value) if isinstance(value, str) and not value else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def flatten(value: Mapping[str, Any], *, prefix: str = "") -> dict[str, Any]:
    """Nested mappings as ``{"params.epochs": 500, …}``; lists and scalars are leaves."""
    flat: dict[str, Any] = {}
    for key, item in value.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(item, Mapping) and item:
            flat.update(flatten(item, prefix=path))
        else:
            flat[path] = item
    return flat


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """One line per changed leaf between ``before`` and ``after`` (empty when equal)."""
    from deepdiff import DeepDiff

    diff = DeepDiff(dict(before), dict(after), verbose_level=2, ignore_order=False)
    lines: list[str] = []
    for kind in ("values_changed", "type_changes"):
        for path, change in diff.get(kind, {}).items():
            lines.append(f"{dotted(path)}: {short(change['old_value'])} → {short(change['new_value'])}")
    for kind, word in (("dictionary_item_added", "added"), ("iterable_item_added", "added")):
        for path, value in diff.get(kind, {}).items():
            lines.append(f"{dotted(path)}: {word} {short(value)}")
    for kind in ("dictionary_item_removed", "iterable_item_removed"):
        for path, value in diff.get(kind, {}).items():
            lines.append(f"{dotted(path)}: removed (was {short(value)})")
    return sorted(lines)


def structured(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Leaf]:
    """Every leaf of either side, in ``after``'s order then ``before``'s, with what deepdiff found changed.

    Lists are compared whole (a list of ids is one value to a reviewer).
    """
    from deepdiff import DeepDiff

    old, new = flatten(before), flatten(after)
    diff = DeepDiff(old, new, verbose_level=2, ignore_order=False, threshold_to_diff_deeper=0)
    touched = {
        dotted(path).split("[", 1)[0]
        for kind in ("values_changed", "type_changes", "iterable_item_added", "iterable_item_removed")
        for path in diff.get(kind, {})
    }
    leaves: list[Leaf] = []
    for path in dict.fromkeys([*new, *old]):
        was, now = old.get(path, ABSENT), new.get(path, ABSENT)
        if path not in touched and was is not ABSENT and now is not ABSENT:
            now = was  # deepdiff saw no difference: show one value
        leaves.append(Leaf(path, was, now))
    return leaves
