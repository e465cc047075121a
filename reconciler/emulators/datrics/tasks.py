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
"""

from __future__ import annotations

from typing import Any

from reconciler.emulators.datrics.store import Task

PENDING = "PENDING"
STARTED = "STARTED"
SUCCESS = "SUCCESS"
FAILURE = "FAILURE"


def state(task: Task, *, now: float) -> str:
    """The Celery state of ``task`` at time ``now``."""
    elapsed = now - task.created_at
    if elapsed < task.duration:
        return STARTED
    return FAILURE if task.error is not None else SUCCESS


def info_view(task_id: str, task: Task | None, *, now: float) -> dict[str, Any]:
    """What ``GET .../predict/info/{task_id}`` answers."""
    if task is None:
        return {"id": task_id, "state": PENDING}
    word = state(task, now=now)
    view: dict[str, Any] = {"id": task.id, "state": word}
    if word == SUCCESS:
        view["result"] = task.result
    elif word == FAILURE:
        view["error"] = task.error
    return view
