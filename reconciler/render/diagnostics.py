"""Warnings printed beside a plan or an apply, in the words a Terraform user already knows.

``--target`` plans only part of a spec, so the plan and the apply made from it
may leave changes the spec asks for undone.  Terraform says so every time with
two warnings ("Resource targeting is in effect", "Applied changes may be
incomplete"); these are the same warnings in this tool's words, so nobody
mistakes a targeted run for a complete one.  With colour they are drawn in
Terraform's box; without, as plain paragraphs (Terraform's ``-no-color`` form).
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Sequence

_NOT_ROUTINE = (
    "is provided only for exceptional situations such as recovering from errors or mistakes, or when "
    "reconciler specifically suggests to use it as part of an error message."
)

TARGETING_TITLE = "Resource targeting is in effect"
INCOMPLETE_TITLE = "Applied changes may be incomplete"


def targeting_in_effect(*, color: bool = False, width: int | None = None) -> str:
    """The warning printed with a plan made with ``--target``."""
    return warning(
        TARGETING_TITLE,
        [
            "You are creating a plan with the --target option, which means that the result of this plan "
            "may not represent all of the changes requested by the current spec.",
            f"The --target option is not for routine use, and {_NOT_ROUTINE}",
        ],
        color=color,
        width=width,
    )


def applied_changes_incomplete(spec: str, *, color: bool = False, width: int | None = None) -> str:
    """The warning printed after applying a plan made with ``--target``; ``spec`` is quoted for a shell."""
    return warning(
        INCOMPLETE_TITLE,
        [
            "The plan was created with the --target option in effect, so some changes requested in the "
            "spec may have been ignored. Run the following command to verify that no other changes are "
            f"pending:\n    reconciler plan {spec}",
            f"Note that the --target option is not suitable for routine use, and {_NOT_ROUTINE}",
        ],
        color=color,
        width=width,
    )


def warning(title: str, paragraphs: Sequence[str], *, color: bool = False, width: int | None = None) -> str:
    """A titled warning, its paragraphs wrapped to ``width``; an indented line (a command) is never broken."""
    if width is None:
        width = min(shutil.get_terminal_size((80, 24)).columns, 100)
    inner = max(width - (2 if color else 0), 40)
    body: list[str] = []
    for paragraph in paragraphs:
        for line in paragraph.split("\n"):
            body.extend(
                [line] if line.startswith(" ") else textwrap.wrap(line, inner, break_on_hyphens=False)
            )
        body.append("")
    body.pop()
    if not color:
        return "\n".join(["", f"Warning: {title}", "", *body])
    heading = f"\x1b[1m\x1b[33mWarning:\x1b[0m\x1b[1m {title}\x1b[0m"
    return "\n".join(["╷", f"│ {heading}", "│", *(f"│ {line}".rstrip() for line in body), "╵"])


__all__ = [
    "INCOMPLETE_TITLE",
    "TARGETING_TITLE",
    "applied_changes_incomplete",
    "targeting_in_effect",
    "warning",
]
