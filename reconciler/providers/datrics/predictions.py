"""``datrics.predictions``: a deployed model's predictions for a file of records, kept in a file.

A prediction task changes nothing on the platform: its only lasting product
is the output file.  So the "live object" this resource compares is local:
the output file must exist with the sha256 recorded when it was written, and
it must have come from the same inputs (identity: the input's sha256, the
model path, the bucket and ``return_only_prediction``).  A new input, a new
model path (a new model version), a different bucket or option, or an output
file that is missing or was edited each plan one new prediction task, and
the plan says which.

Datrics documents no way to list tasks, so a task whose answer was lost
cannot be looked up (``recover`` finds nothing) and is sent again: nothing on
the platform changes, but the prediction is computed twice (a limit of the
API; a submission refused before it was queued runs once).  Celery reports
an unknown task as ``PENDING``, so a recorded task the platform lost reads
``PENDING`` forever: waiting ends at the deadline (the task stays recorded),
and a plan made later than the deadline after submission takes a task still
``PENDING`` as lost and sends it again.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from reconciler import errors
from reconciler.providers import jobs
from reconciler.providers.base import Applied, Decision, Desired, Found, Journal, ResourceType, Target
from reconciler.providers.datrics.client import (
    PREDICTION,
    DatricsClient,
    TaskReport,
    prediction_result,
    task_status,
)
from reconciler.providers.datrics.config import PredictionsConfig
from reconciler.providers.datrics.files import (
    InputError,
    InputFile,
    batches,
    load_inputs,
    rows_of,
)
from reconciler.providers.files import human_size
from reconciler.providers.identity import Identity
from reconciler.providers.records import output_rules, read_files, write_output
from reconciler.state.document import PendingOperation, ResourceState
from reconciler.vocabulary import VOLATILE, Action, Reason

#: A task still PENDING this long after it was submitted is taken as lost (Celery's answer for unknown ids).
LOST_AFTER = timedelta(seconds=PREDICTION.deadline)
SUMMARY = "new prediction task"


@dataclass(frozen=True)
class PredictionFacts:
    """The input file, the output file's sha256 (None: missing) and any recorded task in progress."""

    input: InputFile
    output_sha256: str | None
    task: TaskReport | None = None
    #: When the facts were read: decides whether a task PENDING too long is lost; not part of the basis.
    read_at: datetime | None = field(default=None, metadata=VOLATILE)


class PredictionIdentity(Identity):
    """What makes two predictions the same (the output path is where it goes, not what it is)."""

    kind = "datrics.predictions"
    identity_always = frozenset({"input_sha256", "model_path", "bucket", "return_only_prediction"})

    input_sha256: str
    model_path: str
    bucket: str
    return_only_prediction: bool = False


def identity(config: PredictionsConfig, input_sha256: str) -> PredictionIdentity:
    return PredictionIdentity(
        input_sha256=input_sha256,
        model_path=config.model_path,
        bucket=config.bucket,
        return_only_prediction=config.return_only_prediction,
    )


def _changed(config: PredictionsConfig, recorded: dict[str, Any], input_sha256: str) -> list[str]:
    """Which identity inputs differ from those recorded, in words."""
    reasons = []
    old_sha = recorded.get("input_sha256")
    if old_sha is not None and old_sha != input_sha256:
        reasons.append(f"{config.input_label} changed (sha256 {str(old_sha)[:12]} → {input_sha256[:12]})")
    for key in ("model_path", "bucket", "return_only_prediction"):
        if key in recorded and recorded[key] != getattr(config, key):
            reasons.append(f"{key} changed ({recorded[key]} → {getattr(config, key)})")
    return reasons


def _in_sync(
    config: PredictionsConfig, record: ResourceState | None, found: InputFile, output: str | None
) -> bool:
    """Whether the recorded prediction still holds locally (then nothing is asked of the platform)."""
    return (
        record is not None
        and record.pending is None
        and record.status == "ready"
        and jobs.recorded_for(identity(config, found.sha256), record)
        and output is not None
        and output == record.outputs.get("output_sha256")
    )


def _lost(pending: PendingOperation, read_at: datetime | None) -> bool:
    return read_at is not None and read_at - pending.submitted_at > LOST_AFTER


def _task_rules(config: PredictionsConfig, model: str, facts: PredictionFacts) -> tuple[jobs.Rule, ...]:
    """Datrics' own rules: a task is a Celery task (PENDING for ids it does not know), its result a file."""

    def no_record(job: jobs.Job) -> jobs.Verdict | None:
        if job.record is not None:
            return None
        return jobs.verdict(
            Action.CREATE, Reason.NO_RECORD, f"{config.input_label} has not been predicted by {model}"
        )

    def answer_lost(job: jobs.Job) -> jobs.Verdict | None:
        if job.pending is None or job.pending.job_id is not None:
            return None
        text = "an earlier run sent this task but got no answer; it will be sent again"
        return jobs.verdict(Action.CREATE, Reason.ANSWER_LOST, text)

    def task_failed(job: jobs.Job) -> jobs.Verdict | None:
        if job.pending is None or job.pending.job_id is None or not job.failed:
            return None
        text = f"task {job.pending.job_id} failed: {job.failure}"
        return jobs.verdict(Action.REPLACE, Reason.FAILED_ON_PLATFORM, text)

    def task_lost(job: jobs.Job) -> jobs.Verdict | None:
        pending, status = job.pending, job.facts.status
        if pending is None or status is None or status.word != "PENDING" or not _lost(pending, facts.read_at):
            return None
        return jobs.verdict(
            Action.CREATE,
            Reason.GONE,
            f"task {pending.job_id} still reads PENDING long after it was submitted; Celery reports a "
            "task it does not know as PENDING, so it is taken as lost and sent again",
        )

    def job_running(job: jobs.Job) -> jobs.Verdict | None:
        if job.pending is None or job.pending.job_id is None:
            return None
        task_id, status = job.pending.job_id, job.facts.status
        word = f" (now {status.word})" if status is not None else ""
        return jobs.verdict(
            Action.RESUME,
            Reason.JOB_RUNNING,
            f"task {task_id} was submitted by an earlier run; waiting for it{word}",
            summary="prediction task in progress",
            before={},
            after={"task_id": task_id},
        )

    def inputs_changed(job: jobs.Job) -> jobs.Verdict | None:
        record = job.record
        assert record is not None and job.identity is not None
        if jobs.recorded_for(job.identity, record):
            return None
        recorded = record.inputs or (record.pending.detail if record.pending is not None else {})
        reasons = _changed(config, recorded, facts.input.sha256) or ["the inputs changed"]
        return jobs.verdict(Action.REPLACE, Reason.INPUTS_CHANGED, *reasons)

    gone, output_edited = output_rules(config.output, facts.output_sha256)

    def in_sync(job: jobs.Job) -> jobs.Verdict:
        record, wanted = job.record, job.identity
        assert record is not None and wanted is not None
        outputs = {
            "task_id": record.outputs.get("task_id"),
            "output": config.output,
            "output_sha256": str(record.outputs.get("output_sha256", "")),
        }
        refreshed = jobs.upgraded(wanted, record)
        if record.outputs != outputs:  # the output was moved by hand, same content: record where it is
            refreshed = (refreshed or record).model_copy(update={"outputs": outputs})
        return jobs.verdict(Action.NOOP, Reason.IN_SYNC, outputs=outputs, refreshed=refreshed)

    return jobs.rules(
        task_failed,
        task_lost,
        job_running,
        answer_lost,
        no_record,
        inputs_changed,
        gone,
        output_edited,
        in_sync,
        drop=("failed_on_platform",),
        before={"task_failed": "job_running", "task_lost": "job_running"},
    )


class Predictions(ResourceType[PredictionsConfig, DatricsClient, PredictionFacts]):
    """Predictions of a deployed Datrics model, written to a local JSON file."""

    name = "datrics.predictions"
    config_class = PredictionsConfig
    identity_class = PredictionIdentity

    async def find(self, client: DatricsClient, desired: Desired[PredictionsConfig]) -> Found:
        """Datrics lists no prediction tasks; an output file alone does not say which inputs made it."""
        return Found(
            searched=False,
            how="Datrics lists no prediction tasks, and an output file does not say what made it",
        )

    async def read(
        self, client: DatricsClient, target: Target[PredictionsConfig], record: ResourceState | None
    ) -> PredictionFacts:
        config = target.config
        several = not isinstance(config.input, str)
        found, output = await read_files(target, config.inputs, several=several, output=config.output)
        if not _in_sync(config, record, found, output):
            await client.check_endpoint()  # before a task is planned: a wrong endpoint stops the plan
        task = None
        if record is not None and record.pending is not None and record.pending.job_id is not None:
            task = await _combined_info(client, str(record.pending.job_id))
        return PredictionFacts(input=found, output_sha256=output, task=task, read_at=client.now())

    def decide(
        self, desired: Desired[PredictionsConfig], record: ResourceState | None, facts: PredictionFacts
    ) -> Decision:
        config = desired.config
        model = f"{config.bucket}/{config.model_path}"
        after = {
            "input": f"{config.input_label} ({facts.input.records} records, {human_size(facts.input.size)}, "
            f"sha256 {facts.input.sha256[:12]})",
            "model": model,
            "return_only_prediction": config.return_only_prediction,
            "output": config.output,
        }
        if config.batch_size is not None:
            count = len(batches([{}] * facts.input.records, config.batch_size))
            after["batches"] = (
                f"{count} of at most {config.batch_size} records, {config.max_in_flight} in flight"
            )
        before: dict[str, Any] = {}
        if record is not None and record.outputs:
            before = {
                "input": record.display.get("input_label", record.display.get("input")),
                "model": f"{record.inputs.get('bucket')}/{record.inputs.get('model_path')}",
                "return_only_prediction": record.inputs.get("return_only_prediction"),
                "output": record.outputs.get("output"),
                "task_id": record.outputs.get("task_id"),
            }
        job = jobs.Job(
            record,
            identity(config, facts.input.sha256),
            jobs.JobFacts(status=task_status(facts.task) if facts.task is not None else None),
            jobs.JobWords(noun="task", summary=SUMMARY, id_key="task_id"),
        )
        return jobs.decide(job, after=after, before=before, ruleset=_task_rules(config, model, facts))

    async def apply(
        self,
        client: DatricsClient,
        desired: Desired[PredictionsConfig],
        record: ResourceState | None,
        decision: Decision,
        journal: Journal,
    ) -> Applied:
        config = desired.config
        pending = journal.pending
        if decision.action is Action.RESUME and pending is not None and BATCHED in pending.detail:
            paths = [desired.target.path(name) for name in config.inputs]
            found, records = await asyncio.to_thread(load_inputs, paths)
            size = pending.detail.get("batch_size")
            parts = batches(records, size if isinstance(size, int) else config.batch_size)
            ids = str(pending.job_id or "").split(",")
            known = [ids[n] if n < len(ids) else "" for n in range(len(parts))]
            return await self._apply_batches(client, desired, decision, journal, parts, found.sha256, known)
        if decision.action is Action.RESUME and pending is not None and pending.job_id is not None:
            task_id = str(pending.job_id)
        else:
            paths = [desired.target.path(name) for name in config.inputs]
            try:
                found, records = await asyncio.to_thread(load_inputs, paths)
            except (OSError, InputError) as exc:
                raise errors.PlanError(f"{desired.address}: cannot read {config.input_label}: {exc}") from exc
            wanted = identity(config, found.sha256)
            if decision.fingerprint and wanted.fingerprint() != decision.fingerprint:
                raise errors.PlanError(
                    f"{desired.address}: {config.input_label} changed after the plan was made",
                    hint="run plan again",
                )
            parts = batches(records, config.batch_size)
            batched = {BATCHED: len(parts), "batch_size": config.batch_size} if len(parts) > 1 else {}
            await journal.intent(
                "predict",
                identity=wanted,
                input=config.input_label,
                input_sha256=found.sha256,
                records=found.records,
                **batched,
            )
            parts = batches(records, config.batch_size)
            if len(parts) > 1:
                known = [""] * len(parts)
                return await self._apply_batches(
                    client, desired, decision, journal, parts, found.sha256, known
                )
            task_id = await client.create_prediction_task(
                records,
                model_path=config.model_path,
                bucket=config.bucket,
                return_only_prediction=config.return_only_prediction,
            )
            await journal.submitted(task_id)
        what = f"prediction task {task_id} ({config.input_label} → {config.bucket}/{config.model_path})"
        final = await client.wait(PREDICTION, lambda: client.task_info(task_id), what=what, journal=journal)
        result = prediction_result(final.raw)
        written = await write_output(desired.target, config.output, result)
        submitted = journal.pending.detail if journal.pending is not None else {}
        input_sha256 = submitted.get("input_sha256")
        if not isinstance(input_sha256, str):
            paths = [desired.target.path(name) for name in config.inputs]
            input_sha256 = (await asyncio.to_thread(load_inputs, paths))[0].sha256
        return Applied(
            outputs={"task_id": task_id, "output": config.output, "output_sha256": written},
            display={
                "state": final.raw.get("state"),
                "predictions": len(result) if isinstance(result, list) else None,
                "input": config.input_label,
                "input_label": decision.after.get("input", config.input_label),
            },
            identity=identity(config, input_sha256),
        )

    async def _apply_batches(
        self,
        client: DatricsClient,
        desired: Desired[PredictionsConfig],
        decision: Decision,
        journal: Journal,
        parts: list[list[dict[str, Any]]],
        input_sha256: str,
        known: list[str],
    ) -> Applied:
        """One task per batch, at most ``max_in_flight`` submitted and unfinished at once; results in order.

        The task ids are recorded as one comma-separated job id, in batch
        order, an empty place for a batch not yet submitted: an interrupted
        run (or ``--detach``) is resumed by waiting for the recorded tasks and
        submitting only the batches without one.
        """
        config = desired.config
        gate = asyncio.Semaphore(config.max_in_flight)
        ids = list(known)
        record_lock = asyncio.Lock()
        stopping: list[bool] = []  # set by the first batch whose wait ends otherwise than done

        async def one(number: int, part: list[dict[str, Any]]) -> tuple[str, Any]:
            async with gate:
                task_id = ids[number - 1]
                if stopping:  # the run is ending (a failure, --detach): submit nothing more
                    raise asyncio.CancelledError
                if not task_id:
                    task_id = await client.create_prediction_task(
                        part,
                        model_path=config.model_path,
                        bucket=config.bucket,
                        return_only_prediction=config.return_only_prediction,
                    )
                    async with record_lock:
                        ids[number - 1] = task_id
                        await journal.submitted(",".join(ids))
                what = (
                    f"prediction task {task_id} (batch {number} of {len(parts)}, {len(part)} records, "
                    f"{config.input_label} → {config.bucket}/{config.model_path})"
                )
                try:
                    final = await client.wait(
                        PREDICTION, lambda: client.task_info(task_id), what=what, journal=journal
                    )
                except BaseException:
                    stopping.append(True)
                    raise
                return task_id, prediction_result(final.raw)

        try:
            async with asyncio.TaskGroup() as group:
                running = [group.create_task(one(number, part)) for number, part in enumerate(parts, start=1)]
        except BaseExceptionGroup as grouped:  # the first failure (or --detach) is the run's outcome
            raise _first(grouped) from None
        done = [task.result() for task in running]
        result: list[Any] = []
        for _, part_result in done:
            rows = rows_of(part_result)
            if rows is None:
                result.append(part_result)
            else:
                result.extend(rows)
        written = await write_output(desired.target, config.output, result)
        task_ids = [task_id for task_id, _ in done]
        return Applied(
            outputs={"task_id": task_ids[-1], "output": config.output, "output_sha256": written},
            display={
                "state": "SUCCESS",
                "task_ids": task_ids,
                "batches": len(parts),
                "predictions": len(result),
                "input": config.input_label,
                "input_label": decision.after.get("input", config.input_label),
            },
            identity=identity(config, input_sha256),
        )


#: The pending detail key of a batched run: how many batches it has.
BATCHED = "batches"


def _first(grouped: BaseExceptionGroup[BaseException]) -> BaseException:
    first = grouped.exceptions[0]
    return _first(first) if isinstance(first, BaseExceptionGroup) else first


async def _combined_info(client: DatricsClient, job_id: str) -> TaskReport:
    """The status of a recorded task, or of a batched run's tasks read as one.

    A failed batch is the run's answer; else the first batch still running;
    else (all finished) the last one.
    """
    ids = [task_id for task_id in job_id.split(",") if task_id]
    if len(ids) <= 1:
        return await client.task_info(ids[0] if ids else job_id)
    reports = [await client.task_info(task_id) for task_id in ids]
    for report in reports:
        if task_status(report).state == "failed":
            return report
    for report in reports:
        if task_status(report).state != "succeeded":
            return report
    return reports[-1]
