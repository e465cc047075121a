"""specs/datrics-batches.yaml: several input files, batches with a bound on tasks in flight, CSV output,
and the ``userId`` claim's type as declared."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
from dataclasses import replace
from pathlib import Path

import jwt
import pytest
from datrics_provider_support import REPO, Example, posts

from reconciler.providers.datrics.access import access_token
from reconciler.providers.datrics.config import DatricsConfig, PredictionsConfig
from reconciler.providers.datrics.files import batches, csv_bytes, load_inputs, output_bytes
from reconciler.vocabulary import Action
from reconciler.workflow import Workspace

WEEKLY = "datrics.predictions.weekly_credit"


@pytest.fixture
def batched(tmp_path: Path) -> Example:
    example = Example.copy(tmp_path)
    shutil.copy(REPO / "specs" / "datrics-batches.yaml", tmp_path / "specs" / "datrics-batches.yaml")
    return replace(example, root=tmp_path)


def spec(example: Example) -> Path:
    return example.root / "specs" / "datrics-batches.yaml"


async def test_two_files_in_batches_converge_to_one_csv_and_then_send_nothing(batched: Example) -> None:
    ws = Workspace(spec(batched), settings=batched.settings)
    planned = (await ws.plan()).plan
    change = planned[WEEKLY]
    assert change.action is Action.CREATE
    assert change.after["batches"] == "3 of at most 4 records, 2 in flight"
    assert "9 records" in change.after["input"]

    result = await ws.apply()
    assert result.report.ok, result.report.messages
    stats = await batched.stats()
    assert posts(stats) == 3 and stats["objects"] == {"prediction_task": 3}

    rows = list(csv.DictReader(io.StringIO(batched.output("weekly_credit_scores.csv").read_text())))
    assert [row["application_id"] for row in rows] == [f"A-{n}" for n in range(1001, 1010)]  # input order
    assert "prediction" in rows[0] and "probability" in rows[0]

    again = Workspace(spec(batched), settings=batched.settings)
    assert not (await again.plan()).plan.has_changes
    assert await batched.stats() == stats


async def test_batch_size_is_not_identity_but_a_changed_second_file_is(batched: Example) -> None:
    assert (await Workspace(spec(batched), settings=batched.settings).apply()).report.ok
    text = spec(batched).read_text()
    spec(batched).write_text(text.replace("batch_size: 4", "batch_size: 2"))
    assert not (await Workspace(spec(batched), settings=batched.settings).plan()).plan.has_changes

    late = batched.data("credit_applications_late.csv")
    late.write_text(late.read_text() + "A-1010,500,3000,1,0,0\n")
    planned = (await Workspace(spec(batched), settings=batched.settings).plan()).plan
    assert planned[WEEKLY].action is Action.REPLACE
    before = posts(await batched.stats())
    assert (await Workspace(spec(batched), settings=batched.settings).apply()).report.ok
    assert posts(await batched.stats()) == before + 5  # 10 records in batches of 2
    rows = list(csv.DictReader(io.StringIO(batched.output("weekly_credit_scores.csv").read_text())))
    assert len(rows) == 10 and rows[-1]["application_id"] == "A-1010"


async def test_an_edited_csv_output_is_written_again(batched: Example) -> None:
    assert (await Workspace(spec(batched), settings=batched.settings).apply()).report.ok
    output = batched.output("weekly_credit_scores.csv")
    output.write_text(output.read_text() + "x\n")
    planned = (await Workspace(spec(batched), settings=batched.settings).plan()).plan
    assert planned[WEEKLY].action is Action.REPLACE


def test_batches_cut_in_order() -> None:
    records = [{"n": n} for n in range(5)]
    assert batches(records, None) == [records]
    assert batches(records, 5) == [records]
    assert [len(part) for part in batches(records, 2)] == [2, 2, 1]
    assert [row for part in batches(records, 2) for row in part] == records


def test_one_input_keeps_its_own_sha_and_several_depend_on_order(tmp_path: Path) -> None:
    first, second = tmp_path / "a.csv", tmp_path / "b.json"
    first.write_text("x\n1\n")
    second.write_text('[{"x": 2}]')
    alone, _ = load_inputs([first])
    assert alone.sha256 == hashlib.sha256(first.read_bytes()).hexdigest()
    both, records = load_inputs([first, second])
    assert records == [{"x": 1}, {"x": 2}] and both.records == 2
    assert load_inputs([second, first])[0].sha256 != both.sha256


def test_csv_output_has_every_field_and_plain_cells() -> None:
    text = csv_bytes([{"a": 1, "b": None}, {"a": True, "c": {"k": 1}}]).decode()
    assert text.splitlines() == ["a,b,c", "1,,", 'true,,"{""k"": 1}"']
    assert csv_bytes([0, 1]).decode().splitlines() == ["prediction", "0", "1"]
    assert csv_bytes({"predictions": [{"a": 1}]}).decode().splitlines() == ["a", "1"]
    with pytest.raises(ValueError, match="not a list"):
        csv_bytes({"state": "SUCCESS"})
    assert json.loads(output_bytes([{"a": 1}], suffix=".json")) == [{"a": 1}]


def test_batch_options_are_validated() -> None:
    base = {"model_path": "m", "bucket": "b", "output": "o.csv"}
    config = PredictionsConfig.model_validate({**base, "input": ["a.csv", "b.csv"]})
    assert config.inputs == ["a.csv", "b.csv"] and config.max_in_flight == 1 and config.batch_size is None
    for bad in ({"input": []}, {"input": "a.csv", "batch_size": 0}, {"input": "a.csv", "max_in_flight": 0}):
        with pytest.raises(ValueError):
            PredictionsConfig.model_validate({**base, **bad})


@pytest.mark.parametrize("declared", [42, "42", "analyst-7"])
def test_the_user_id_claim_keeps_its_declared_type(declared: int | str) -> None:
    config = DatricsConfig.model_validate(
        {"endpoint": "emulator://datrics", "user_id": declared, "email": "a@example.com"}
    )
    assert config.user_id == declared and type(config.user_id) is type(declared)
    secret = "a-secret-of-at-least-thirty-two-bytes"
    token = access_token(secret, user_id=config.user_id, email=config.email)
    claims = jwt.decode(token, secret, algorithms=["HS256"])
    assert claims == {"userId": declared, "email": "a@example.com"}
    assert type(claims["userId"]) is type(declared)


async def test_a_detached_batched_run_records_its_task_ids_and_is_resumed(batched: Example) -> None:
    slow = replace(batched.settings, emulator_durations={"datrics": {"predict": 600.0}})
    result = await Workspace(spec(batched), settings=slow).apply(detach=True)
    assert "pending" in set(result.report.outcomes.values()), result.report.messages
    pending = json.loads((batched.root / "state" / "datrics-batches.json").read_text())["resources"][WEEKLY][
        "pending"
    ]
    ids = str(pending["job_id"]).split(",")
    assert len(ids) == 3 and pending["detail"]["batches"] == 3 and any(ids)
    submitted = posts(await batched.stats())
    assert submitted == sum(1 for task_id in ids if task_id)  # each submitted task is recorded
    planned = (await Workspace(spec(batched), settings=slow).plan()).plan
    assert planned[WEEKLY].action is Action.RESUME
