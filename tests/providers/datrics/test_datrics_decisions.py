"""``datrics.predictions`` decisions as a table: {spec, state, facts} → action and reason.

``decide`` is pure, so each row builds the recorded state and the facts by
hand (input file, output file, the recorded task as the platform reports
it): no HTTP, no files, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from reconciler.engine.planner import make_plan, target_of
from reconciler.providers.base import Desired, fingerprint
from reconciler.providers.datrics.client import TaskInfo, TaskReport
from reconciler.providers.datrics.files import InputFile
from reconciler.providers.datrics.predictions import LOST_AFTER, PredictionFacts
from reconciler.providers.registry import resource_type, spec_registry
from reconciler.spec import load_spec
from reconciler.spec.document import Spec
from reconciler.state.document import PendingOperation, ResourceState, StateDocument
from reconciler.vocabulary import KNOWN_AFTER_APPLY, Action

ADDRESS = "datrics.predictions.scores"
MODEL = "1/4/model-groups/2/2.json"
OLD_MODEL = "1/4/model-groups/2/1.json"
BUCKET = "storage.datrics.ai"
SPEC = f"""
providers:
  datrics: {{endpoint: "emulator://datrics", user_id: 42, email: analyst@example.com}}
resources:
  {ADDRESS}: {{model_path: {MODEL}, bucket: {BUCKET}, input: in.csv, output: out.json}}
"""
INPUT = InputFile(path="in.csv", size=120, sha256="a" * 64, records=3)
EDITED_INPUT = InputFile(path="in.csv", size=130, sha256="c" * 64, records=4)
OUTPUT_SHA = "e" * 64
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def identity(*, sha: str = INPUT.sha256, model: str = MODEL, bucket: str = BUCKET, only: bool = False) -> Any:
    return {"input_sha256": sha, "model_path": model, "bucket": bucket, "return_only_prediction": only}


WANTED = fingerprint(identity())


def ready(**inputs: Any) -> ResourceState:
    recorded = identity(**inputs)
    return ResourceState(
        type="datrics.predictions",
        provider="datrics",
        fingerprint=fingerprint(recorded),
        inputs=recorded,
        outputs={"task_id": "t-0", "output": "out.json", "output_sha256": OUTPUT_SHA},
        display={"state": "SUCCESS", "input": "in.csv", "input_label": "in.csv (3 records)"},
    )


def pending(job_id: str | None, *, age: timedelta = timedelta(minutes=1), fp: str = WANTED) -> ResourceState:
    operation = PendingOperation(
        action="create",
        step="predict",
        fingerprint=fp,
        job_id=job_id,
        submitted_at=NOW - age,
        detail={**identity(), "input": "in.csv"},
    )
    return ResourceState(type="datrics.predictions", provider="datrics", status="pending", pending=operation)


def facts(
    *, input: InputFile = INPUT, output: str | None = OUTPUT_SHA, task: dict[str, Any] | None = None
) -> PredictionFacts:
    report = None if task is None else TaskReport(TaskInfo.model_validate(task), task)
    return PredictionFacts(input=input, output_sha256=output, task=report, read_at=NOW)


@dataclass
class Case:
    name: str
    record: ResourceState | None
    facts: PredictionFacts
    action: Action
    reason: str


CASES = [
    Case(
        "nothing recorded",
        None,
        facts(output=None),
        Action.CREATE,
        f"in.csv has not been predicted by {BUCKET}",
    ),
    Case("in sync", ready(), facts(), Action.NOOP, ""),
    Case("output file missing", ready(), facts(output=None), Action.CREATE, "out.json does not exist"),
    Case(
        "output file edited",
        ready(),
        facts(output="f" * 64),
        Action.REPLACE,
        "out.json was edited (sha256 eeeeeeeeeeee → ffffffffffff)",
    ),
    Case(
        "input changed",
        ready(),
        facts(input=EDITED_INPUT),
        Action.REPLACE,
        "in.csv changed (sha256 aaaaaaaaaaaa → cccccccccccc)",
    ),
    Case(
        "new model version (model path)",
        ready(model=OLD_MODEL),
        facts(),
        Action.REPLACE,
        f"model_path changed ({OLD_MODEL} → {MODEL})",
    ),
    Case(
        "bucket changed", ready(bucket="old-bucket"), facts(), Action.REPLACE, "bucket changed (old-bucket → "
    ),
    Case(
        "option changed",
        ready(only=True),
        facts(),
        Action.REPLACE,
        "return_only_prediction changed (True → False)",
    ),
    Case(
        "task running",
        pending("t-1"),
        facts(output=None, task={"state": "STARTED"}),
        Action.RESUME,
        "task t-1 was submitted by an earlier run; waiting for it (now STARTED)",
    ),
    Case(
        "task queued (PENDING), recently",
        pending("t-1", age=LOST_AFTER - timedelta(seconds=1)),
        facts(output=None, task={"state": "PENDING"}),
        Action.RESUME,
        "waiting for it (now PENDING)",
    ),
    Case(
        "task PENDING past the deadline: lost",
        pending("t-1", age=LOST_AFTER + timedelta(seconds=1)),
        facts(output=None, task={"state": "PENDING"}),
        Action.CREATE,
        "task t-1 still reads PENDING long after it was submitted",
    ),
    Case(
        "task STARTED past the deadline: still resumed",
        pending("t-1", age=LOST_AFTER * 2),
        facts(output=None, task={"state": "STARTED"}),
        Action.RESUME,
        "waiting for it",
    ),
    Case(
        "task failed on the platform",
        pending("t-1"),
        facts(output=None, task={"state": "FAILURE", "error": "KeyError: record 0 lacks age"}),
        Action.REPLACE,
        "task t-1 failed: KeyError: record 0 lacks age",
    ),
    Case(
        "task revoked",
        pending("t-1"),
        facts(output=None, task={"state": "REVOKED"}),
        Action.REPLACE,
        "task t-1 failed: REVOKED",
    ),
    Case(
        "task sent, answer lost",
        pending(None),
        facts(output=None),
        Action.CREATE,
        "an earlier run sent this task but got no answer",
    ),
    Case(
        "pending task for an older input",
        pending("t-1", fp="sha256:old"),
        facts(input=EDITED_INPUT, output=None, task={"state": "STARTED"}),
        Action.REPLACE,
        "in.csv changed (sha256 aaaaaaaaaaaa → cccccccccccc)",
    ),
    Case(
        "tainted by an earlier failure",
        ready().model_copy(update={"status": "tainted", "error": "boom"}),
        facts(),
        Action.REPLACE,
        "the last attempt failed: boom",
    ),
]


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> Spec:
    root = tmp_path_factory.mktemp("spec")
    (root / "spec.yaml").write_text(SPEC)
    (root / "in.csv").write_text("a\n1\n")  # an input file must exist (the facts here are made up)
    return load_spec(root / "spec.yaml", registry=spec_registry(), environ={})


def plan_one(spec: Spec, record: ResourceState | None, found: PredictionFacts) -> Any:
    state = StateDocument(resources={ADDRESS: record} if record is not None else {})
    return make_plan(spec, state, {ADDRESS: found}, types=resource_type)[ADDRESS]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_decision(spec: Spec, case: Case) -> None:
    change = plan_one(spec, case.record, case.facts)
    assert change.action is case.action, change.reasons
    if case.reason:
        assert any(case.reason in reason for reason in change.reasons), change.reasons
    else:
        assert change.reasons == ()
    if case.action is not Action.NOOP:
        assert change.fingerprint == (fingerprint(identity(sha=case.facts.input.sha256)))


def test_a_new_model_version_shows_the_model_and_the_task_id_changing(spec: Spec) -> None:
    change = plan_one(spec, ready(model=OLD_MODEL), facts())
    assert change.summary == "new prediction task"
    assert change.before["model"] == f"{BUCKET}/{OLD_MODEL}"
    assert change.after["model"] == f"{BUCKET}/{MODEL}"
    assert (change.before["task_id"], change.after["task_id"]) == ("t-0", KNOWN_AFTER_APPLY)
    assert change.after["input"] == f"in.csv (3 records, 120 B, sha256 {'a' * 12})"


def test_an_output_moved_by_hand_is_recorded_where_it_now_is(tmp_path: Any) -> None:
    (tmp_path / "spec.yaml").write_text(SPEC.replace("output: out.json", "output: moved.json"))
    (tmp_path / "in.csv").write_text("a\n1\n")
    moved = load_spec(tmp_path / "spec.yaml", registry=spec_registry(), environ={})
    change = plan_one(moved, ready(), facts())
    assert change.action is Action.NOOP
    assert change.refreshed is not None and change.refreshed.outputs["output"] == "moved.json"


def test_in_sync_outputs_flow_downstream(spec: Spec) -> None:
    resource = spec.resources[ADDRESS]
    decision = resource_type(resource.type).decide(Desired(target_of(resource, spec)), ready(), facts())
    assert decision.action is Action.NOOP and decision.refreshed is None
    assert decision.outputs == {"task_id": "t-0", "output": "out.json", "output_sha256": OUTPUT_SHA}
