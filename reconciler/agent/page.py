"""The status page the agent serves at ``/``: what each workspace's last cycle saw, rendered by the report.

The agent keeps, per workspace, what its last cycle (or the last look at a
workspace another replica ran) found: the spec, the state, the plan and when
it was made, the recent runs and the last error.  ``GET /`` renders them with
the status page renderer (:mod:`reconciler.report`), the same one
``reconciler report --html`` writes to a file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from reconciler.engine.plan import Plan
from reconciler.report import render_page, view_of
from reconciler.spec.document import Spec
from reconciler.state.document import StateDocument
from reconciler.state.runs import RunRecord


@dataclass(frozen=True)
class Seen:
    """What the agent last saw of one workspace."""

    name: str
    source: str
    spec: Spec | None = None
    state: StateDocument | None = None
    plan: Plan | None = None
    planned_at: datetime | None = None
    runs: tuple[RunRecord, ...] = field(default_factory=tuple)
    error: str | None = None


def render(seen: Sequence[Seen], *, refresh_seconds: int | None, now: datetime | None = None) -> str:
    """The page for every workspace, in the order given."""
    moment = now or datetime.now(UTC)
    views = [
        view_of(
            item.name,
            spec=item.spec,
            state=item.state,
            plan=item.plan,
            planned_at=item.planned_at,
            runs=item.runs,
            error=item.error,
            source=item.source,
            now=moment,
        )
        for item in seen
    ]
    return render_page(views, refresh_seconds=refresh_seconds, generated_at=moment)
