"""What changed between two nested values, in words a reviewer reads.

The one place deepdiff is used, so its types never leak: callers get lines
such as ``params.epochs: 500 → 800`` and ``train_fraction: added 0.8``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_PART = re.compile(r"\['([^']*)'\]|\[(\d+)\]")


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
