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
from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.emulators import base
from reconciler.emulators.datrics import tasks
from reconciler.emulators.datrics.models import PredictionError, find_model
from reconciler.emulators.datrics.store import Task, Tx

OBJECT_KIND = "prediction_task"


class World(base.World[Tx]):
    """The emulated platform: prediction tasks that take the ``predict`` duration."""

    transaction = Tx

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
                duration=self.duration("predict"),
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

    def objects(self, db: Tx) -> dict[str, Any]:
        return {"objects": {OBJECT_KIND: db.task_count()}}
