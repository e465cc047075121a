"""The status page: every workspace, its resources, jobs, last plan, graph and recent runs, as one
self-contained HTML document (``reconciler report --html``, and the agent's ``/``).

``view_of`` builds a workspace's view from what is known of it (pure);
``collect`` makes one from a read-only plan; ``render_page`` renders views
into the page; ``write_page`` writes it atomically.
"""

from __future__ import annotations

from reconciler.report.collect import collect
from reconciler.report.page import render_page, write_page
from reconciler.report.view import (
    ChangeView,
    GraphView,
    GroupView,
    JobView,
    ResourceView,
    RunView,
    WorkspaceView,
    run_view,
    view_of,
)

__all__ = [
    "ChangeView",
    "GraphView",
    "GroupView",
    "JobView",
    "ResourceView",
    "RunView",
    "WorkspaceView",
    "collect",
    "render_page",
    "run_view",
    "view_of",
    "write_page",
]
