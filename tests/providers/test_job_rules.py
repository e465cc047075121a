"""Every job-like resource type through the same cases: one table of (action, reason) per case.

The job state machine is one module (``providers/jobs.py``) plus each type's
own rules, so each type is run through the same situations: nothing recorded,
a job pending with and without its id, a job the platform says failed, an
object gone, other inputs, an upstream changing, a tainted record, a forced
replacement and a record in sync.  ``decide`` is pure: the facts are made by
hand, in each type's own shapes.  Where a type's own rules decide otherwise,
the row says so and why.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from reconciler.engine.graph import Graph
from reconciler.engine.planner import _forced, target_of
from reconciler.providers.akkio.client import Listed, TrainStatus
from reconciler.providers.akkio.dataset import DatasetFacts
from reconciler.providers.akkio.dataset import LocalFile as AkkioFile
from reconciler.providers.akkio.model import ModelFacts
from reconciler.providers.akkio.predictions import PredictionFacts as AkkioPredictionFacts
from reconciler.providers.alviss import shapes
from reconciler.providers.alviss.active_dataset import ActiveDatasetFacts
from reconciler.providers.alviss.attribution_set import SetFacts
from reconciler.providers.alviss.client import job_status as alviss_status
from reconciler.providers.alviss.upload import LocalFile as AlvissFile
from reconciler.providers.alviss.upload import UploadFacts
from reconciler.providers.base import Decision, Desired, Upstream
from reconciler.providers.datrics.client import TaskInfo, TaskReport
from reconciler.providers.datrics.files import InputFile
from reconciler.providers.datrics.predictions import PredictionFacts
from reconciler.providers.files import LocalFile as SonyFile
from reconciler.providers.jobs import JobFacts
from reconciler.providers.registry import resource_type, spec_registry
from reconciler.providers.sony_epa.client import RetrainJob
from reconciler.providers.sony_epa.retrain import RetrainFacts
from reconciler.spec import load_spec
from reconciler.spec.document import Spec
from reconciler.state.document import PendingOperation, ResourceState
from reconciler.vocabulary import KNOWN_AFTER_APPLY, Action, Reason

SPEC = """
providers:
  alviss: {endpoint: "emulator://alviss", team: 1, project: 1}
  akkio: {endpoint: "emulator://akkio"}
  sony_epa: {endpoint: "emulator://sony_epa"}
  datrics: {endpoint: "emulator://datrics", user_id: 42, email: analyst@example.com}
resources:
  alviss.upload.u: {dataset_name: Sales, file: u.csv}
  alviss.active_dataset.d: {contains: [alviss.upload.u]}
  alviss.refit.r:
    model: 3
    dataset: alviss.active_dataset.d
    combination: {country: SWE, region: all, grouping: all}
  alviss.model.m: {from_model: alviss.refit.r, dataset: alviss.active_dataset.d}
  alviss.attribution.a: {model: alviss.refit.r, dataset: alviss.active_dataset.d}
  alviss.active_attribution_set.s: {includes: [alviss.attribution.a]}
  akkio.dataset.d: {name: Leads, file: leads.csv}
  akkio.model.m: {dataset: akkio.dataset.d, predict_fields: [y], duration: 60}
  sony_epa.retrain.r: {train_file: train.csv}
  datrics.predictions.p: {model_path: 1/4/model-groups/2/2.json, bucket: b, input: in.csv, output: out.json}
  akkio.predictions.p: {model: akkio.model.m, input: in.csv, output: out.csv}
"""

#: What each upstream gives when it is in sync, and (for "inputs changed") another object of it.
OUTPUTS: Mapping[str, Mapping[str, Any]] = {
    "alviss.upload.u": {"upload_id": 7},
    "alviss.active_dataset.d": {"dataset_id": 5, "upload_ids": [7]},
    "alviss.refit.r": {"model_id": 12, "dataset_id": 5},
    "alviss.attribution.a": {"attribution_id": 30},
    "akkio.dataset.d": {"dataset_id": "ds-1", "rows": 3},
    "akkio.model.m": {"model_id": "m-1"},
}
OTHER: Mapping[str, Mapping[str, Any]] = {
    "alviss.upload.u": {"upload_id": 8},
    "alviss.active_dataset.d": {"dataset_id": 6, "upload_ids": [8]},
    "alviss.refit.r": {"model_id": 14, "dataset_id": 6},
    "alviss.attribution.a": {"attribution_id": 31},
    "akkio.dataset.d": {"dataset_id": "ds-2", "rows": 3},
    "akkio.model.m": {"model_id": "m-2"},
}
OUTPUT_SHA = "e" * 64
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
JOB = 9  # the id of a job an earlier run submitted

#: The state of the recorded (or pending) job the facts show.
Shown = str  # "none" (nothing to read), "done", "running", "failed", "gone"


def _alviss(word: str | None) -> dict[str, Any]:
    return {"IId": JOB, "Status": word}


def _job_facts(shown: Shown) -> JobFacts:
    word = {"done": "complete", "running": "processing", "failed": "failed"}.get(shown)
    if shown == "gone":
        return JobFacts(gone=True)
    if word is None:
        return JobFacts()
    return JobFacts(live=_alviss(word), status=alviss_status(shapes.Job.model_validate(_alviss(word))))


def _upload(shown: Shown) -> UploadFacts:
    file = AlvissFile(path="u.csv", size=10, sha256="a" * 64)
    word = {"done": "complete", "running": "processing", "failed": "failed"}.get(shown)
    live = shapes.Upload.model_validate(_alviss(word)) if word else None
    return UploadFacts(file=file, live=live, gone=shown == "gone")


def _active_dataset(shown: Shown) -> ActiveDatasetFacts:
    active = shapes.ActiveDataset(IId=5, Status="complete", DataUploads=[7])
    word = {"running": "processing", "failed": "failed"}.get(shown)
    building = shapes.Dataset.model_validate(_alviss(word)) if word else None
    return ActiveDatasetFacts(active=None if shown in ("none", "gone") else active, building=building)


def _attribution_set(shown: Shown) -> SetFacts:
    active = shapes.AttributionSet(IId=40, Status="complete", Attributions=[30])
    word = {"running": "processing", "failed": "failed"}.get(shown)
    building = shapes.AttributionSet.model_validate(_alviss(word)) if word else None
    return SetFacts(active=None if shown in ("none", "gone") else active, building=building)


def _akkio_dataset(shown: Shown) -> DatasetFacts:
    file = AkkioFile(path="leads.csv", size=10, sha256="b" * 64)
    listed = None if shown in ("none", "gone") else Listed(id="ds-1")
    return DatasetFacts(file=file, live=listed, gone=shown == "gone")


def _akkio_model(shown: Shown) -> ModelFacts:
    word = {"running": "IN_PROGRESS", "failed": "FAILED"}.get(shown)
    status = TrainStatus(status=word) if word else None
    return ModelFacts(status=status, listed={"none": None, "gone": False}.get(shown, True))


def _retrain(shown: Shown) -> RetrainFacts:
    word = {"done": "finished", "running": "running", "failed": "failed"}.get(shown)
    live = RetrainJob.model_validate({"status": word, "metadata": {"retrain_job_id": JOB}}) if word else None
    return RetrainFacts(
        train=SonyFile(path="train.csv", size=10, sha256="c" * 64), live=live, gone=shown == "gone"
    )


def _predictions(shown: Shown) -> PredictionFacts:
    word = {"running": "STARTED", "failed": "FAILURE"}.get(shown)
    task = None if word is None else TaskReport(TaskInfo(state=word), {"state": word})
    output = None if shown == "gone" else OUTPUT_SHA
    file = InputFile(path="in.csv", size=10, sha256="d" * 64, records=3)
    return PredictionFacts(input=file, output_sha256=output, task=task, read_at=NOW)


def _akkio_predictions(shown: Shown) -> AkkioPredictionFacts:
    output = None if shown == "gone" else OUTPUT_SHA
    file = InputFile(path="in.csv", size=10, sha256="d" * 64, records=3)
    return AkkioPredictionFacts(input=file, output_sha256=output)


@dataclass(frozen=True)
class Kit:
    """One job-like resource type: its resource in the spec, its facts, and what it records."""

    address: str
    facts: Callable[[Shown], Any]
    outputs: Mapping[str, Any]
    #: The recorded inputs, where the type compares them itself (besides the fingerprint), and others.
    inputs: Mapping[str, Any] = field(default_factory=dict)
    other_inputs: Mapping[str, Any] = field(default_factory=dict)


KITS = (
    Kit("alviss.upload.u", _upload, {"upload_id": 7}),
    Kit("alviss.active_dataset.d", _active_dataset, {"dataset_id": 5, "upload_ids": [7]}),
    Kit("alviss.refit.r", _job_facts, {"model_id": 12, "dataset_id": 5}),
    Kit("alviss.model.m", _job_facts, {"model_id": 13}),
    Kit("alviss.attribution.a", _job_facts, {"attribution_id": 30}),
    Kit(
        "alviss.active_attribution_set.s",
        _attribution_set,
        {"attribution_set_id": 40, "attribution_ids": [30]},
    ),
    Kit("akkio.dataset.d", _akkio_dataset, {"dataset_id": "ds-1", "rows": 3}),
    Kit("akkio.model.m", _akkio_model, {"model_id": "m-1"}),
    Kit(
        "sony_epa.retrain.r",
        _retrain,
        {"retrain_job_id": "job-1", "model_id": "m-2", "switched": True},
        inputs={"train_sha256": "c" * 64, "eval_sha256": None, "switch": True},
        other_inputs={"train_sha256": "f" * 64, "eval_sha256": None, "switch": True},
    ),
    Kit(
        "datrics.predictions.p",
        _predictions,
        {"task_id": "t-0", "output": "out.json", "output_sha256": OUTPUT_SHA},
    ),
    Kit(
        "akkio.predictions.p",
        _akkio_predictions,
        {"model_id": "m-1", "output": "out.csv", "output_sha256": OUTPUT_SHA, "predictions": 3},
    ),
)
SELECTIONS = ("alviss.active_dataset.d", "alviss.active_attribution_set.s")
WITHOUT_UPSTREAM = ("alviss.upload.u", "akkio.dataset.d", "sony_epa.retrain.r", "datrics.predictions.p")


@dataclass(frozen=True)
class Case:
    """One situation, and what every job type does in it unless its own rules say otherwise."""

    name: str
    expected: tuple[Action, Reason]
    #: Per type: another outcome and why its own rules give it (None: the case does not apply).
    own: Mapping[str, tuple[Action, Reason] | None] = field(default_factory=dict)


SELECTION_IGNORES = (Action.NOOP, Reason.IN_SYNC)  # an active selection is judged by the live one
CASES = (
    Case("no record", (Action.CREATE, Reason.NO_RECORD)),
    Case(
        "pending with id",
        (Action.RESUME, Reason.JOB_RUNNING),
        # An Akkio prediction is one call per batch, no job to wait for: an interrupted one is asked again.
        own={"akkio.predictions.p": (Action.CREATE, Reason.ANSWER_LOST)},
    ),
    Case("pending without id", (Action.CREATE, Reason.ANSWER_LOST)),
    Case(
        "failed",
        (Action.REPLACE, Reason.FAILED_ON_PLATFORM),
        # Rows are sent in batches with no job to fail: a dataset being filled is filled on.
        own={"akkio.dataset.d": (Action.RESUME, Reason.JOB_RUNNING), "akkio.predictions.p": None}
        | dict.fromkeys(SELECTIONS, SELECTION_IGNORES),
    ),
    Case(
        "gone",
        (Action.CREATE, Reason.GONE),
        # Sony EPA replaces the retrain job of the API key; a selection gone is the live one changed.
        own={"sony_epa.retrain.r": (Action.REPLACE, Reason.GONE)}
        | dict.fromkeys(SELECTIONS, (Action.CREATE, Reason.LIVE_CHANGED)),
    ),
    Case(
        "inputs changed",
        (Action.REPLACE, Reason.INPUTS_CHANGED),
        own=dict.fromkeys(SELECTIONS, (Action.UPDATE, Reason.INPUTS_CHANGED)),
    ),
    Case(
        "upstream changing",
        (Action.REPLACE, Reason.UPSTREAM_CHANGES),
        own=dict.fromkeys(SELECTIONS, (Action.UPDATE, Reason.UPSTREAM_CHANGES))
        | dict.fromkeys(WITHOUT_UPSTREAM),
    ),
    Case("tainted", (Action.REPLACE, Reason.TAINTED), own=dict.fromkeys(SELECTIONS, SELECTION_IGNORES)),
    Case("forced", (Action.REPLACE, Reason.REPLACE_REQUESTED)),
    Case("in sync", (Action.NOOP, Reason.IN_SYNC)),
)


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> Spec:
    root = tmp_path_factory.mktemp("spec")
    (root / "spec.yaml").write_text(SPEC)
    for name in ("u.csv", "leads.csv", "train.csv", "in.csv"):
        (root / name).write_text("a,y\n1,2\n")  # the files must exist; the facts here are made up
    return load_spec(Path(root / "spec.yaml"), registry=spec_registry(), environ={})


def desired(spec: Spec, address: str, *, changing: bool = False, other: bool = False) -> Desired[Any]:
    """The resource as the planner hands it over: its upstreams in sync, changing, or other objects."""
    upstream = {
        dep: Upstream(
            dep,
            Action.REPLACE if changing else Action.NOOP,
            KNOWN_AFTER_APPLY if changing else dict((OTHER if other else OUTPUTS)[dep]),
        )
        for dep in Graph.from_spec(spec).dependencies[address]
    }
    return Desired(target_of(spec.resources[address], spec), upstream)


def decided(spec: Spec, kit: Kit, case: str) -> Decision:
    rtype = resource_type(spec.resources[kit.address].type)
    wanted = rtype.decide(desired(spec, kit.address), None, kit.facts("none")).fingerprint
    assert wanted is not None
    ready = ResourceState(
        type=spec.resources[kit.address].type,
        provider=spec.resources[kit.address].provider,
        fingerprint=wanted,
        inputs=dict(kit.inputs),
        outputs=dict(kit.outputs),
    )

    def pending(job_id: int | None, base: ResourceState) -> ResourceState:
        operation = PendingOperation(action="create", step="create", fingerprint=wanted, job_id=job_id)
        return base.model_copy(update={"status": "pending", "pending": operation})

    empty = ResourceState(type=ready.type, provider=ready.provider)
    situations: dict[str, tuple[Desired[Any], ResourceState | None, Shown]] = {
        "no record": (desired(spec, kit.address), None, "none"),
        "pending with id": (desired(spec, kit.address), pending(JOB, empty), "running"),
        "pending without id": (desired(spec, kit.address), pending(None, empty), "none"),
        "failed": (desired(spec, kit.address), pending(JOB, ready), "failed"),
        "gone": (desired(spec, kit.address), ready, "gone"),
        "inputs changed": (
            desired(spec, kit.address, other=True),
            ready.model_copy(update={"fingerprint": "sha256:" + "0" * 64, "inputs": dict(kit.other_inputs)}),
            "done",
        ),
        "upstream changing": (desired(spec, kit.address, changing=True), ready, "done"),
        "tainted": (
            desired(spec, kit.address),
            ready.model_copy(update={"status": "tainted", "error": "boom"}),
            "done",
        ),
        "forced": (desired(spec, kit.address), ready, "done"),
        "in sync": (desired(spec, kit.address), ready, "done"),
    }
    wish, record, shown = situations[case]
    decision = rtype.decide(wish, record, kit.facts(shown))
    return _forced(decision, record) if case == "forced" else decision


#: Every (type, case) that applies: a type without upstreams has no "upstream changing".
TABLE = [
    pytest.param(kit, case, expected, id=f"{kit.address.rsplit('.', 1)[0]}: {case.name}")
    for kit in KITS
    for case in CASES
    if (expected := case.own.get(kit.address, case.expected)) is not None
]


def test_the_table_runs_every_job_type_through_every_case() -> None:
    types = {resource_type(kit.address.rsplit(".", 1)[0]).name for kit in KITS}
    assert len(types) == len(KITS) == 11
    assert len(TABLE) == len(KITS) * len(CASES) - len(WITHOUT_UPSTREAM) - 1  # an Akkio prediction never fails


@pytest.mark.parametrize(("kit", "case", "expected"), TABLE)
def test_every_job_type_decides_each_case_by_the_same_rules(
    spec: Spec, kit: Kit, case: Case, expected: tuple[Action, Reason]
) -> None:
    decision = decided(spec, kit, case.name)
    assert (decision.action, decision.reason) == expected, decision.reasons
    if decision.action is not Action.NOOP:
        assert decision.reasons, "every change says why in words too"
