"""The training request's fields in the spec (validated where they are written), ``force`` as the
spec asks for it, rows appended to a dataset, and ``akkio.predictions`` decisions: pure, no platform."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from reconciler.engine.planner import make_plan
from reconciler.errors import SpecError, SpecErrors
from reconciler.providers.akkio.client import Listed
from reconciler.providers.akkio.config import DatasetConfig, ModelConfig, PredictionsConfig
from reconciler.providers.akkio.dataset import DatasetFacts, LocalFile, appended_rows
from reconciler.providers.akkio.dataset import identity as dataset_identity
from reconciler.providers.akkio.model import ModelFacts
from reconciler.providers.akkio.model import identity as model_identity
from reconciler.providers.akkio.predictions import PredictionFacts
from reconciler.providers.akkio.predictions import identity as prediction_identity
from reconciler.providers.base import fingerprint
from reconciler.providers.records import InputFile
from reconciler.providers.registry import resource_type, spec_registry
from reconciler.spec import load_spec
from reconciler.spec.document import Spec
from reconciler.state.document import PendingOperation, ResourceState, StateDocument
from reconciler.vocabulary import Action, Reason

PROVIDER = "providers: {akkio: {endpoint: 'emulator://akkio'}}\n"


def load(tmp_path: Path, resources: str) -> Spec:
    (tmp_path / "leads.csv").write_text("a,y\n1,2\n")
    (tmp_path / "in.csv").write_text("a\n1\n")
    (tmp_path / "spec.yaml").write_text(PROVIDER + "resources:\n" + resources)
    return load_spec(tmp_path / "spec.yaml", registry=spec_registry(), environ={})


def problems(tmp_path: Path, resources: str) -> list[SpecError]:
    with pytest.raises((SpecError, SpecErrors)) as caught:
        load(tmp_path, resources)
    error = caught.value
    return list(error.errors) if isinstance(error, SpecErrors) else [error]


# -- validation, located ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "where", "expected"),
    [
        ("{dataset_id: D, predict_fields: [y, y]}", "predict_fields", "'y' more than once"),
        ("{dataset_id: D, predict_fields: ['']}", "predict_fields", "empty field name"),
        (
            "{dataset_id: D, predict_fields: [y], ignore_fields: [a, a]}",
            "ignore_fields",
            "'a' more than once",
        ),
        ("{dataset_id: D, predict_fields: [y], ignore_fields: [y]}", "ignore_fields", "predict_fields names"),
        ("{dataset_id: D, predict_fields: [y], duration: 30}", "duration", "10"),
        ("{dataset_id: D, predict_fields: [y], force: maybe}", "force", "true or false"),
        ("{dataset_id: D, predict_fields: [y], extra_attention: 2}", "extra_attention", "true or false"),
        ("{dataset_id: D, predict_fields: []}", "predict_fields", ""),
    ],
)
def test_training_fields_are_checked_where_they_are_written(
    tmp_path: Path, line: str, where: str, expected: str
) -> None:
    found = problems(tmp_path, f"  akkio.model.m: {line}\n")
    assert len(found) == 1
    error = found[0]
    assert error.file.endswith("spec.yaml") and error.line == 3
    assert where in str(error) and expected in str(error)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("{input: in.csv, output: o.csv}", "exactly one of model"),
        ("{model_id: M, model: akkio.model.m, input: in.csv, output: o.csv}", "exactly one of model"),
        ("{model_id: M, input: in.csv, output: o.csv, max_in_flight: 6}", "max_in_flight"),
        ("{model_id: M, input: in.csv, output: o.csv, batch_size: 0}", "batch_size"),
        ("{model_id: M, input: nope.csv, output: o.csv}", "nope.csv"),
    ],
)
def test_prediction_fields_are_checked(tmp_path: Path, line: str, expected: str) -> None:
    found = problems(
        tmp_path,
        "  akkio.model.m: {dataset_id: D, predict_fields: [y]}\n" + f"  akkio.predictions.p: {line}\n",
    )
    assert any(expected in str(error) for error in found), [str(error) for error in found]
    assert all(error.line == 4 for error in found)


def test_the_training_request_takes_every_field() -> None:
    config = ModelConfig(
        dataset_id="D",
        predict_fields=["y"],
        duration=1800,
        ignore_fields=["b", "a"],
        extra_attention=True,
        force=True,
    )
    shown = model_identity(config, "D").canonical()
    assert shown == {
        "dataset_id": "D",
        "predict_fields": ["y"],
        "duration": 1800,
        "ignore_fields": ["a", "b"],
        "extra_attention": True,
    }  # force is how a training is asked for, not what it trains


# -- force -------------------------------------------------------------------------------------------

MODEL = "akkio.model.m"


def model_record(config: ModelConfig, **changes: Any) -> ResourceState:
    inputs = model_identity(config, "D").canonical()
    record = ResourceState(
        type="akkio.model", provider="akkio", fingerprint=fingerprint(inputs), inputs=inputs,
        outputs={"model_id": "M1", "task_id": "T1", "dataset_id": "D"},
    )  # fmt: skip
    return record.model_copy(update=changes)


@pytest.mark.parametrize("force", [True, False])
def test_force_in_the_spec_is_what_a_new_training_sends(tmp_path: Path, force: bool) -> None:
    spec = load(tmp_path, f"  {MODEL}: {{dataset_id: D, predict_fields: [y], force: {str(force).lower()}}}\n")
    plan = make_plan(spec, StateDocument(), {MODEL: ModelFacts()}, types=resource_type)
    assert plan[MODEL].action is Action.CREATE and plan[MODEL].after["force"] is force


def test_turning_force_on_or_off_trains_nothing(tmp_path: Path) -> None:
    recorded = model_record(ModelConfig(dataset_id="D", predict_fields=["y"]))
    spec = load(tmp_path, f"  {MODEL}: {{dataset_id: D, predict_fields: [y], force: true}}\n")
    state = StateDocument(resources={MODEL: recorded})
    plan = make_plan(spec, state, {MODEL: ModelFacts(listed=True)}, types=resource_type)
    assert plan[MODEL].action is Action.NOOP


def test_a_lost_answer_is_sent_again_without_force_whatever_the_spec_says(tmp_path: Path) -> None:
    config = ModelConfig(dataset_id="D", predict_fields=["y"], force=True)
    inputs = model_identity(config, "D").canonical()
    lost = PendingOperation(action="create", step="train", fingerprint=fingerprint(inputs), detail={})
    record = ResourceState(type="akkio.model", provider="akkio", status="pending", pending=lost)
    spec = load(tmp_path, f"  {MODEL}: {{dataset_id: D, predict_fields: [y], force: true}}\n")
    plan = make_plan(
        spec, StateDocument(resources={MODEL: record}), {MODEL: ModelFacts()}, types=resource_type
    )
    assert plan[MODEL].reason is Reason.ANSWER_LOST and plan[MODEL].after["force"] is False


# -- appending rows ---------------------------------------------------------------------------------

DATASET = "akkio.dataset.d"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    ("before", "after", "added"),
    [
        (b"a,b\n1,2\n", b"a,b\n1,2\n3,4\n5,6\n", 2),
        (b"a,b\n1,2", b"a,b\n1,2\n3,4\n", 1),  # no final newline before: the row is whole, then more
        (b"a,b\n1,2", b"a,b\n1,23\n", None),  # the last row completed: a change, not an addition
        (b"a,b\n1,2\n", b"a,b\n9,2\n3,4\n", None),  # an earlier row edited
        (b"a,b\n1,2\n", b"a,b\n1,2\n", None),  # nothing added
        (b"a,b\n1,2\n", b"a,b\n1,2\n\n", None),  # a blank line is no row
        (b"a,b\n1,2\n", b"a,c\n1,2\n3,4\n", None),  # another header
    ],
)
def test_rows_appended_are_told_from_other_changes(
    tmp_path: Path, before: bytes, after: bytes, added: int | None
) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes(after)
    assert appended_rows(path, len(before), sha(before)) == added


def dataset_record(config: DatasetConfig, content: bytes, **changes: Any) -> ResourceState:
    inputs = dataset_identity(
        config, LocalFile(path="d.csv", size=len(content), sha256=sha(content))
    ).canonical()
    record = ResourceState(
        type="akkio.dataset", provider="akkio", fingerprint=fingerprint(inputs), inputs=inputs,
        outputs={"dataset_id": "DS1", "rows": 1, "content": sha(content)},
        display={"name": "Leads-aaaaaaaaaaaa", "bytes": len(content), "rows": 1},
    )  # fmt: skip
    return record.model_copy(update=changes)


def test_an_appended_dataset_is_updated_and_its_model_retrained(tmp_path: Path) -> None:
    spec = load(
        tmp_path,
        f"  {DATASET}: {{name: Leads, file: leads.csv, append: true}}\n"
        f"  {MODEL}: {{dataset: {DATASET}, predict_fields: [y]}}\n",
    )
    config = spec.resources[DATASET].config
    assert isinstance(config, DatasetConfig)
    old = b"a,y\n1,2\n"
    new_file = LocalFile(path="leads.csv", size=14, sha256=sha(b"a,y\n1,2\n3,4\n"))
    model = ModelConfig(dataset=DATASET, predict_fields=["y"])
    model_inputs = model_identity(model, "DS1", sha(old)).canonical()
    state = StateDocument(
        resources={
            DATASET: dataset_record(config, old),
            MODEL: ResourceState(
                type="akkio.model",
                provider="akkio",
                fingerprint=fingerprint(model_inputs),
                inputs=model_inputs,
                outputs={"model_id": "M1", "dataset_id": "DS1"},
            ),
        }
    )
    facts = {
        DATASET: DatasetFacts(file=new_file, live=Listed(id="DS1"), appended=1),
        MODEL: ModelFacts(listed=True),
    }
    plan = make_plan(spec, state, facts, types=resource_type)
    assert (plan[DATASET].action, plan[DATASET].reason) == (Action.UPDATE, Reason.INPUTS_CHANGED)
    assert plan[DATASET].after["dataset_id"] == "DS1" and plan[DATASET].after["rows"] == 2
    assert (plan[MODEL].action, plan[MODEL].reason) == (Action.REPLACE, Reason.UPSTREAM_CHANGES)

    # Without append, the same file change fills a new dataset.
    plain = DatasetFacts(file=new_file, live=Listed(id="DS1"))
    spec_plain = load(
        tmp_path,
        f"  {DATASET}: {{name: Leads, file: leads.csv}}\n"
        f"  {MODEL}: {{dataset: {DATASET}, predict_fields: [y]}}\n",
    )
    plan = make_plan(spec_plain, state, {**facts, DATASET: plain}, types=resource_type)
    assert plan[DATASET].action is Action.REPLACE


def test_a_model_recorded_on_older_content_trains_again(tmp_path: Path) -> None:
    spec = load(
        tmp_path,
        f"  {DATASET}: {{name: Leads, file: leads.csv, append: true}}\n"
        f"  {MODEL}: {{dataset: {DATASET}, predict_fields: [y]}}\n",
    )
    config = spec.resources[DATASET].config
    assert isinstance(config, DatasetConfig)
    now = b"a,y\n1,2\n3,4\n"
    model = ModelConfig(dataset=DATASET, predict_fields=["y"])
    older = model_identity(model, "DS1", sha(b"a,y\n1,2\n")).canonical()
    state = StateDocument(
        resources={
            DATASET: dataset_record(config, now),
            MODEL: ResourceState(
                type="akkio.model",
                provider="akkio",
                fingerprint=fingerprint(older),
                inputs=older,
                outputs={"model_id": "M1", "dataset_id": "DS1"},
            ),
        }
    )
    facts = {
        DATASET: DatasetFacts(
            file=LocalFile(path="leads.csv", size=len(now), sha256=sha(now)), live=Listed(id="DS1")
        ),
        MODEL: ModelFacts(listed=True),
    }
    plan = make_plan(spec, state, facts, types=resource_type)
    assert plan[DATASET].action is Action.NOOP
    assert (plan[MODEL].action, plan[MODEL].reason) == (Action.REPLACE, Reason.INPUTS_CHANGED)
    assert any("rows were appended to dataset DS1" in text for text in plan[MODEL].reasons)


# -- predictions -------------------------------------------------------------------------------------

PREDICTIONS = "akkio.predictions.p"
INPUT = InputFile(path="in.csv", size=4, sha256="c" * 64, records=1)


def prediction_record(model_id: str = "M1", output: str = "e" * 64) -> ResourceState:
    config = PredictionsConfig(model_id=model_id, input="in.csv", output="o.csv")
    inputs = prediction_identity(config, INPUT.sha256, model_id).canonical()
    return ResourceState(
        type="akkio.predictions", provider="akkio", fingerprint=fingerprint(inputs), inputs=inputs,
        outputs={"model_id": model_id, "output": "o.csv", "output_sha256": output, "predictions": 1},
    )  # fmt: skip


@pytest.mark.parametrize(
    ("recorded", "output", "expected"),
    [
        (None, None, (Action.CREATE, Reason.NO_RECORD)),
        (prediction_record(), "e" * 64, (Action.NOOP, Reason.IN_SYNC)),
        (prediction_record(), None, (Action.CREATE, Reason.GONE)),
        (prediction_record(), "f" * 64, (Action.REPLACE, Reason.LIVE_CHANGED)),
        (prediction_record(model_id="M0"), "e" * 64, (Action.REPLACE, Reason.INPUTS_CHANGED)),
    ],
)
def test_prediction_decisions(
    tmp_path: Path, recorded: ResourceState | None, output: str | None, expected: tuple[Action, Reason]
) -> None:
    spec = load(tmp_path, f"  {PREDICTIONS}: {{model_id: M1, input: in.csv, output: o.csv}}\n")
    state = StateDocument(resources={PREDICTIONS: recorded} if recorded else {})
    facts = {PREDICTIONS: PredictionFacts(input=INPUT, output_sha256=output)}
    plan = make_plan(spec, state, facts, types=resource_type)
    assert (plan[PREDICTIONS].action, plan[PREDICTIONS].reason) == expected
    if expected[0] is Action.REPLACE and expected[1] is Reason.INPUTS_CHANGED:
        assert "the model changed (M0 → M1)" in plan[PREDICTIONS].reasons
