"""``akkio.predictions``: a trained model's predictions for a file of records, kept in a local file.

Akkio predicts through its legacy model call, ``POST /v1/models {api_key,
id, data}`` → ``{"status": "success", "predictions": [...]}``, one answer per
record in order (the vendor's Models page; the public OpenAPI document of
``/api/v1`` does not show it, so its limits and the exact shape of a
prediction are INFERRED).  The records are sent in batches of
``batch_size``, at most ``max_in_flight`` requests unanswered at a time.

A prediction changes nothing on the platform: its only lasting product is the
output file.  So the "live object" compared is local: the output must exist
with the sha256 recorded when it was written, and it must come from the same
inputs (identity: the input's sha256, the model id and ``with_inputs``).  A
new input, another model (a retrained one has a new id), or an output file
that is missing or was edited each plan the predictions again, and the plan
says which.  A model held back by its quality gate (``checks``, rejected)
holds its predictions back too: the engine does not start what refers to it.

An apply interrupted half-way wrote nothing (the output is written at once,
at the end); since the call changes nothing on the platform, the next apply
asks for every batch again.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from reconciler import errors
from reconciler.providers import jobs
from reconciler.providers.akkio.client import AkkioClient
from reconciler.providers.akkio.config import PredictionsConfig
from reconciler.providers.base import Applied, Decision, Desired, Found, Journal, ResourceType, Target
from reconciler.providers.files import human_size
from reconciler.providers.identity import Identity
from reconciler.providers.records import (
    InputError,
    InputFile,
    batches,
    load_inputs,
    output_rules,
    read_files,
    write_output,
)
from reconciler.state.document import ResourceState
from reconciler.vocabulary import Action, Reason, is_known

SUMMARY = "predict"


@dataclass(frozen=True)
class PredictionFacts:
    """The input files as read now, and the output file's sha256 (None: it does not exist)."""

    input: InputFile
    output_sha256: str | None


class PredictionIdentity(Identity):
    """What makes two predictions the same (the output path is where they go, not what they are)."""

    kind = "akkio.predictions"
    identity_always = frozenset({"input_sha256", "model_id", "with_inputs"})

    input_sha256: str
    model_id: str
    with_inputs: bool = True


def model_of(desired: Desired[PredictionsConfig]) -> Any:
    """The model to predict with: the referenced model's output, or the id given."""
    config = desired.config
    if config.model is not None:
        return desired.output(config.model, "model_id")
    return config.model_id


def identity(config: PredictionsConfig, input_sha256: str, model_id: Any) -> PredictionIdentity:
    return PredictionIdentity(
        input_sha256=input_sha256, model_id=str(model_id), with_inputs=config.with_inputs
    )


def _explain(config: PredictionsConfig) -> Any:
    def explain(recorded: Any, wanted: Any) -> list[str]:
        reasons = []
        old, new = recorded.get("input_sha256"), wanted.get("input_sha256")
        if old != new:
            reasons.append(f"{config.input_label} changed (sha256 {str(old)[:12]} → {str(new)[:12]})")
        if recorded.get("model_id") != wanted.get("model_id"):
            reasons.append(f"the model changed ({recorded.get('model_id')} → {wanted.get('model_id')})")
        old_with = recorded.get("with_inputs", True)
        if old_with != wanted.get("with_inputs", True):
            reasons.append(f"with_inputs changed ({old_with} → {wanted.get('with_inputs', True)})")
        return reasons

    return explain


def _rules(config: PredictionsConfig, facts: PredictionFacts) -> tuple[jobs.Rule, ...]:
    """Akkio's own rules for a prediction: no job on the platform, its result a local file."""

    def no_record(job: jobs.Job) -> jobs.Verdict | None:
        record = job.record
        if record is not None and (record.outputs or record.status == "tainted"):
            return None
        if job.identity is None:
            waits = (f"waits for {address}" for address in job.waiting_on)
            return jobs.verdict(Action.CREATE, Reason.UPSTREAM_CHANGES, *waits)
        return jobs.verdict(
            Action.CREATE, Reason.NO_RECORD, f"{config.input_label} has not been predicted yet"
        )

    def answer_lost(job: jobs.Job) -> jobs.Verdict | None:
        if job.pending is None:
            return None
        return jobs.verdict(
            job.anew,
            Reason.ANSWER_LOST,
            "an earlier run was stopped while predicting; a prediction changes nothing on the "
            "platform, so every batch is asked again",
        )

    def upstream_changes(job: jobs.Job) -> jobs.Verdict | None:
        if job.identity is not None:
            return None
        return jobs.verdict(
            Action.REPLACE,
            Reason.UPSTREAM_CHANGES,
            f"{config.model} changes, so the records are predicted by the new model",
        )

    gone, output_edited = output_rules(config.output, facts.output_sha256)

    def in_sync(job: jobs.Job) -> jobs.Verdict:
        record, wanted = job.record, job.identity
        assert record is not None and wanted is not None
        outputs = {**record.outputs, "output": config.output}
        refreshed = jobs.upgraded(wanted, record)
        if record.outputs != outputs:  # the output was moved by hand, same content: record where it is
            refreshed = (refreshed or record).model_copy(update={"outputs": outputs})
        return jobs.verdict(Action.NOOP, Reason.IN_SYNC, outputs=outputs, refreshed=refreshed)

    return jobs.rules(
        answer_lost,
        no_record,
        upstream_changes,
        gone,
        output_edited,
        in_sync,
        drop=("job_running", "failed_on_platform"),
    )


class Predictions(ResourceType[PredictionsConfig, AkkioClient, PredictionFacts]):
    """Predictions of a trained Akkio model, written to a local CSV or JSON file."""

    name = "akkio.predictions"
    config_class = PredictionsConfig
    identity_class = PredictionIdentity

    async def find(self, client: AkkioClient, desired: Desired[PredictionsConfig]) -> Found:
        """A prediction leaves nothing on the platform, and an output file does not say what made it."""
        return Found(
            searched=False,
            how="a prediction leaves nothing on the platform, and an output file does not say what made it",
        )

    async def read(
        self, client: AkkioClient, target: Target[PredictionsConfig], record: ResourceState | None
    ) -> PredictionFacts:
        config = target.config
        several = not isinstance(config.input, str)
        found, output = await read_files(target, config.inputs, several=several, output=config.output)
        return PredictionFacts(input=found, output_sha256=output)

    def decide(
        self, desired: Desired[PredictionsConfig], record: ResourceState | None, facts: PredictionFacts
    ) -> Decision:
        config = desired.config
        model_id = model_of(desired)
        known = is_known(model_id) and model_id is not None
        count = len(batches([{}] * facts.input.records, config.batch_size)) if facts.input.records else 0
        after: dict[str, Any] = {
            "input": f"{config.input_label} ({facts.input.records} records, {human_size(facts.input.size)}, "
            f"sha256 {facts.input.sha256[:12]})",
            "model_id": model_id,
            "with_inputs": config.with_inputs,
            "output": config.output,
            "batches": f"{count} of at most {config.batch_size} records, {config.max_in_flight} in flight",
        }
        before: dict[str, Any] = {}
        if record is not None and record.outputs:
            before = {
                "input": record.display.get("input_label"),
                "model_id": record.inputs.get("model_id"),
                "with_inputs": record.inputs.get("with_inputs", True),
                "output": record.outputs.get("output"),
            }
        waiting = (config.model,) if config.model is not None and not known else ()
        job = jobs.Job(
            record,
            identity(config, facts.input.sha256, model_id) if known else None,
            jobs.JobFacts(),
            jobs.JobWords(noun="prediction", summary=SUMMARY, id_key="output_sha256"),
            waiting_on=waiting,
            explain=_explain(config),
        )
        return jobs.decide(job, after=after, before=before, ruleset=_rules(config, facts))

    async def apply(
        self,
        client: AkkioClient,
        desired: Desired[PredictionsConfig],
        record: ResourceState | None,
        decision: Decision,
        journal: Journal,
    ) -> Applied:
        config = desired.config
        model_id = model_of(desired)
        if not is_known(model_id) or model_id is None:
            raise errors.PlanError(
                f"{desired.address}: the model to predict with is not known", hint="run plan again"
            )
        paths = [desired.target.path(name) for name in config.inputs]
        try:
            found, records = await asyncio.to_thread(load_inputs, paths)
        except (OSError, InputError) as exc:
            raise errors.PlanError(f"{desired.address}: cannot read {config.input_label}: {exc}") from exc
        wanted = identity(config, found.sha256, model_id)
        if decision.fingerprint and wanted.fingerprint() != decision.fingerprint:
            raise errors.PlanError(
                f"{desired.address}: {config.input_label} changed after the plan was made",
                hint="run plan again",
            )
        parts = batches(records, config.batch_size) if records else []
        await journal.intent(
            "predict",
            identity=wanted,
            input=config.input_label,
            records=found.records,
            batches=len(parts),
        )
        answers = await _predict(client, str(model_id), parts, max_in_flight=config.max_in_flight)
        rows = [
            {**record_, **answer} if config.with_inputs else answer
            for record_, answer in zip(records, answers, strict=True)
        ]
        written = await write_output(desired.target, config.output, rows)
        return Applied(
            outputs={
                "model_id": str(model_id),
                "output": config.output,
                "output_sha256": written,
                "predictions": len(rows),
            },
            display={
                "batches": len(parts),
                "input": config.input_label,
                "input_label": decision.after.get("input", config.input_label),
            },
            identity=wanted,
        )


async def _predict(
    client: AkkioClient, model_id: str, parts: list[list[dict[str, Any]]], *, max_in_flight: int
) -> list[dict[str, Any]]:
    """Every batch's predictions, in record order; at most ``max_in_flight`` requests at once."""
    gate = asyncio.Semaphore(max_in_flight)

    async def one(part: list[dict[str, Any]]) -> list[dict[str, Any]]:
        async with gate:
            answers = await client.predict(model_id, part)
        if len(answers) != len(part):
            raise errors.ProviderError(
                f"{client.http.service}: POST /v1/models answered {len(answers)} predictions for "
                f"{len(part)} records"
            )
        return [item if isinstance(item, dict) else {"prediction": item} for item in answers]

    try:
        async with asyncio.TaskGroup() as group:
            running = [group.create_task(one(part)) for part in parts]
    except BaseExceptionGroup as grouped:  # the first failure is the run's outcome
        raise _first(grouped) from None
    return [answer for task in running for answer in task.result()]


def _first(grouped: BaseExceptionGroup[BaseException]) -> BaseException:
    first = grouped.exceptions[0]
    return _first(first) if isinstance(first, BaseExceptionGroup) else first
