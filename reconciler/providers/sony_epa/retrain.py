"""``sony_epa.retrain``: the model behind the provider's key is retrained on these files.

Identity is the sha256 of the training file (and of the evaluation file, when
there is one): the same data sent again would be the same expensive retrain.
``switch`` is not part of what makes a retrain "the same": turning it on for a
finished retrain only switches the model's API, and turning it off changes
nothing remote (there is no switching back).

Apply follows the vendor's sequence: ask for an upload URL (which names the
retrain job), record the job id, PUT the data (which starts the retrain),
wait for ``finished``, then switch the model's API with ``update_model``; a
retrain with ``checks`` first reads the results file (the status check's
``download_url``) and is not switched to when it misses one (``rejected``).  A
run that stops on the way resumes from the record: waiting for the known
job, or only switching, or, when the data never reached the platform (the job
still ``waiting``), uploading again to a new job.  The platform has no list
endpoint, so a job whose upload URL was asked for but whose answer was lost
cannot be found again; that costs nothing, because a job without data never
trains.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler import errors
from reconciler.providers import jobs
from reconciler.providers.base import Applied, Decision, Desired, Found, Journal, ResourceType, Target
from reconciler.providers.files import LocalFile, human_size, write_atomically
from reconciler.providers.hashcache import hashed
from reconciler.providers.identity import Identity
from reconciler.providers.sony_epa.client import (
    RETRAIN,
    WAITING_WORD,
    RetrainJob,
    SonyEpaClient,
    first_row,
    job_status,
)
from reconciler.providers.sony_epa.config import RETRAIN_METRICS, RetrainConfig
from reconciler.providers.sony_epa.payload import Prepared
from reconciler.spec.checks import Measured, evaluate
from reconciler.state.document import PendingOperation, ResourceState
from reconciler.vocabulary import Action, Reason

ID = "retrain_job_id"
#: The step announced before the data is PUT: from then on the retrain may have started.
SEND_DATA = "send_data"
DATA_STEPS = ("upload", SEND_DATA)
#: Storage's answer to a second PUT to a used upload URL: the data is there.
ALREADY_USED = 409


@dataclass(frozen=True)
class RetrainFacts:
    """The local files, and the recorded (or pending) retrain job as the platform shows it now."""

    train: LocalFile
    evaluation: LocalFile | None = None
    live: RetrainJob | None = None
    gone: bool = False
    #: The results file on disk (``results_file``), or None when it is missing or not asked for.
    results: LocalFile | None = None


class RetrainIdentity(Identity):
    """What makes a retrain the same one: the data, and whether the API is switched to it.

    ``switch`` is recorded (the first layout did) but a retrain of the same
    data with another ``switch`` is not a new retrain: see ``_data_changes``.
    """

    kind = "sony_epa.retrain"
    identity_always = frozenset({"train_sha256", "eval_sha256", "switch"})

    train_sha256: str
    eval_sha256: str | None = None
    switch: bool = True


def identity(config: RetrainConfig, train: LocalFile, evaluation: LocalFile | None) -> RetrainIdentity:
    return RetrainIdentity(
        train_sha256=train.sha256,
        eval_sha256=evaluation.sha256 if evaluation else None,
        switch=config.switch,
    )


def _label(name: str, file: LocalFile) -> str:
    return f"{name} ({human_size(file.size)}, sha256 {file.sha256[:12]})"


def _data_changes(record: ResourceState, wanted: RetrainIdentity, config: RetrainConfig) -> list[str]:
    reasons = []
    for key, name in (("train_sha256", config.train_file), ("eval_sha256", config.eval_file)):
        old, new = record.inputs.get(key), getattr(wanted, key)
        if old == new:
            continue
        if old is None:
            reasons.append(f"eval_file {name} added")
        elif new is None:
            reasons.append(f"eval_file removed (it was sha256 {str(old)[:12]})")
        else:
            reasons.append(f"{name} changed (sha256 {str(old)[:12]} → {str(new)[:12]})")
    return reasons


class Retrain(ResourceType[RetrainConfig, SonyEpaClient, RetrainFacts]):
    """A retrain of the model behind one API key."""

    name = "sony_epa.retrain"
    config_class = RetrainConfig
    identity_class = RetrainIdentity

    def measure(self, record: ResourceState) -> Measured:
        """The results file's scores as recorded (read only for a retrain with checks)."""
        scores = record.display.get("metrics")
        return dict(scores) if isinstance(scores, dict) else {}

    async def find(self, client: SonyEpaClient, desired: Desired[RetrainConfig]) -> Found:
        """Sony EPA has no list of retrain jobs: a retrain the state lost cannot be found again."""
        return Found(
            searched=False, how="Sony EPA lists no retrain jobs, so a retrain the state lost runs again"
        )

    async def read(
        self, client: SonyEpaClient, target: Target[RetrainConfig], record: ResourceState | None
    ) -> RetrainFacts:
        config = target.config
        train = await _hash(target, "train_file", config.train_file)
        evaluation = await _hash(target, "eval_file", config.eval_file) if config.eval_file else None
        results = await _saved(target)
        job_id = record.outputs.get(ID) if record else None
        if record is not None and record.pending is not None and record.pending.job_id is not None:
            job_id = record.pending.job_id
        if job_id is None:
            await client.check_endpoint()  # before a retrain is planned: a wrong endpoint stops the plan
            return RetrainFacts(train=train, evaluation=evaluation, results=results)
        live = await jobs.read_or_gone(lambda: client.retrain_job(str(job_id)))
        if live is None:
            return RetrainFacts(train=train, evaluation=evaluation, gone=True, results=results)
        return RetrainFacts(train=train, evaluation=evaluation, live=live, results=results)

    def decide(
        self, desired: Desired[RetrainConfig], record: ResourceState | None, facts: RetrainFacts
    ) -> Decision:
        config = desired.config
        after: dict[str, Any] = {
            "train_file": _label(config.train_file, facts.train),
            "eval_file": _label(config.eval_file, facts.evaluation)
            if config.eval_file and facts.evaluation
            else None,
            "switch": config.switch,
        }
        if config.results_file:
            after["results_file"] = config.results_file
        job = jobs.Job(
            record,
            identity(config, facts.train, facts.evaluation),
            jobs.JobFacts(status=job_status(facts.live) if facts.live is not None else None, gone=facts.gone),
            jobs.JobWords(noun="retrain job", summary="retrain", id_key=ID),
        )
        before: dict[str, Any] = {}
        if record is not None and record.outputs:
            before = {key: record.display.get(f"{key}_label", record.inputs.get(key)) for key in after}
            before[ID] = job.recorded_id
        return jobs.decide(job, after=after, before=before, ruleset=_retrain_rules(config, facts))

    async def apply(
        self,
        client: SonyEpaClient,
        desired: Desired[RetrainConfig],
        record: ResourceState | None,
        decision: Decision,
        journal: Journal,
    ) -> Applied:
        config = desired.config
        target = desired.target
        train = await _hash(target, "train_file", config.train_file)
        evaluation = await _hash(target, "eval_file", config.eval_file) if config.eval_file else None
        wanted = identity(config, train, evaluation)
        labels = {
            "train_file": config.train_file,
            "train_file_label": _label(config.train_file, train),
            "eval_file": config.eval_file,
            "eval_file_label": _label(config.eval_file, evaluation)
            if config.eval_file and evaluation
            else None,
        }
        if decision.fingerprint and wanted.fingerprint() != decision.fingerprint:
            raise errors.PlanError(
                f"{desired.address}: the data changed after the plan was made", hint="plan again"
            )
        pending = journal.pending
        if decision.action is Action.RESUME and pending is not None and pending.job_id is not None:
            job_id = str(pending.job_id)
        elif decision.action is Action.UPDATE and record is not None and record.outputs.get(ID):
            job_id = str(record.outputs[ID])
        elif (
            pending is not None
            and pending.step in DATA_STEPS
            and jobs.pending_for(wanted, pending)
            and (adopted := await self.recover(client, desired, pending))
        ):
            job_id = str(adopted)  # an earlier attempt's upload arrived although its answer was lost
        else:
            job_id = await self._submit(client, target, wanted, journal)
        what = f"retrain job {job_id} of {config.train_file}"
        final = await client.wait(RETRAIN, lambda: client.retrain_job(job_id), what=what, journal=journal)
        scores: dict[str, float] = {}
        saved: dict[str, str] = {}
        if config.results_file:
            content = await self._download(client, target, final, job_id)
            saved = {"results_file": config.results_file, "results_sha256": content[1]}
            if target.checks:
                scores = measured(first_row(content[0]))
        elif target.checks and final.download_url:
            scores = measured(await client.results(final.download_url))
        missed = evaluate(target.checks, scores)  # a rejected retrain is not switched to
        already = bool(record and record.outputs.get(ID) == job_id and record.outputs.get("switched"))
        if config.switch and not missed and not already:
            await journal.intent("switch", retrain_job_id=job_id)
            current = journal.pending
            if current is None or current.job_id is None:
                await journal.submitted(job_id)
            await client.update_model(job_id)
        switched = (config.switch and not missed) or bool(
            record and record.outputs.get(ID) == job_id and record.outputs.get("switched")
        )
        return Applied(
            outputs={ID: job_id, "model_id": final.model_id, "switched": switched},
            display={"status": final.status, **labels, **saved, **({"metrics": scores} if scores else {})},
            identity=wanted,
        )

    async def _download(
        self, client: SonyEpaClient, target: Target[RetrainConfig], final: RetrainJob, job_id: str
    ) -> tuple[bytes, str]:
        """Save the results file behind the finished job's ``download_url`` at ``results_file``."""
        relative = target.config.results_file
        assert relative is not None
        if not final.download_url:
            raise errors.ProviderError(
                f"{target.address}: retrain job {job_id} finished, but its status "
                "check gave no download_url, so results_file cannot be saved",
                hint="remove results_file, or check the job on the platform",
            )
        content = await client.download(final.download_url)
        try:
            digest = await asyncio.to_thread(write_atomically, target.path(relative), content)
        except OSError as exc:
            raise target.error(
                ("results_file",), f"cannot write {target.path(relative)}: {exc.strerror}"
            ) from exc
        return content, digest

    async def _submit(
        self,
        client: SonyEpaClient,
        target: Target[RetrainConfig],
        wanted: RetrainIdentity,
        journal: Journal,
    ) -> str:
        config = target.config
        async with Prepared() as prepared:
            payload = await prepared.open(
                target.path(config.train_file), target.path(config.eval_file) if config.eval_file else None
            )
            await journal.intent(
                "upload", identity=wanted, filename=payload.filename, size=payload.size, data_step=True
            )
            job_id, upload_url = await client.upload_url(payload.filename)
            await journal.submitted(job_id)
            await journal.intent(SEND_DATA)  # from here on the data may have arrived
            try:
                await client.upload(upload_url, payload)
            except errors.OutcomeUnknown:
                raise  # the data may have arrived: the job's status decides
            except (errors.TransportError, errors.ApiError) as exc:
                if not (isinstance(exc, errors.ApiError) and exc.status == ALREADY_USED):
                    # Refused or never sent: the job got no data and never trains; say so, so the
                    # next run uploads to a new job without waiting for this one.
                    await journal.intent("upload", data_step=True)
                raise
            await journal.submitted(job_id, data_sent=True)
        return job_id

    async def recover(
        self, client: SonyEpaClient, desired: Desired[RetrainConfig], pending: PendingOperation
    ) -> str | int | None:
        """The job whose data did arrive although the PUT's answer was lost; None when nothing trains."""
        if pending.job_id is None or never_sent(pending):
            return None  # no list endpoint; and a job that got no data never trains
        try:
            live = await client.retrain_job(str(pending.job_id))
        except errors.NotFound:
            return None
        return None if job_status(live).word == WAITING_WORD else pending.job_id


def measured(row: Mapping[str, str]) -> dict[str, float]:
    """The metrics the checks read (``RETRAIN_METRICS``) from the results file's row."""
    found: dict[str, float] = {}
    for name in RETRAIN_METRICS:
        try:
            value = float(row.get(name) or "")
        except ValueError:
            continue
        if math.isfinite(value):
            found[name] = value
    return found


def never_sent(pending: PendingOperation) -> bool:
    """Whether the record says the data was never sent: the job was issued, the PUT not begun.

    Read from the journal, not from a status word (the waiting word is
    INFERRED): records of this version announce the PUT as its own step.
    """
    return pending.step == "upload" and bool(pending.detail.get("data_step"))


def _retrain_rules(config: RetrainConfig, facts: RetrainFacts) -> tuple[jobs.Rule, ...]:
    """Sony EPA's own rules: a retrain is an upload URL, the data PUT there, then (maybe) a switch."""

    def earlier_job_unusable(job: jobs.Job) -> jobs.Verdict | None:
        found = _earlier(job, config)
        return found if found is not None and found.action is not Action.RESUME else None

    def job_running(job: jobs.Job) -> jobs.Verdict | None:
        found = _earlier(job, config)
        return found if found is not None and found.action is Action.RESUME else None

    def no_record(job: jobs.Job) -> jobs.Verdict | None:
        if job.record is not None and (job.recorded_id is not None or job.record.status == "tainted"):
            return None
        return jobs.verdict(Action.CREATE, Reason.NO_RECORD, "no retrain recorded for these files yet")

    def inputs_changed(job: jobs.Job) -> jobs.Verdict | None:
        assert job.record is not None and isinstance(job.identity, RetrainIdentity)
        differences = _data_changes(job.record, job.identity, config)
        return jobs.verdict(Action.REPLACE, Reason.INPUTS_CHANGED, *differences) if differences else None

    def gone(job: jobs.Job) -> jobs.Verdict | None:
        if not job.facts.gone:
            return None
        text = (
            f"retrain job {job.recorded_id} is no longer on the platform (Not found retrain job.); retraining"
        )
        return jobs.verdict(Action.REPLACE, Reason.GONE, text)

    def failed_on_platform(job: jobs.Job) -> jobs.Verdict | None:
        if not job.failed:
            return None
        return jobs.verdict(
            Action.REPLACE, Reason.FAILED_ON_PLATFORM, f"retrain job {job.recorded_id} failed: {job.failure}"
        )

    def results_not_saved(job: jobs.Job) -> jobs.Verdict | None:
        assert job.record is not None
        if not config.results_file or job.record.status == "rejected":
            return None  # a rejected retrain's results file is saved once, by the apply that judged it
        display = job.record.display
        recorded = display.get("results_sha256")
        if display.get("results_file") != config.results_file or not recorded:
            text = (
                f"the results file of retrain job {job.recorded_id} is not saved at {config.results_file} yet"
            )
        elif facts.results is None:
            text = f"{config.results_file} (the results file of retrain job {job.recorded_id}) is missing"
        elif facts.results.sha256 != recorded:
            text = (f"{config.results_file} was edited (sha256 {str(recorded)[:12]} → "
                    f"{facts.results.sha256[:12]}); downloading it again")  # fmt: skip
        else:
            return None
        return jobs.verdict(
            Action.UPDATE,
            Reason.STEP_NOT_DONE,
            text,
            summary="download the results file",
            after={ID: job.recorded_id},
        )

    def switch_not_done(job: jobs.Job) -> jobs.Verdict | None:
        assert job.record is not None
        if not config.switch or job.record.outputs.get("switched") or job.record.status == "rejected":
            return None  # a retrain its checks rejected is not switched to (engine/gates.py keeps it)
        return jobs.verdict(
            Action.UPDATE,
            Reason.STEP_NOT_DONE,
            f"retrain job {job.recorded_id} finished, but the model's API was not switched to it",
            summary="switch the model's API",
            after={ID: job.recorded_id},
        )

    def in_sync(job: jobs.Job) -> jobs.Verdict:
        record, wanted = job.record, job.identity
        assert record is not None and wanted is not None
        digest = wanted.fingerprint()
        refreshed = None
        if record.fingerprint != digest or record.status != "ready" or record.pending is not None:
            update = {"fingerprint": digest, "status": "ready", "pending": None, "inputs": wanted.canonical()}
            refreshed = record.model_copy(update=update)
        return jobs.verdict(Action.NOOP, Reason.IN_SYNC, outputs=dict(record.outputs), refreshed=refreshed)

    return jobs.rules(
        earlier_job_unusable,
        job_running,
        no_record,
        inputs_changed,
        gone,
        failed_on_platform,
        results_not_saved,
        switch_not_done,
        in_sync,
        drop=("answer_lost",),
        before={"earlier_job_unusable": "job_running"},
    )


def _earlier(job: jobs.Job, config: RetrainConfig) -> jobs.Verdict | None:
    """What an earlier run's unfinished retrain needs, or None to decide as if there were none."""
    pending = job.pending
    if pending is None:
        return None
    number = pending.job_id
    if number is None:
        text = ("an earlier run asked for an upload URL but got no answer; "
                "asking again is safe (a job without data never trains)")  # fmt: skip
        return jobs.verdict(job.anew, Reason.ANSWER_LOST, text)
    status = job.facts.status
    if job.facts.gone:
        text = f"retrain job {number} of an earlier run is no longer on the platform; retraining"
        return jobs.verdict(job.anew, Reason.GONE, text)
    if job.failed:
        text = f"retrain job {number} of an earlier run failed: {job.failure}"
        return jobs.verdict(job.anew, Reason.FAILED_ON_PLATFORM, text)
    if never_sent(pending):
        text = (f"an earlier run stopped before sending the data of retrain job {number}, "
                "which therefore never trains; uploading it to a new job")  # fmt: skip
        return jobs.verdict(job.anew, Reason.DATA_NEVER_SENT, text)
    if pending.step in DATA_STEPS and status is not None and status.word == WAITING_WORD:
        text = f"the data for retrain job {number} never arrived; uploading it again to a new job"
        return jobs.verdict(job.anew, Reason.DATA_NEVER_SENT, text)
    if pending.step == "switch":
        text = f"retrain job {number} finished; an earlier run stopped before switching the API to it"
    else:
        then = ", then switching the model's API to it" if config.switch else ""
        text = f"retrain job {number} was submitted by an earlier run; waiting for it{then}"
    return jobs.verdict(
        Action.RESUME, Reason.JOB_RUNNING, text, summary="retrain in progress", after={ID: number}
    )


async def _hash(target: Target[RetrainConfig], field: str, relative: str) -> LocalFile:
    path: Path = target.path(relative)
    try:
        return await asyncio.to_thread(hashed, path)
    except FileNotFoundError as exc:
        raise target.error((field,), f"file {path} does not exist", hint="check the path") from exc
    except OSError as exc:
        raise target.error((field,), f"cannot read {path}: {exc.strerror}") from exc


async def _saved(target: Target[RetrainConfig]) -> LocalFile | None:
    """The results file as it is on disk now, or None when it is missing (or not asked for)."""
    relative = target.config.results_file
    if not relative:
        return None
    try:
        return await asyncio.to_thread(hashed, target.path(relative))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise target.error(("results_file",), f"cannot read {target.path(relative)}: {exc.strerror}") from exc
