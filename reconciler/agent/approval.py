"""A person's approval of a saved plan, which ``reconciler agent --apply approved`` waits for.

``reconciler approve PLANFILE`` writes ``PLANFILE.approved`` beside the plan:
the SHA-256 of the plan file's bytes, who approved it and when.  The agent
applies a waiting plan only when its approval names exactly those bytes, so a
plan replaced after it was approved is not applied on the strength of the old
approval; applying it still checks, as ``apply PLANFILE`` does, that nothing
it was based on changed since.
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import json
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reconciler import errors
from reconciler.state.local import atomic_write

SUFFIX = ".approved"


@dataclass(frozen=True)
class Approval:
    """Who approved which bytes of a plan, and when."""

    sha256: str
    approved_by: str
    approved_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "plan_sha256": self.sha256,
            "approved_by": self.approved_by,
            "approved_at": self.approved_at.isoformat(),
        }


def approval_path(plan_file: Path) -> Path:
    return plan_file.with_name(plan_file.name + SUFFIX)


def digest(plan_file: Path) -> str:
    try:
        return hashlib.sha256(plan_file.read_bytes()).hexdigest()
    except OSError as exc:
        raise errors.PlanError(f"cannot read the plan {plan_file}: {exc.strerror or exc}") from exc


def approve(plan_file: Path, *, now: datetime | None = None, who: str | None = None) -> Approval:
    """Approve the plan as it is now; the approval file is written whole or not at all."""
    approval = Approval(
        sha256=digest(plan_file),
        approved_by=who or _who(),
        approved_at=(now or datetime.now(UTC)).astimezone(UTC),
    )
    target = approval_path(plan_file)
    data = (json.dumps(approval.to_dict(), indent=2) + "\n").encode()
    try:
        atomic_write(target, data)
    except OSError as exc:
        raise errors.PlanError(
            f"cannot write the approval {target}: {exc.strerror or exc}",
            hint=errors.os_hint(exc) or "check that the plan's directory can be written",
        ) from exc
    return approval


def approval_of(plan_file: Path) -> Approval | None:
    """The approval of the plan's current bytes, or None (none given, unreadable, or for other bytes)."""
    path = approval_path(plan_file)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        approval = Approval(
            sha256=str(raw["plan_sha256"]),
            approved_by=str(raw.get("approved_by", "")),
            approved_at=datetime.fromisoformat(str(raw["approved_at"])),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        current = digest(plan_file)
    except errors.PlanError:
        return None
    return approval if approval.sha256 == current else None


def withdraw(plan_file: Path) -> None:
    """Remove a plan and its approval (applied, or replaced by a newer plan)."""
    for path in (approval_path(plan_file), plan_file):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _who() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"
