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
    load_input,
    output_bytes,
    sha256_of,
    write_atomically,
)
from reconciler.providers.files import human_size
from reconciler.providers.identity import Identity
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
        reasons.append(f"{config.input} changed (sha256 {str(old_sha)[:12]} → {input_sha256[:12]})")
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
            Action.CREATE, Reason.NO_RECORD, f"{config.input} has not been predicted by {model}"
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

    def gone(job: jobs.Job) -> jobs.Verdict | None:
        if facts.output_sha256 is not None:
            return None
        return jobs.verdict(Action.CREATE, Reason.GONE, f"{config.output} does not exist")

    def output_edited(job: jobs.Job) -> jobs.Verdict | None:
        assert job.record is not None and facts.output_sha256 is not None
        recorded = str(job.record.outputs.get("output_sha256", ""))
        if facts.output_sha256 == recorded:
            return None
        text = f"{config.output} was edited (sha256 {recorded[:12]} → {facts.output_sha256[:12]})"
        return jobs.verdict(Action.REPLACE, Reason.LIVE_CHANGED, text)

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
        path = target.path(config.input)
        try:
            found, _ = await asyncio.to_thread(load_input, path)
        except FileNotFoundError as exc:
            raise target.error(("input",), f"file {path} does not exist", hint="check the path") from exc
        except InputError as exc:
            raise target.error(("input",), f"cannot read {path} as records: {exc}") from exc
        except OSError as exc:
            raise target.error(("input",), f"cannot read {path}: {exc.strerror}") from exc
        output = await asyncio.to_thread(sha256_of, target.path(config.output))
        if not _in_sync(config, record, found, output):
            await client.check_endpoint()  # before a task is planned: a wrong endpoint stops the plan
        task = None
        if record is not None and record.pending is not None and record.pending.job_id is not None:
            task = await client.task_info(str(record.pending.job_id))
        return PredictionFacts(input=found, output_sha256=output, task=task, read_at=client.now())

    def decide(
        self, desired: Desired[PredictionsConfig], record: ResourceState | None, facts: PredictionFacts
    ) -> Decision:
        config = desired.config
        model = f"{config.bucket}/{config.model_path}"
        after = {
            "input": f"{config.input} ({facts.input.records} records, {human_size(facts.input.size)}, "
            f"sha256 {facts.input.sha256[:12]})",
            "model": model,
            "return_only_prediction": config.return_only_prediction,
            "output": config.output,
        }
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
        if decision.action is Action.RESUME and pending is not None and pending.job_id is not None:
            task_id = str(pending.job_id)
        else:
            path = desired.target.path(config.input)
            try:
                found, records = await asyncio.to_thread(load_input, path)
            except (OSError, InputError) as exc:
                raise errors.PlanError(f"{desired.address}: cannot read {config.input}: {exc}") from exc
            wanted = identity(config, found.sha256)
            if decision.fingerprint and wanted.fingerprint() != decision.fingerprint:
                raise errors.PlanError(
                    f"{desired.address}: {config.input} changed after the plan was made",
                    hint="run plan again",
                )
            await journal.intent(
                "predict",
                identity=wanted,
                input=config.input,
                input_sha256=found.sha256,
                records=found.records,
            )
            task_id = await client.create_prediction_task(
                records,
                model_path=config.model_path,
                bucket=config.bucket,
                return_only_prediction=config.return_only_prediction,
            )
            await journal.submitted(task_id)
        what = f"prediction task {task_id} ({config.input} → {config.bucket}/{config.model_path})"
        final = await client.wait(PREDICTION, lambda: client.task_info(task_id), what=what, journal=journal)
        result = prediction_result(final.raw)
        output = desired.target.path(config.output)
        try:
            written = await asyncio.to_thread(write_atomically, output, output_bytes(result))
        except OSError as exc:
            raise errors.ProviderError(
                f"{desired.address}: cannot write {output}: {exc.strerror}", hint="check the output path"
            ) from exc
        submitted = journal.pending.detail if journal.pending is not None else {}
        input_sha256 = submitted.get("input_sha256")
        if not isinstance(input_sha256, str):
            input_sha256 = (await asyncio.to_thread(load_input, desired.target.path(config.input)))[0].sha256
        return Applied(
            outputs={"task_id": task_id, "output": config.output, "output_sha256": written},
            display={
                "state": final.raw.get("state"),
                "predictions": len(result) if isinstance(result, list) else None,
                "input": config.input,
                "input_label": decision.after.get("input", config.input),
            },
            identity=identity(config, input_sha256),
        )
