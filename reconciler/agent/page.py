"""The status page the agent serves at ``/``: what each workspace's last cycle saw, rendered by the report.

The agent keeps, per workspace, what its last cycle (or the last look at a
workspace another replica ran) found: the spec, the state, the plan and when
it was made, the recent runs and the last error.  ``GET /`` renders them with
the status page renderer (:mod:`reconciler.report`), the same one
``reconciler report --html`` writes to a file.
"""

from __future__ import annotations

import html
import importlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from reconciler.engine.plan import Plan
from reconciler.redact import known
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
    report: Any = _report()
    if report is not None:
        views = [
            report.view_of(
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
        page: str = report.render_page(views, refresh_seconds=refresh_seconds, generated_at=moment)
        return page
    return _plain(seen, refresh_seconds=refresh_seconds, now=moment)


def _report() -> Any:
    try:
        return importlib.import_module("reconciler.report")
    except ImportError:
        return None


def _plain(seen: Sequence[Seen], *, refresh_seconds: int | None, now: datetime) -> str:
    """A plain page, for a build without the report renderer: each workspace and its last runs."""
    redact = known()

    def esc(value: object) -> str:
        return html.escape(redact(str(value)))

    rows = []
    for item in seen:
        last = item.runs[0] if item.runs else None
        drift = last.drift if last is not None and last.drift is not None else "unknown"
        outcome = last.outcome if last is not None else "not run yet"
        when = last.finished_at.strftime("%Y-%m-%d %H:%M:%S UTC") if last is not None else ""
        error = item.error or (last.error if last is not None else None) or ""
        rows.append(
            f"<tr><td>{esc(item.name)}</td><td>{esc(drift)}</td><td>{esc(outcome)}</td>"
            f"<td>{esc(when)}</td><td>{esc(error)}</td></tr>"
        )
    refresh = f'<meta http-equiv="refresh" content="{refresh_seconds}">' if refresh_seconds else ""
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width, initial-scale=1">'
        f"{refresh}<title>reconciler status</title></head><body>"
        f"<h1>reconciler status</h1><p>{esc(now.strftime('%Y-%m-%d %H:%M:%S UTC'))}</p>"
        "<table><tr><th>workspace</th><th>drift</th><th>last run</th><th>finished</th><th>error</th></tr>"
        + "".join(rows)
        + "</table></body></html>"
    )
