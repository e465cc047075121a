"""A prediction task's Celery state, computed from the clock, and its wire shape.

Datrics runs predictions as Celery tasks behind a proxy; the vendor's page
shows the states ``STARTED`` and ``SUCCESS``.  The emulator reports Celery's
own sequence: ``PENDING`` while queued (the first fifth of the task's
duration), ``STARTED`` while a worker runs it, then ``SUCCESS`` with the
result or ``FAILURE`` with the error.  Celery cannot tell a queued task from
one it never heard of, so an unknown task id reports ``PENDING`` too.

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
PENDING_SHARE = 0.2  # the first fifth of a task reports PENDING (queued), the rest STARTED


def state(task: Task, *, now: float) -> str:
    """The Celery state of ``task`` at time ``now``."""
    elapsed = now - task.created_at
    if elapsed < task.duration:
        return PENDING if elapsed < PENDING_SHARE * task.duration else STARTED
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
