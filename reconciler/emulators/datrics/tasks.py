"""A prediction task's Celery state, computed from the clock, and its wire shape.

Datrics runs predictions as Celery tasks behind a proxy; the vendor's page
shows the states ``STARTED`` and ``SUCCESS``, and its full example treats
every other state as an error (it sleeps only on ``STARTED``).  So a task the
emulator knows reports ``STARTED`` from the moment it is submitted until its
duration has passed (a worker picks it up at once: there is no visible
queue), then ``SUCCESS`` with the result or ``FAILURE`` with the error.
``PENDING`` is kept for what Celery itself cannot tell apart from a queued
task: a task id it never heard of.

The answer's shape beyond ``state`` is not documented (INFERRED):
``{"id", "state"}``, plus ``"result"`` (a list, one item per record) on
``SUCCESS`` and ``"error"`` (the worker's exception as text) on ``FAILURE``.

Variants: ``full`` answers as above.  ``documented`` answers ``{"state"}``
only, but for the predictions of a ``SUCCESS``, which come under
``"predictions"`` (a stand-in for the undocumented shape, deliberately not
``result``); a ``FAILURE`` carries no text.  ``strict`` is ``documented``,
and a task reads ``PENDING`` (queued, the first fifth of its duration) before
``STARTED``, as Celery reports it.  An unknown task id reads ``PENDING`` in
every variant.
"""

from __future__ import annotations

from typing import Any

from reconciler.emulators import base
from reconciler.emulators.datrics.store import Task

PENDING = "PENDING"
STARTED = "STARTED"
SUCCESS = "SUCCESS"
FAILURE = "FAILURE"

#: Where the documented variant puts the predictions: not ``result``, whose name is INFERRED.
DOCUMENTED_RESULT_KEY = "predictions"


def state(task: Task, *, now: float, variant: str = "full") -> str:
    """The Celery state of ``task`` at time ``now``."""
    queued = base.QUEUED_SHARE if variant == "strict" else 0.0
    where = base.phase(task.created_at, task.duration, now=now, queued=queued)
    if where == base.ENDED:
        return FAILURE if task.error is not None else SUCCESS
    return PENDING if where == base.QUEUED else STARTED


def info_view(task_id: str, task: Task | None, *, now: float, variant: str = "full") -> dict[str, Any]:
    """What ``GET .../predict/info/{task_id}`` answers (``variant``: see the module's doc)."""
    full = variant == "full"
    if task is None:
        return {"id": task_id, "state": PENDING} if full else {"state": PENDING}
    word = state(task, now=now, variant=variant)
    view: dict[str, Any] = {"id": task.id, "state": word} if full else {"state": word}
    if word == SUCCESS:
        view["result" if full else DOCUMENTED_RESULT_KEY] = task.result
    elif word == FAILURE and full:
        view["error"] = task.error
    return view
