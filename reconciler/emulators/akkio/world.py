"""What the Akkio emulator does for each call: the platform's rules, without HTTP.

The rules a client can observe:

* a dataset is created empty; its first insert of rows defines its fields
  (later rows may not bring new ones); row ingestion is immediate;
* a training is accepted at once (201 with a task id) and checked as it runs:
  a field to predict that the dataset lacks, or an empty dataset, ends it
  ``FAILED`` with an ``error`` (HTTP 200, as documented);
* status is ``PENDING`` for the first fifth of the training, then
  ``IN_PROGRESS`` with ``estimate_seconds`` (the seconds left), then
  ``SUCCEEDED`` with ``location`` relative to ``/api/v1``; a training still
  unfinished a day after it was sent reports ``UNKNOWN_TIMEOUT`` (the vendor
  assumes such tasks failed);
* ``force: false`` with the dataset and parameters of an earlier *successful*
  training answers that training's task id (and so its model) instead of
  training again; ``force: true`` always trains anew.

The training ``duration`` (10, 60, 300, 1800) changes the scores, not the
time: how long a training takes is the emulator's ``train`` job duration.

Injected job failures (``Faults.job_failure_rate``) are decided when a
training is accepted, from its sequence number, and stored as its error, so
it ends ``FAILED`` with that message and leaves no model.
"""

from __future__ import annotations

import hashlib
import string
import uuid
from typing import Any

from reconciler.emulators import base
from reconciler.emulators.akkio import training
from reconciler.emulators.akkio.store import Dataset, Model, Task, Tx
from reconciler.emulators.base import Problem

DAY = 86_400.0
_ALPHABET = string.ascii_letters + string.digits
LEGACY_BAD_KEY = {"status": "missing or invalid API key"}


def legacy_error(status: int, message: str) -> Problem:
    return Problem(status, {"status": "error", "message": message})


def object_id(kind: str, seq: int) -> str:
    """A 20-character id in the style of the vendor's (``YTV32jCdVf5DbcMxzvX5``), stable per sequence."""
    number = int.from_bytes(hashlib.sha256(f"akkio:{kind}:{seq}".encode()).digest(), "big")
    chars = []
    for _ in range(20):
        number, index = divmod(number, len(_ALPHABET))
        chars.append(_ALPHABET[index])
    return "".join(chars)


def task_id(seq: int) -> str:
    """A task id in the form of a Celery task id (a UUID), stable per sequence."""
    return str(uuid.UUID(bytes=hashlib.sha256(f"akkio:task:{seq}".encode()).digest()[:16], version=4))


class World(base.World[Tx]):
    """The emulated platform: datasets filled with rows, trainings and the models they make."""

    transaction = Tx

    # -- legacy datasets ----------------------------------------------------------
    def create_dataset(self, name: str) -> dict[str, Any]:
        with self.store.transaction() as db:
            seq = db.next_seq("datasets")
            dataset = Dataset(id=object_id("dataset", seq), name=name, created_at=self.clock(), columns=None)
            db.add_dataset(dataset, seq=seq)
        return {"status": "success", "dataset_id": dataset.id, "dataset_name": dataset.name}

    def datasets(self) -> dict[str, Any]:
        with self.store.transaction() as db:
            found = db.datasets()
        return {"status": "success", "datasets": [{"id": one.id, "name": one.name} for one in found]}

    def add_rows(self, dataset_id: str, rows: list[Any]) -> dict[str, Any]:
        if not all(isinstance(row, dict) for row in rows):
            raise legacy_error(400, "rows must be a list of objects, one per row")
        with self.store.transaction() as db:
            dataset = db.dataset(dataset_id)
            if dataset is None:
                raise legacy_error(404, f"dataset {dataset_id} not found")
            columns = dataset.columns
            if columns is None and rows:
                columns = list(dict.fromkeys(key for row in rows for key in row))
                db.set_columns(dataset_id, columns)
            known = set(columns or ())
            unknown = sorted({key for row in rows for key in row if key not in known})
            if unknown:
                raise legacy_error(
                    400,
                    f"field(s) {', '.join(unknown)} are not in the dataset; its first insert defined the "
                    f"fields {', '.join(columns or [])}",
                )
            db.add_rows(dataset_id, [{column: row.get(column) for column in columns or []} for row in rows])
        return {"status": "success"}

    # -- legacy models -------------------------------------------------------------
    def models(self) -> dict[str, Any]:
        with self.store.transaction() as db:
            found = db.models(now=self.clock())
        return {"status": "success", "models": [{"id": one.id, "name": one.name} for one in found]}

    def predict(self, model_id: str, data: list[Any]) -> dict[str, Any]:
        if not all(isinstance(record, dict) for record in data):
            raise legacy_error(400, "data must be a list of objects, one per record")
        with self.store.transaction() as db:
            model = db.model(model_id, now=self.clock())
        if model is None:
            raise legacy_error(404, f"model {model_id} not found")
        return {"status": "success", "predictions": training.predictions(model.data, data)}

    # -- training ---------------------------------------------------------------------
    def train(self, params: dict[str, Any], *, force: bool) -> str:
        """Start a training (or, without ``force``, answer an earlier successful one with these inputs)."""
        with self.store.transaction() as db:
            now = self.clock()
            if not force:
                for earlier in db.tasks_like(params):
                    if self._word(earlier, now=now) == "SUCCEEDED":
                        return earlier.id
            seq = db.next_seq("tasks")
            new_id = task_id(seq)
            dataset = db.dataset(str(params["dataset_id"]))
            rows = db.rows(dataset.id) if dataset is not None else []
            if dataset is None:
                error: str | None = f"Dataset {params['dataset_id']} not found."
            else:
                error = training.problem(dataset.columns, len(rows), list(params["predict_fields"]))
            error = error or self.faults.job_error("train", seq)
            duration = self.duration("train")
            model_id, result = None, None
            if error is None and dataset is not None and dataset.columns is not None:
                model_seq = db.next_seq("models")
                model_id = object_id("model", model_seq)
                result, data = training.train(model_id, columns=dataset.columns, rows=rows, params=params)
                name = f"{dataset.name} - {', '.join(params['predict_fields'])}"
                model = Model(id=model_id, name=name, task_id=new_id, ready_at=now + duration, data=data)
                db.add_model(model, seq=model_seq)
            db.add_task(
                Task(
                    id=new_id, created_at=now, duration=duration, dataset_id=str(params["dataset_id"]),
                    params=params, error=error, model_id=model_id, result=result,
                ),
                seq=seq,
            )  # fmt: skip
            return new_id

    def _word(self, task: Task, *, now: float) -> str:
        where = base.phase(task.created_at, task.duration, now=now, queued=base.QUEUED_SHARE)
        if where == base.ENDED:
            return "FAILED" if task.error is not None else "SUCCEEDED"
        if now - task.created_at >= DAY:
            return "UNKNOWN_TIMEOUT"
        return "PENDING" if where == base.QUEUED else "IN_PROGRESS"

    def _task(self, db: Tx, task_id_: str) -> Task:
        task = db.task(task_id_)
        if task is None:
            raise Problem(404, {"detail": f"Task {task_id_} not found"})
        return task

    def status(self, task_id_: str) -> dict[str, Any]:
        with self.store.transaction() as db:
            task = self._task(db, task_id_)
        now = self.clock()
        word = self._word(task, now=now)
        metadata: dict[str, Any] = {"type": word}
        if word == "IN_PROGRESS":
            metadata["estimate_seconds"] = round(task.created_at + task.duration - now, 1)
        elif word == "SUCCEEDED":
            metadata["location"] = f"/models/train/{task.id}/result"
        elif word == "FAILED":
            metadata["error"] = task.error
        elif word == "UNKNOWN_TIMEOUT":
            # The documented metadata types have none for a timeout; it is a failure with an error.
            metadata = {"type": "FAILED", "error": "The task did not finish within a day; assume it failed."}
        return {"status": word, "metadata": metadata}

    def result(self, task_id_: str) -> dict[str, Any]:
        with self.store.transaction() as db:
            task = self._task(db, task_id_)
        word = self._word(task, now=self.clock())
        if word != "SUCCEEDED" or task.result is None:
            raise Problem(409, {"detail": f"Task {task.id} is {word}: it has no result"})
        return task.result

    # -- statistics ---------------------------------------------------------------------
    def objects(self, db: Tx) -> dict[str, Any]:
        return {"objects": db.object_counts()}
