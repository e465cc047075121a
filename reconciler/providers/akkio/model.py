"""``akkio.model``: a model trained on a dataset to predict some of its fields.

Identity is (dataset id, predict_fields, duration, ignore_fields,
extra_attention): what the training API is given.  Apply submits
``/models/train/new``, records the task id at once, polls ``/status`` and
reads the ``/result``; the state keeps the model and task ids, and the
summary scores and most important field as outputs (``reconciler show``
prints them), with the full stats and field importance in what the record displays.

``force``: the platform answers a training it has already done with the same
inputs by returning that earlier task (``force: false``).  The reconciler
sends ``force: true`` when the spec says ``force: true`` (every new training
asks for a fresh model, never one the platform trained earlier), and also
when it means to train again what the platform already trained: the record
holds a model for exactly these inputs, yet the spec needs a new one (the
record is tainted or the model is gone).  ``force`` is not part of the
identity: it says how a new training is asked for, not what it trains, so
turning it on or off trains nothing.  A retried request whose answer was
lost goes out with ``force: false`` whatever the spec says, so a training
that finished meanwhile is adopted instead of repeated.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler import errors
from reconciler.answers import same_id
from reconciler.providers import jobs
from reconciler.providers.akkio.client import TRAIN, AkkioClient, TrainResult, TrainStatus, job_status
from reconciler.providers.akkio.config import ModelConfig
from reconciler.providers.akkio.dataset import Fields
from reconciler.providers.base import Applied, Decision, Desired, Found, Journal, ResourceType, Target
from reconciler.providers.identity import Identity
from reconciler.spec.checks import Measured
from reconciler.spec.names import suggest
from reconciler.state.document import ResourceState
from reconciler.vocabulary import KNOWN_AFTER_APPLY, Action, KnownAfterApply, Reason, is_known

IDENTITY_KEYS = ("dataset_id", "predict_fields", "duration", "ignore_fields", "extra_attention")


@dataclass(frozen=True)
class ModelFacts:
    """The pending training's status, and whether the recorded model is still listed."""

    status: TrainStatus | None = None
    status_gone: bool = False
    listed: bool | None = None  # None: no model recorded, or the platform does not list models


def dataset_of(desired: Desired[ModelConfig]) -> Any:
    """The dataset id to train on: the referenced dataset's output, or the id given."""
    config = desired.config
    if config.dataset is not None:
        return desired.output(config.dataset, "dataset_id")
    return config.dataset_id


def content_of(desired: Desired[ModelConfig]) -> Any:
    """What the referenced dataset holds where it says so (``append: true``), else None."""
    config = desired.config
    if config.dataset is None:
        return None
    outputs = desired.upstream[config.dataset].outputs
    if isinstance(outputs, KnownAfterApply):
        return KNOWN_AFTER_APPLY
    return outputs.get("content")


class TrainingIdentity(Identity):
    """A training is the same for the same dataset and the same training inputs (what the API is given)."""

    kind = "akkio.model"
    identity_always = frozenset(IDENTITY_KEYS)

    dataset_id: str
    predict_fields: list[str]
    duration: int
    ignore_fields: list[str]
    extra_attention: bool = False
    #: The sha256 of what a dataset that rows are appended to holds (its id stays): another
    #: content is other data to train on.  None for every other dataset.
    dataset_content: str | None = None


def identity(config: ModelConfig, dataset_id: Any, content: Any = None) -> TrainingIdentity:
    return TrainingIdentity(
        dataset_id=str(dataset_id),
        predict_fields=list(config.predict_fields),
        duration=config.duration,
        ignore_fields=sorted(config.ignore_fields),
        extra_attention=config.extra_attention,
        dataset_content=content if isinstance(content, str) else None,
    )


def shown(config: ModelConfig, dataset_id: Any) -> dict[str, Any]:
    """The training inputs as the plan shows them (the dataset may be known only after apply)."""
    return {
        "dataset_id": dataset_id,
        "predict_fields": list(config.predict_fields),
        "duration": config.duration,
        "ignore_fields": sorted(config.ignore_fields),
        "extra_attention": config.extra_attention,
    }


def recorded_identity(record: ResourceState) -> dict[str, Any]:
    return {key: record.inputs.get(key) for key in IDENTITY_KEYS}


def summarize(result: TrainResult) -> dict[str, Any]:
    """The scalars worth showing: a weighted f1 (categories) or r2 (numbers) per field, and the top field."""
    scores: dict[str, float] = {}
    for per_field in result.stats:
        rows = per_field if isinstance(per_field, list) else [per_field]
        if not rows:
            continue
        name = str(rows[0].get("field_name", "?"))
        if all(_number(row.get("f1")) is not None for row in rows):
            counts = [_number(row.get("count")) or 0.0 for row in rows]
            total = sum(counts) or 1.0
            weighted = sum((_number(row.get("f1")) or 0.0) * n for row, n in zip(rows, counts, strict=True))
            scores[f"f1 {name}"] = round(weighted / total, 4)
        elif (r2 := _number(rows[0].get("r2"))) is not None:
            scores[f"r2 {name}"] = round(r2, 4)
    if len(scores) == 1:
        scores = {key.split(" ", 1)[0]: value for key, value in scores.items()}
    summary: dict[str, Any] = dict(scores)
    importance = result.field_importance
    if importance:
        summary["top_field"] = max(importance, key=lambda key: importance[key])
    return summary


def measured(stats: Any) -> dict[str, dict[str, float] | float]:
    """The metrics ``checks`` read (``akkio/config.py``'s ``TRAINING_METRICS``) from a result's ``stats``.

    The first predicted field's stats count (seed 004 shows one list per predicted field): per
    class (by ``class_name``) and, under ``""``, the count-weighted mean over its classes.
    """
    fields = stats if isinstance(stats, list) else []
    first = fields[0] if fields else []
    rows = [row for row in (first if isinstance(first, list) else [first]) if isinstance(row, dict)]
    found: dict[str, dict[str, float] | float] = {}
    for name, key in (("r2", "r2"), ("mean_absolute_error", "mean absolute error")):
        value = _number(rows[0].get(key)) if rows else None
        if value is not None:
            found[name] = value
    total = sum(_number(row.get("count")) or 0.0 for row in rows)
    for metric in ("f1", "precision", "recall", "frequency"):
        per_class = {
            str(row.get("class_name", row.get("class"))): value
            for row in rows
            if (value := _number(row.get(metric))) is not None
        }
        if not per_class:
            continue
        if total and metric != "frequency":
            weighted = sum(
                (_number(row.get(metric)) or 0.0) * (_number(row.get("count")) or 0.0) for row in rows
            )
            per_class[""] = round(weighted / total, 4)
        found[metric] = per_class
    return found


def _number(value: Any) -> float | None:
    """A finite number from a stats cell, or None (the stats' inner shape is the platform's)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _why(before: dict[str, Any], after: dict[str, Any], content: str | None) -> list[str]:
    why = [
        f"{key} changed ({before.get(key)!r} → {after[key]!r})"
        for key in IDENTITY_KEYS
        if before.get(key) != after[key]
    ]
    old = before.get("dataset_content")
    if not why and old is not None and old != content:
        why.append(
            f"rows were appended to dataset {after['dataset_id']} (content {old[:12]} → {str(content)[:12]})"
        )
    return why


def _same_as_recorded(job: jobs.Job, wanted: dict[str, Any]) -> bool:
    """The record is of this training: by fingerprint, or by the recorded inputs as shown.

    A record written before the dataset's content was part of the identity (none recorded)
    is of the same training when its inputs are; one with a content must have this one.
    """
    record, wanted_identity = job.record, job.identity
    if record is None or wanted_identity is None:
        return False
    if jobs.recorded_for(wanted_identity, record):
        return True
    content = record.inputs.get("dataset_content")
    now = wanted_identity.canonical().get("dataset_content")
    return recorded_identity(record) == wanted and content in (None, now)


def _anew(job: jobs.Job) -> Action:
    """A new training replaces a recorded model; with none recorded it creates one."""
    return Action.REPLACE if job.record is not None and job.record.outputs else Action.CREATE


def _training_rules(
    address: str, dataset: str | None, wanted: dict[str, Any], content: str | None
) -> tuple[jobs.Rule, ...]:
    """Akkio's own rules: a training is looked at through its task, and a model through the list."""

    def no_record(job: jobs.Job) -> jobs.Verdict | None:
        if job.record is not None:
            return None
        reason = Reason.NO_RECORD if job.identity is not None else Reason.UPSTREAM_CHANGES
        return jobs.verdict(
            Action.CREATE, reason, f"no model has been trained for {address} yet", summary="train"
        )

    def job_running(job: jobs.Job) -> jobs.Verdict | None:
        pending = job.pending
        if pending is None or pending.job_id is None or job.facts.gone or job.failed:
            return None
        word = job.facts.status.word if job.facts.status else "unknown"
        return jobs.verdict(
            Action.RESUME,
            Reason.JOB_RUNNING,
            f"task {pending.job_id} was submitted by an earlier run ({word}); waiting for it",
            summary="training in progress",
            after={"force": pending.detail.get("force", False)},
        )

    def answer_lost(job: jobs.Job) -> jobs.Verdict | None:
        if job.pending is None or job.pending.job_id is not None:
            return None
        return jobs.verdict(
            Action.CREATE,
            Reason.ANSWER_LOST,
            "an earlier run sent this training but got no answer; it is sent again with force: "
            "false, so a training that finished meanwhile is returned instead of repeated",
            summary="train",
        )

    def task_failed(job: jobs.Job) -> jobs.Verdict | None:
        pending = job.record.pending if job.record is not None else None
        if pending is None or pending.job_id is None or not job.failed:
            return None
        text = f"task {pending.job_id} failed on the platform: {job.failure}"
        return jobs.verdict(_anew(job), Reason.FAILED_ON_PLATFORM, text)

    def upstream_changes(job: jobs.Job) -> jobs.Verdict | None:
        if job.identity is not None:
            return None
        text = f"{dataset} changes, so the model is trained on the new dataset"
        return jobs.verdict(_anew(job), Reason.UPSTREAM_CHANGES, text)

    def tainted(job: jobs.Job) -> jobs.Verdict | None:
        if job.record is None or job.record.status != "tainted":
            return None
        return jobs.verdict(_anew(job), Reason.TAINTED, f"the last attempt failed: {job.record.error}")

    def inputs_changed(job: jobs.Job) -> jobs.Verdict | None:
        if job.record is None or _same_as_recorded(job, wanted):
            return None
        recorded = {
            **recorded_identity(job.record),
            "dataset_content": job.record.inputs.get("dataset_content"),
        }
        return jobs.verdict(_anew(job), Reason.INPUTS_CHANGED, *_why(recorded, wanted, content))

    def gone(job: jobs.Job) -> jobs.Verdict | None:
        if job.facts.extra.get("listed") is not False:
            return None
        model_id = job.recorded_id
        return jobs.verdict(
            Action.CREATE, Reason.GONE, f"model {model_id} is no longer listed by the platform"
        )

    return jobs.rules(
        no_record,
        job_running,
        answer_lost,
        task_failed,
        upstream_changes,
        tainted,
        inputs_changed,
        gone,
        drop=("failed_on_platform",),
        before={"task_failed": "upstream_changes"},
    )


class Training(ResourceType[ModelConfig, AkkioClient, ModelFacts]):
    """A model trained by Akkio's training API."""

    name = "akkio.model"
    config_class = ModelConfig
    identity_class = TrainingIdentity

    def check(
        self, target: Target[ModelConfig], named: Mapping[tuple[str | int, ...], Any]
    ) -> list[errors.SpecError]:
        """Fields to predict or ignore that the dataset the spec fills does not have (case sensitive)."""
        dataset = named.get(("dataset",))
        if not isinstance(dataset, Fields):
            return []  # a dataset named by id or read by a data source: its fields are not shown
        config = target.config
        problems = []
        for key, names in (
            ("predict_fields", config.predict_fields),
            ("ignore_fields", config.ignore_fields),
        ):
            for index, name in enumerate(names):
                if name in dataset.columns:
                    continue
                close = suggest(name, dataset.columns)
                hint = f"did you mean {close!r}? " if close else ""
                problems.append(
                    target.error(
                        (key, index),
                        f"{key}: {config.dataset} has no field {name!r} (its file's header has "
                        f"{', '.join(dataset.columns)})",
                        hint=hint + "fields are case sensitive",
                    )
                )
        return problems

    def measure(self, record: ResourceState) -> Measured:
        """The result's ``stats`` as recorded (``display``): what the checks are judged against."""
        return measured(record.display.get("stats"))

    async def find(self, client: AkkioClient, desired: Desired[ModelConfig]) -> Found:
        """Akkio lists no trainings with their inputs; it deduplicates an identical training itself."""
        if desired.config.force:
            how = (
                "Akkio lists no trainings with their inputs, and the spec asks for a fresh model "
                "(force: true): a new training is sent"
            )
        else:
            how = (
                "Akkio lists no trainings with their inputs; the training is sent with force: false, "
                "and Akkio answers one it already did with that one (no second training)"
            )
        return Found(searched=False, how=how)

    async def read(
        self, client: AkkioClient, target: Target[ModelConfig], record: ResourceState | None
    ) -> ModelFacts:
        await client.check_api_root()  # a wrong endpoint stops the plan; a 404 below means "gone"
        # A dataset_id was read before planning began (``engine/remote.py``): it names a dataset.
        if record is None:
            return ModelFacts()
        status, gone = None, False
        if record.pending is not None and record.pending.job_id is not None:
            job_id = record.pending.job_id
            status = await jobs.read_or_gone(lambda: client.train_status(str(job_id)))
            gone = status is None
        listed = None
        model_id = record.outputs.get("model_id")
        if model_id is not None:
            models = await client.list_models()
            if models is not None:
                listed = any(same_id(item.id, model_id) for item in models)
        return ModelFacts(status=status, status_gone=gone, listed=listed)

    def decide(
        self, desired: Desired[ModelConfig], record: ResourceState | None, facts: ModelFacts
    ) -> Decision:
        config = desired.config
        dataset_id, content = dataset_of(desired), content_of(desired)
        wanted = shown(config, dataset_id)
        known = is_known(dataset_id) and dataset_id is not None and is_known(content)
        job = jobs.Job(
            record,
            identity(config, dataset_id, content) if known else None,
            jobs.JobFacts(
                status=job_status(facts.status) if facts.status is not None else None,
                gone=facts.status_gone,
                extra={"listed": facts.listed},
            ),
            jobs.JobWords(noun="task", summary="retrain", id_key="model_id"),
        )
        same_as_recorded = _same_as_recorded(job, wanted)
        retrained = bool(same_as_recorded and record is not None and record.outputs.get("model_id"))
        force = config.force or retrained
        if job.pending is not None and job.pending.job_id is None:
            force = False  # an answer lost: a training that finished meanwhile is returned, not repeated
        before = {}
        if record is not None and record.outputs:
            before = {**recorded_identity(record), "model_id": record.outputs.get("model_id")}
        return jobs.decide(
            job,
            after={**wanted, "force": force},
            before=before,
            ruleset=_training_rules(
                desired.address, config.dataset, wanted, content if isinstance(content, str) else None
            ),
        )

    async def apply(
        self,
        client: AkkioClient,
        desired: Desired[ModelConfig],
        record: ResourceState | None,
        decision: Decision,
        journal: Journal,
    ) -> Applied:
        config = desired.config
        dataset_id = dataset_of(desired)
        if not is_known(dataset_id) or dataset_id is None:
            raise errors.PlanError(
                f"{desired.address}: the dataset to train on is not known", hint="run plan again"
            )
        wanted = identity(config, dataset_id, content_of(desired))
        pending = journal.pending
        if decision.action is Action.RESUME and pending is not None and pending.job_id is not None:
            task_id = str(pending.job_id)
        else:
            force = bool(decision.after.get("force", False))
            await journal.intent("train", identity=wanted, force=force)
            task_id = await client.train(
                dataset_id=str(dataset_id),
                predict_fields=config.predict_fields,
                duration=config.duration,
                ignore_fields=config.ignore_fields,
                extra_attention=config.extra_attention,
                force=force,
            )
            await journal.submitted(task_id)
        what = f"training {task_id} of {desired.address}"
        final = await client.wait(TRAIN, lambda: client.train_status(task_id), what=what, journal=journal)
        result = await client.train_result(task_id, location=final.metadata.location)
        return Applied(
            outputs={
                "model_id": str(result.model_id),
                "task_id": task_id,
                "dataset_id": str(dataset_id),
                **summarize(result),
            },
            display={"stats": result.stats, "field_importance": result.field_importance},
            identity=wanted,
        )
