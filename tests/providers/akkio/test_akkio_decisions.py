"""Akkio decisions as tables: {spec, state, live facts} → action and reason, with no HTTP and no clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from reconciler.engine.planner import make_plan
from reconciler.providers.akkio.client import (
    Listed,
    TrainResult,
    TrainStatus,
    job_status,
    legacy_root,
    result_path,
)
from reconciler.providers.akkio.config import DatasetConfig, ModelConfig
from reconciler.providers.akkio.dataset import DatasetFacts, LocalFile, read_table, typed
from reconciler.providers.akkio.dataset import identity as dataset_identity
from reconciler.providers.akkio.model import ModelFacts, summarize
from reconciler.providers.akkio.model import identity as model_identity
from reconciler.providers.base import fingerprint
from reconciler.providers.registry import resource_type, spec_registry
from reconciler.spec import load_spec
from reconciler.spec.document import Spec
from reconciler.state.document import PendingOperation, ResourceState, StateDocument
from reconciler.vocabulary import Action

DATASET = "akkio.dataset.leads"
MODEL = "akkio.model.lead"
SPEC = """
providers:
  akkio: {endpoint: "emulator://akkio"}
resources:
  akkio.dataset.leads: {name: Leads, file: leads.csv}
  akkio.model.lead: {dataset: akkio.dataset.leads, predict_fields: [Positive Lead], duration: 60}
"""
FILE = LocalFile(path="leads.csv", size=100, sha256="a" * 64)
NEW_FILE = LocalFile(path="leads.csv", size=120, sha256="b" * 64)
DATASET_CONFIG = DatasetConfig(name="Leads", file="leads.csv")
MODEL_CONFIG = ModelConfig(dataset=DATASET, predict_fields=["Positive Lead"], duration=60)
MODEL_INPUTS = model_identity(MODEL_CONFIG, "DS1").canonical()


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> Spec:
    root = tmp_path_factory.mktemp("spec")
    (root / "spec.yaml").write_text(SPEC)
    (root / "leads.csv").write_text("a,b\n1,2\n")  # a data file must exist (the facts here are made up)
    return load_spec(root / "spec.yaml", registry=spec_registry(), environ={})


def dataset_record(**changes: Any) -> ResourceState:
    inputs = dataset_identity(DATASET_CONFIG, FILE).canonical()
    record = ResourceState(
        type="akkio.dataset", provider="akkio", fingerprint=fingerprint(inputs), inputs=inputs,
        outputs={"dataset_id": "DS1", "rows": 20}, display={"name": "Leads-aaaaaaaaaaaa"},
    )  # fmt: skip
    return record.model_copy(update=changes)


def model_record(inputs: dict[str, Any] = MODEL_INPUTS, **changes: Any) -> ResourceState:
    record = ResourceState(
        type="akkio.model", provider="akkio", fingerprint=fingerprint(inputs), inputs=inputs,
        outputs={"model_id": "M1", "task_id": "T1", "dataset_id": "DS1"},
    )  # fmt: skip
    return record.model_copy(update=changes)


def pending(
    step: str, identity: dict[str, Any], job_id: str | None = None, **detail: Any
) -> PendingOperation:
    return PendingOperation(
        action="create", step=step, fingerprint=fingerprint(identity), job_id=job_id, detail=detail
    )


LISTED = Listed(id="DS1", name="Leads-aaaaaaaaaaaa")
IN_SYNC = {DATASET: DatasetFacts(file=FILE, live=LISTED), MODEL: ModelFacts(listed=True)}
RUNNING = TrainStatus.model_validate(
    {"status": "IN_PROGRESS", "metadata": {"type": "IN_PROGRESS", "estimate_seconds": 30}}
)
FAILED = TrainStatus.model_validate({"status": "FAILED", "metadata": {"type": "FAILED", "error": "boom"}})


@dataclass(frozen=True)
class Case:
    name: str
    state: dict[str, ResourceState]
    facts: dict[str, Any]
    expected: dict[str, Action]
    reason: dict[str, str] = field(default_factory=dict)
    force: bool | None = None


DS_ID = dataset_identity(DATASET_CONFIG, FILE).canonical()
OLD_INPUTS = {**MODEL_INPUTS, "duration": 10}
LOST_TRAINING = ResourceState(
    type="akkio.model", provider="akkio", status="pending", pending=pending("train", MODEL_INPUTS)
)
CASES = [
    Case("nothing recorded", {}, {DATASET: DatasetFacts(file=FILE, live=None), MODEL: ModelFacts()},
         {DATASET: Action.CREATE, MODEL: Action.CREATE}, {DATASET: "not on the platform yet"}, force=False),
    Case("in sync", {DATASET: dataset_record(), MODEL: model_record()}, IN_SYNC,
         {DATASET: Action.NOOP, MODEL: Action.NOOP}),
    Case("file changed: new dataset, retrain", {DATASET: dataset_record(), MODEL: model_record()},
         {**IN_SYNC, DATASET: DatasetFacts(file=NEW_FILE, live=LISTED)},
         {DATASET: Action.REPLACE, MODEL: Action.REPLACE},
         {DATASET: "changed (sha256 aaaaaaaaaaaa → bbbbbbbbbbbb)", MODEL: "akkio.dataset.leads changes"}),
    Case("dataset gone", {DATASET: dataset_record(), MODEL: model_record()},
         {**IN_SYNC, DATASET: DatasetFacts(file=FILE, live=None, gone=True)},
         {DATASET: Action.CREATE, MODEL: Action.REPLACE}, {DATASET: "no longer exists"}),
    Case("duration changed: retrain without force",
         {DATASET: dataset_record(), MODEL: model_record({**MODEL_INPUTS, "duration": 10})}, IN_SYNC,
         {DATASET: Action.NOOP, MODEL: Action.REPLACE}, {MODEL: "duration changed (10 → 60)"}, force=False),
    Case("tainted model with the same inputs: retrain with force",
         {DATASET: dataset_record(), MODEL: model_record(status="tainted", error="boom")}, IN_SYNC,
         {DATASET: Action.NOOP, MODEL: Action.REPLACE}, {MODEL: "the last attempt failed: boom"}, force=True),
    Case("model no longer listed: train again with force",
         {DATASET: dataset_record(), MODEL: model_record()}, {**IN_SYNC, MODEL: ModelFacts(listed=False)},
         {DATASET: Action.NOOP, MODEL: Action.CREATE}, {MODEL: "no longer listed"}, force=True),
    Case("training running: resume",
         {DATASET: dataset_record(),
          MODEL: model_record(status="pending", pending=pending("train", MODEL_INPUTS, "T2"))},
         {**IN_SYNC, MODEL: ModelFacts(status=RUNNING, listed=True)},
         {DATASET: Action.NOOP, MODEL: Action.RESUME}, {MODEL: "task T2 was submitted by an earlier run"}),
    Case("pending training failed meanwhile: retrain",
         {DATASET: dataset_record(),
          MODEL: model_record(OLD_INPUTS, pending=pending("train", MODEL_INPUTS, "T2"))},
         {**IN_SYNC, MODEL: ModelFacts(status=FAILED, listed=True)},
         {DATASET: Action.NOOP, MODEL: Action.REPLACE}, {MODEL: "task T2 failed on the platform: boom"}),
    Case("training sent, answer lost: send again without force",
         {DATASET: dataset_record(), MODEL: LOST_TRAINING},
         {**IN_SYNC, MODEL: ModelFacts()},
         {DATASET: Action.NOOP, MODEL: Action.CREATE}, {MODEL: "got no answer"}, force=False),
    Case("dataset half filled: resume",
         {DATASET: ResourceState(type="akkio.dataset", provider="akkio", status="pending",
                                 pending=pending("add_rows", DS_ID, "DS2", offset=1000, count=1000,
                                                 rows_added=2000))},
         {DATASET: DatasetFacts(file=FILE, live=Listed(id="DS2")), MODEL: ModelFacts()},
         {DATASET: Action.RESUME, MODEL: Action.CREATE}, {DATASET: "2000 rows were confirmed"}),
    Case("a batch without an answer: a fresh dataset",
         {DATASET: ResourceState(type="akkio.dataset", provider="akkio", status="pending",
                                 pending=pending("add_rows", DS_ID, "DS2", offset=1000, count=1000,
                                                 rows_added=1000))},
         {DATASET: DatasetFacts(file=FILE, live=Listed(id="DS2")), MODEL: ModelFacts()},
         {DATASET: Action.REPLACE, MODEL: Action.CREATE}, {DATASET: "may hold them or not"}),
    Case("dataset creation without an answer: looked up first",
         {DATASET: ResourceState(type="akkio.dataset", provider="akkio", status="pending",
                                 pending=pending("create", DS_ID, name="Leads-aaaaaaaaaaaa"))},
         {DATASET: DatasetFacts(file=FILE, live=None), MODEL: ModelFacts()},
         {DATASET: Action.CREATE, MODEL: Action.CREATE}, {DATASET: "looked up by name"}),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_decisions(spec: Spec, case: Case) -> None:
    state = StateDocument(resources=case.state)
    plan = make_plan(spec, state, case.facts, types=resource_type)
    assert {change.address: change.action for change in plan.changes} == case.expected
    for address, fragment in case.reason.items():
        assert any(fragment in reason for reason in plan[address].reasons), plan[address].reasons
    if case.force is not None:
        assert plan[MODEL].after["force"] is case.force
    if case.expected[MODEL] is Action.NOOP:
        assert plan[MODEL].after == {}


def test_a_model_on_an_existing_dataset_id_needs_no_dataset_resource(tmp_path: Path) -> None:
    (tmp_path / "spec.yaml").write_text(
        "providers: {akkio: {endpoint: 'emulator://akkio'}}\n"
        "resources:\n  akkio.model.m: {dataset_id: DS9, predict_fields: [y]}\n"
    )
    spec = load_spec(tmp_path / "spec.yaml", registry=spec_registry(), environ={})
    plan = make_plan(spec, StateDocument(), {"akkio.model.m": ModelFacts()}, types=resource_type)
    assert plan["akkio.model.m"].after["dataset_id"] == "DS9"
    assert plan["akkio.model.m"].after["duration"] == 10


@pytest.mark.parametrize("body", ["", "dataset: akkio.dataset.x, dataset_id: DS9, "])
def test_a_model_names_exactly_one_dataset(tmp_path: Path, body: str) -> None:
    from reconciler.errors import SpecError

    (tmp_path / "spec.yaml").write_text(
        "providers: {akkio: {endpoint: 'emulator://akkio'}}\n"
        "resources:\n  akkio.dataset.x: {name: X, file: x.csv}\n"
        f"  akkio.model.m: {{{body}predict_fields: [y]}}\n"
    )
    with pytest.raises(SpecError, match="exactly one of dataset"):
        load_spec(tmp_path / "spec.yaml", registry=spec_registry(), environ={})


@pytest.mark.parametrize(
    ("body", "state", "message", "estimate"),
    [
        ({"status": "PENDING", "metadata": {"type": "PENDING"}}, "running", None, None),
        ({"status": "SUBMITTED", "metadata": {"type": "SUBMITTED"}}, "running", None, None),
        (RUNNING.model_dump(), "running", None, 30.0),
        (
            {"status": "SUCCEEDED", "metadata": {"type": "SUCCEEDED", "location": "/x"}},
            "succeeded",
            None,
            None,
        ),
        (FAILED.model_dump(), "failed", "boom", None),
        ({"status": "UNKNOWN_TIMEOUT", "metadata": {"type": "FAILED"}}, "failed", "older than a day", None),
        ({"status": "SOMETHING_NEW"}, "running", None, None),
    ],
)
def test_status_words(body: dict[str, Any], state: str, message: str | None, estimate: float | None) -> None:
    status = job_status(TrainStatus.model_validate(body))
    assert (status.state, status.estimate_seconds) == (state, estimate)
    assert (message is None and status.message is None) or (message and message in (status.message or ""))


def test_urls_on_one_host() -> None:
    assert legacy_root("https://api.akkio.com/api/v1") == "https://api.akkio.com/v1"
    assert legacy_root("http://akkio.emulator/api/v1") == "http://akkio.emulator/v1"
    assert result_path("/models/train/t/result") == "/models/train/t/result"
    assert result_path("/api/v1/models/train/t/result") == "/models/train/t/result"


def test_csv_cells_are_typed_and_rows_read(tmp_path: Path) -> None:
    assert [typed(cell) for cell in ["12", "-3", "0.5", "1e3", "", "007", "Yes", "N/A"]] == [
        12, -3, 0.5, 1000.0, None, "007", "Yes", "N/A",
    ]  # fmt: skip
    path = tmp_path / "x.csv"
    path.write_text("\ufeffa,b\n1,x\n\n2,\n")
    table = read_table(path)
    assert table.columns == ["a", "b"] and table.rows == [{"a": 1, "b": "x"}, {"a": 2, "b": None}]
    path.write_text("a,b\n1\n")
    with pytest.raises(ValueError, match="line 2 has 1 fields"):
        read_table(path)


def test_summary_of_a_result() -> None:
    result = {
        "stats": [[{"field_name": "y", "count": 3, "f1": 1.0}, {"field_name": "y", "count": 1, "f1": 0.0}]],
        "field_importance": {"a": 0.2, "b": 0.7, "y": 1e-9},
    }
    assert summarize(TrainResult.model_validate({"model_id": "M", **result})) == {
        "f1": 0.75,
        "top_field": "b",
    }
    two = {"stats": [[{"field_name": "y", "count": 1, "f1": 0.5}], [{"field_name": "z", "r2": 0.9}]]}
    assert summarize(TrainResult.model_validate({"model_id": "M", **two})) == {"f1 y": 0.5, "r2 z": 0.9}
    odd = {"model_id": "M", "stats": [[{"f1": "x", "r2": None}], [], {"field_name": 3, "r2": 1e400}]}
    assert summarize(TrainResult.model_validate(odd)) == {}
