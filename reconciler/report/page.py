"""The status page: one self-contained HTML document of every workspace's view.

Rendered with Jinja2 (autoescaping every value) from the package's template;
its CSS and JavaScript are inlined and its dependency graphs are SVG drawn by
:mod:`reconciler.report.svg`, so the file reads the same opened from a CI
artifact, a mail or the agent, with no network.  Every text passes through
the process's redactor (:func:`reconciler.redact.known`: every secret the
spec, the providers and the state backend were given) before it is escaped,
so a platform message that echoes a credential shows ``***``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from reconciler import __version__
from reconciler.redact import known
from reconciler.report.svg import css_class, render_svg
from reconciler.report.view import WorkspaceView
from reconciler.state.local import atomic_write

TITLE = "reconciler status"


def render_page(
    views: Sequence[WorkspaceView],
    *,
    refresh_seconds: int | None = 60,
    generated_at: datetime | None = None,
    title: str = TITLE,
) -> str:
    """The page of ``views``. With JavaScript on and served over http(s), it re-fetches its own URL
    every ``refresh_seconds`` (None or 0: never) and swaps the content in."""
    template = _environment().get_template("page.html.j2")
    return template.render(
        views=list(views),
        refresh_seconds=int(refresh_seconds or 0),
        generated_at=generated_at or datetime.now(UTC),
        title=title,
        tab=_tab(title, views),
        version=__version__,
    )


def _tab(title: str, views: Sequence[WorkspaceView]) -> str:
    """The browser tab's title: the page's, with what needs a look counted (``…: 1 failed, 2 running``)."""
    counted: dict[str, int] = {}
    for view in views:
        if view.error:
            counted["error"] = counted.get("error", 0) + 1
        for status, count in view.counts:
            if status in ("failed", "rejected", "drifted", "running"):
                counted[status] = counted.get(status, 0) + count
    order = ("error", "failed", "rejected", "drifted", "running")
    shown = ", ".join(f"{counted[status]} {status}" for status in order if status in counted)
    return f"{title}: {shown}" if shown else title


def write_page(path: Path, html: str) -> None:
    """Write the page to ``path`` at once: a reader sees the old file or the new, never half of one.

    Missing directories are made (a CI job names ``reports/status.html`` in a fresh checkout)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, html.encode("utf-8"))


def duration(seconds: float) -> str:
    """``42s``, ``3m 05s``, ``2h 07m``, ``1d 04h``: a job's age, as the page's script writes it too."""
    total = max(int(seconds), 0)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours:02d}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def _finalize(value: Any) -> Any:
    """Every value shown: a secret known to this process masked (Markup was cleaned as it was made)."""
    if isinstance(value, Markup) or value is None:
        return "" if value is None else value
    if isinstance(value, str):
        return known()(value)
    return value


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _when(value: datetime) -> str:
    return _utc(value).strftime("%Y-%m-%d %H:%M:%S UTC")


def _iso(value: datetime) -> str:
    return _utc(value).isoformat().replace("+00:00", "Z")


def _since(now: datetime, then: datetime) -> str:
    return duration((_utc(now) - _utc(then)).total_seconds())


@cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("reconciler.report", "templates"),
        autoescape=True,
        finalize=_finalize,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    filters: dict[str, Callable[..., Any]] = {
        "css": css_class,
        "duration": duration,
        "when": _when,
        "iso": _iso,
        "since": _since,
        "graph_svg": lambda view: Markup(
            render_svg(view.graph, clean=known(), title=f"{view.name}: dependencies")
        ),
    }
    environment.filters.update(filters)
    return environment
