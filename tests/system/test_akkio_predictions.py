"""specs/akkio-predictions.yaml against a served Akkio emulator (uvicorn, real HTTP): the training request's
fields, predictions in batches, rows appended to a dataset, and a rejected model holding its predictions
back.  Everything sent is counted at the emulator (``/_emulator/stats``)."""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.providers.base import ClientOptions
from reconciler.vocabulary import Action, Reason
from reconciler.workflow import Settings, Workspace
from tests.served import served_emulator
from tests.support import REPO, no_wait

KEY = "akkio-served-key-7c1f"
DATASET = "akkio.dataset.leads"
MODEL = "akkio.model.positive_lead"
SCORED = "akkio.predictions.new_leads"
ONLY = "akkio.predictions.new_leads_only"
PREDICT = "POST /v1/models"
ROWS = "POST /v1/datasets"
TRAIN = "POST /api/v1/models/train/new"


@dataclass
class Served:
    root: Path
    base: str

    @property
    def spec(self) -> Path:
        return self.root / "specs" / "akkio-predictions.yaml"

    @property
    def leads(self) -> Path:
        return self.root / "specs" / "data" / "akkio" / "leads.csv"

    @property
    def new_leads(self) -> Path:
        return self.root / "specs" / "data" / "akkio" / "new-leads.csv"

    @property
    def scored(self) -> Path:
        return self.root / "predictions" / "akkio" / "new-leads-scored.csv"

    @property
    def only(self) -> Path:
        return self.root / "predictions" / "akkio" / "new-leads-predictions.json"

    def workspace(self) -> Workspace:
        settings = Settings(environ={"AKKIO_API_KEY": KEY}, client=ClientOptions(sleep=no_wait))
        return Workspace(self.spec, settings=settings)

    def edit(self, old: str, new: str) -> None:
        text = self.spec.read_text()
        assert old in text
        self.spec.write_text(text.replace(old, new))

    def state(self) -> dict[str, Any]:
        resources: dict[str, Any] = json.loads((self.root / "state" / "akkio-predictions.json").read_text())[
            "resources"
        ]
        return resources

    def stats(self) -> dict[str, Any]:
        body: dict[str, Any] = httpx.get(self.base + "/_emulator/stats").json()
        return body

    def sent(self, route: str) -> int:
        return int(self.stats()["requests"].get(route, 0))


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    monkeypatch.chdir(tmp_path)
    with served_emulator("akkio", data_dir=tmp_path / "world", token=KEY) as base:
        spec = tmp_path / "specs" / "akkio-predictions.yaml"
        text = spec.read_text().replace("endpoint: emulator://akkio", f"endpoint: {base}/api/v1")
        text = text.replace("# api_key: ${env:AKKIO_API_KEY}", "api_key: ${env:AKKIO_API_KEY}")
        spec.write_text(text)
        yield Served(tmp_path, base)


async def applied(served: Served) -> dict[str, str]:
    result = await served.workspace().apply()
    assert result.report.ok, result.report.messages
    return dict(result.report.outcomes)


async def planned(served: Served) -> dict[str, tuple[Action, Reason]]:
    plan = (await served.workspace().plan()).plan
    return {change.address: (change.action, change.reason) for change in plan.actionable}


def _cell(text: str) -> str | float:
    try:
        return float(text)
    except ValueError:
        return text


def records(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


async def test_the_example_converges_predicting_in_batches(served: Served) -> None:
    outcomes = await applied(served)
    assert outcomes == dict.fromkeys((DATASET, MODEL, SCORED, ONLY), "done")
    stats = served.stats()
    assert stats["objects"] == {"dataset": 1, "task": 1, "model": 1}
    # 25 new leads: batches of 10 (3 requests) for one resource, one request of all 25 for the other.
    assert stats["requests"][PREDICT] == 3 + 1
    scored = records(served.scored)
    inputs = records(served.new_leads)
    assert len(scored) == len(inputs) == 25
    # The input fields kept, in order (cells read as numbers are written back as numbers: 0.10 → 0.1).
    assert [{key: _cell(row[key]) for key in inputs[0]} for row in scored] == [
        {key: _cell(value) for key, value in row.items()} for row in inputs
    ]
    assert all(row["Positive Lead"] in ("0", "1") for row in scored)
    assert {"Probability Positive Lead is 0", "Probability Positive Lead is 1"} <= set(scored[0])
    only = json.loads(served.only.read_text())
    assert len(only) == 25 and set(only[0]) == {
        "Positive Lead",
        "Probability Positive Lead is 0",
        "Probability Positive Lead is 1",
    }
    recorded = served.state()
    assert recorded[SCORED]["outputs"]["model_id"] == recorded[MODEL]["outputs"]["model_id"]

    assert await planned(served) == {}
    before = served.stats()["requests"]
    await applied(served)
    after = served.stats()["requests"]
    assert {route: n for route, n in after.items() if not route.startswith("GET ")} == {
        route: n for route, n in before.items() if not route.startswith("GET ")
    }


async def test_force_asks_for_a_fresh_model_where_the_platform_trained_these_inputs(served: Served) -> None:
    await applied(served)
    first = served.state()[MODEL]["outputs"]["model_id"]
    (served.root / "state" / "akkio-predictions.json").unlink()  # lost state: the dataset is adopted

    await applied(served)  # force: true: a second training of the same inputs, a fresh model
    assert served.stats()["objects"]["task"] == 2
    second = served.state()[MODEL]["outputs"]["model_id"]
    assert second != first

    served.edit("force: true ", "force: false")
    assert await planned(served) == {}  # force says how a training is asked for: nothing to train
    (served.root / "state" / "akkio-predictions.json").unlink()
    await applied(served)  # force: false: the platform answers with the model it already trained
    assert served.stats()["objects"]["task"] == 2
    assert served.state()[MODEL]["outputs"]["model_id"] in (first, second)


async def test_every_training_field_is_sent_and_changes_retrain(served: Served) -> None:
    await applied(served)
    result = served.state()[MODEL]["display"]
    assert "Days Since Last Visit" not in result["field_importance"]  # ignore_fields was sent
    before = served.state()[MODEL]["outputs"]

    served.edit("duration: 60 ", "duration: 300")
    plan = await planned(served)
    assert plan[MODEL] == (Action.REPLACE, Reason.INPUTS_CHANGED)
    assert plan[SCORED] == plan[ONLY] == (Action.REPLACE, Reason.UPSTREAM_CHANGES)
    await applied(served)
    after = served.state()
    assert after[MODEL]["outputs"]["model_id"] != before["model_id"]
    assert after[MODEL]["outputs"]["f1"] > before["f1"]  # a longer training scores better
    assert after[SCORED]["outputs"]["model_id"] == after[MODEL]["outputs"]["model_id"]
    assert await planned(served) == {}


async def test_predictions_run_again_when_input_or_output_change(served: Served) -> None:
    await applied(served)
    sent = served.sent(PREDICT)

    served.scored.write_text(served.scored.read_text().replace(",1,", ",0,", 1))
    assert await planned(served) == {SCORED: (Action.REPLACE, Reason.LIVE_CHANGED)}
    await applied(served)
    assert served.sent(PREDICT) == sent + 3

    served.only.unlink()
    assert await planned(served) == {ONLY: (Action.CREATE, Reason.GONE)}
    await applied(served)
    assert served.sent(PREDICT) == sent + 3 + 1

    with served.new_leads.open("a") as handle:
        handle.write("Manager,5,1-10,Retail,Berlin,1,1,3,4,0.50,0.10,No\n")
    assert await planned(served) == dict.fromkeys((SCORED, ONLY), (Action.REPLACE, Reason.INPUTS_CHANGED))
    await applied(served)
    assert served.sent(PREDICT) == sent + 3 + 1 + 3 + 1  # 26 records: 3 batches of at most 10, and 1
    assert len(records(served.scored)) == 26
    assert await planned(served) == {}


async def test_a_rejected_model_holds_its_predictions_back(served: Served) -> None:
    served.edit("{metric: f1, at_least: 0.8}", '{metric: f1, class: "1", at_least: 0.99}')
    result = await served.workspace().apply()
    assert result.report.failed
    assert result.report.outcomes[MODEL] == "rejected"
    assert result.report.outcomes[SCORED] == result.report.outcomes[ONLY] == "skipped"
    assert served.sent(PREDICT) == 0
    assert not served.scored.exists() and not served.only.exists()

    served.edit('{metric: f1, class: "1", at_least: 0.99}', "{metric: f1, at_least: 0.8}")
    outcomes = await applied(served)  # the relaxed gate releases the model as it is: no new training
    assert outcomes == dict.fromkeys((SCORED, ONLY), "done")
    assert served.stats()["objects"]["task"] == 1


async def test_rows_added_at_the_end_are_appended_to_the_same_dataset(served: Served) -> None:
    await applied(served)
    first = served.state()
    dataset_id = first[DATASET]["outputs"]["dataset_id"]
    batches = served.sent(ROWS)
    extra = records(served.leads)[:5]
    with served.leads.open("a", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(extra[0]), lineterminator="\n")
        writer.writerows(extra)

    plan = (await served.workspace().plan()).plan
    changes = {change.address: change for change in plan.actionable}
    assert (changes[DATASET].action, changes[DATASET].reason) == (Action.UPDATE, Reason.INPUTS_CHANGED)
    assert any("5 rows were added at the end" in text for text in changes[DATASET].reasons)
    assert changes[DATASET].after["rows"] == 65 and changes[DATASET].before["rows"] == 60
    assert changes[MODEL].action is Action.REPLACE  # new data to train on
    assert {changes[SCORED].action, changes[ONLY].action} == {Action.REPLACE}

    await applied(served)
    after = served.state()
    assert after[DATASET]["outputs"]["dataset_id"] == dataset_id  # the same dataset, 65 rows
    assert after[DATASET]["outputs"]["rows"] == 65
    assert served.stats()["objects"]["dataset"] == 1
    assert served.sent(ROWS) == batches + 1  # one batch: only the 5 new rows
    assert after[MODEL]["outputs"]["model_id"] != first[MODEL]["outputs"]["model_id"]
    assert after[SCORED]["outputs"]["model_id"] == after[MODEL]["outputs"]["model_id"]
    assert await planned(served) == {}


async def test_a_file_changed_otherwise_fills_a_new_dataset(served: Served) -> None:
    await applied(served)
    lines = served.leads.read_text().splitlines(keepends=True)
    served.leads.write_text("".join([lines[0], lines[2], lines[1], *lines[3:]]))  # two rows swapped
    plan = await planned(served)
    assert plan[DATASET] == (Action.REPLACE, Reason.INPUTS_CHANGED)
    await applied(served)
    assert served.stats()["objects"]["dataset"] == 2
    assert await planned(served) == {}
