"""Drift: is the live world what the spec and the state say, and if not, why not?

A scheduled check needs one number a CI system can act on, and a report a
person can act on.  Both come from the plan's per-change ``cause`` (set by
the planner), so the drift check never re-implements a comparison:

====  ======================================================================
code  situation
====  ======================================================================
0     in sync: the plan has no changes
2     spec changes not yet applied (new, edited or removed resources)
3     live state changed outside the tool (an object gone or failed, an
      "active" object switched by someone else)
4     jobs still running (a later apply will resume them)
5     a finished job failed its quality gates (``checks``) and is held back
====  ======================================================================

When several apply, the most urgent wins: 3 (someone changed production),
then 5 (a model the spec asks for did not pass its gates), then 2 (the repo
is ahead of production), then 4 (it will settle by itself).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from reconciler.engine.plan import Cause, Plan

EXIT_CODES: Final[dict[Cause | None, int]] = {None: 0, "spec": 2, "live": 3, "running": 4, "rejected": 5}
PRIORITY: Final[tuple[Cause, ...]] = ("live", "rejected", "spec", "running")
LABELS: Final[dict[Cause, str]] = {
    "spec": "spec changes not yet applied",
    "live": "live state changed outside reconciler",
    "running": "jobs still running",
    "rejected": "rejected by quality gates (checks), held back",
}


@dataclass(frozen=True)
class DriftReport:
    """Which resource falls in which class, and the exit code that sums it up."""

    classes: dict[str, Cause] = field(default_factory=dict)
    reasons: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def from_plan(cls, plan: Plan) -> DriftReport:
        classes: dict[str, Cause] = {}
        reasons: dict[str, tuple[str, ...]] = {}
        for change in plan.actionable:
            classes[change.address] = change.cause or "spec"
            reasons[change.address] = change.reasons
        for change in plan.rejected:  # kept as it is, so not a change, yet not what the spec asks for
            classes[change.address] = "rejected"
            reasons[change.address] = change.reasons
        for move in plan.moved:  # a moved block not applied yet: the repo is ahead of the state
            classes.setdefault(move.to, "spec")
            reasons.setdefault(move.to, (f"moved from {move.source} (a moved block not applied yet)",))
        return cls(classes, reasons)

    @property
    def worst(self) -> Cause | None:
        present = set(self.classes.values())
        return next((cause for cause in PRIORITY if cause in present), None)

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.worst]

    def addresses(self, cause: Cause) -> list[str]:
        return [address for address, found in self.classes.items() if found == cause]
