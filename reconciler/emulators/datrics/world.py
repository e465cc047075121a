"""What the Datrics emulator does for each call: the platform's rules, without HTTP.

Submitting never fails for what a worker would find: the proxy only queues a
Celery task, and the worker is what loads the model and reads the records.
So an unknown model path, a record lacking a feature or a value that is not
a number are all accepted with a task id, and the task ends in ``FAILURE``
with the worker's message (the emulator's documented choice; a 404 at submit
time would be the alternative).  Only a body that is not a JSON array of
objects, or a missing ``path``/``bucket``, is refused at once (FastAPI's 422).

The outcome is computed when the task is submitted and revealed when its
duration has passed, which keeps everything deterministic and lazy.  An
injected job failure (``Faults.job_failure_rate``) is decided then too, from
the task's sequence number, and reported as the task's ``FAILURE`` error.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from reconciler.emulators.datrics import tasks
from reconciler.emulators.datrics.models import PredictionError, find_model
from reconciler.emulators.datrics.store import Store, Task
from reconciler.emulators.faults import Faults

OBJECT_KIND = "prediction_task"
# Fault counts share the request-count table under this prefix, which no "METHOD /path" route has.
_FAULT = "fault "


class World:
    """The emulated platform, on top of a store, a clock and the ``predict`` duration."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Callable[[], float],
        durations: Mapping[str, float],
        faults: Faults | None = None,
        variant: str = "full",
    ) -> None:
        self.store = store
        self.variant = variant
        self.clock = clock
        self.durations = dict(durations)
        self.faults = faults or Faults()

    def submit(
        self, records: Sequence[Mapping[str, Any]], *, path: str, bucket: str, only_prediction: bool
    ) -> str:
        """Queue a prediction task; returns its id (a Celery task id: a uuid4)."""
        result: list[dict[str, Any]] | None = None
        error: str | None = None
        try:
            result = find_model(bucket, path).predict(records, only_prediction=only_prediction)
        except PredictionError as exc:
            error = str(exc)
        with self.store.transaction() as db:
            injected = self.faults.job_error("predict", db.task_count() + 1)
            if error is None and injected is not None:
                result, error = None, injected
            task = Task(
                id=str(uuid.uuid4()),
                created_at=self.clock(),
                duration=float(self.durations["predict"]),
                bucket=bucket,
                path=path,
                only_prediction=only_prediction,
                records=len(records),
                result=result,
                error=error,
            )
            db.insert(task)
        return task.id

    def info(self, task_id: str) -> dict[str, Any]:
        with self.store.transaction() as db:
            task = db.get(task_id)
        return tasks.info_view(task_id, task, now=self.clock(), variant=self.variant)

    def stats(self) -> dict[str, Any]:
        with self.store.transaction() as db:
            count, logged = db.task_count(), db.request_counts()
        return {
            "objects": {OBJECT_KIND: count},
            "requests": {route: n for route, n in logged.items() if not route.startswith(_FAULT)},
            "faults": {
                route.removeprefix(_FAULT): n for route, n in logged.items() if route.startswith(_FAULT)
            },
        }

    def count_request(self, route: str) -> None:
        with self.store.transaction() as db:
            db.count_request(route)

    def count_fault(self, kind: str) -> None:
        with self.store.transaction() as db:
            db.count_request(_FAULT + kind)

    def reset_requests(self) -> None:
        with self.store.transaction() as db:
            db.reset_requests()
