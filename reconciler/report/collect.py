"""A workspace's view made from one read-only look: its spec, its state and a fresh plan.

What ``reconciler report`` does for each spec it is given.  Like ``drift``,
it takes no lock and writes nothing (GET requests only), so it can run beside
an apply.  A workspace that cannot be planned (a spec error, a platform
down) is still shown: with the state it could read and the error, so one
broken market never blanks the page of the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from reconciler import errors
from reconciler.report.view import WorkspaceView, view_of
from reconciler.spec.document import Spec
from reconciler.state.document import StateDocument
from reconciler.state.runs import RunRecord, recent_runs
from reconciler.workflow import Workspace


async def collect(
    workspace: Workspace,
    *,
    name: str | None = None,
    runs: Sequence[RunRecord] | None = None,
    limit: int = 20,
    now: datetime | None = None,
) -> WorkspaceView:
    """Load, read and plan ``workspace`` (read-only) and make its view; a ReconcilerError goes on the view."""
    source = workspace.spec_argument() if not isinstance(workspace.source, list) else None
    shown = name or _name(workspace)
    spec: Spec | None = None
    state: StateDocument | None = None
    problem: str | None = None
    plan = None
    try:
        spec = workspace.layout()
        state = workspace.state()
        result = await workspace.plan()
        spec, state, plan = result.spec, result.state, result.plan
    except errors.ReconcilerError as error:
        problem = str(error)
    planned_at = datetime.now(UTC) if plan is not None else None
    if runs is None:
        runs = _recent_runs(workspace, limit=limit) if state is not None else ()
    return view_of(
        shown,
        spec=spec,
        state=state,
        plan=plan,
        planned_at=planned_at,
        runs=runs,
        error=problem,
        source=source,
        now=now,
    )


def _name(workspace: Workspace) -> str:
    """The workspace's name: its PostgreSQL workspace, else its spec file's stem."""
    try:
        spec = workspace.layout()
    except errors.ReconcilerError:  # as the spec would have named it: its file's (or directory's) stem
        source = workspace.source[0] if isinstance(workspace.source, list) else workspace.source
        return Path(source).stem or str(source)
    return spec.state.workspace or spec.files[0].stem


def _recent_runs(workspace: Workspace, *, limit: int) -> Sequence[RunRecord]:
    """The workspace's recorded runs, newest first (none when no agent has run it)."""
    try:
        return recent_runs(workspace.backend(), limit=limit)
    except errors.ReconcilerError:  # a history that cannot be read does not hide the rest of the page
        return ()
