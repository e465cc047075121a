"""Akkio end to end through the Workspace against the in-process emulator (real HTTP over ASGI).

Emulator trainings take no time unless a test says otherwise, and the
client's sleep only yields (or moves a fake clock), so every apply takes
milliseconds.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler import emulators, errors
from reconciler.emulators.faults import Faults
from reconciler.providers.base import ClientOptions
from reconciler.render.plan_text import render_plan
from reconciler.vocabulary import Action
from reconciler.workflow import Settings, Workspace
from tests.served import served_emulator

REPO = Path(__file__).resolve().parents[3]
DATASET = "akkio.dataset.leads"
MODEL = "akkio.model.positive_lead"
CANARY = "canary-akkio-5d1c-secret"


async def no_wait(seconds: float) -> None:
    await asyncio.sleep(0)


class Clock:
    """A clock moved by hand (the emulator's) or by the client's sleeps."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


@dataclass
class Akkio:
    root: Path
    settings: Settings

    @property
    def spec(self) -> Path:
        return self.root / "specs" / "akkio-leads.yaml"

    @property
    def csv(self) -> Path:
        return self.root / "specs" / "data" / "akkio" / "leads.csv"

    def state(self) -> dict[str, Any]:
        body: dict[str, Any] = json.loads((self.root / "state" / "akkio-leads.json").read_text())
        return body

    def workspace(self, **changes: Any) -> Workspace:
        return Workspace(self.spec, settings=replace(self.settings, **changes) if changes else self.settings)

    async def stats(self) -> dict[str, Any]:
        app = emulators.create_app("akkio", data_dir=self.settings.emulator_dir or self.root)
        try:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://e"
            ) as client:
                body: dict[str, Any] = (await client.get("/_emulator/stats")).json()
                return body
        finally:
            app.state.store.close()


def mutating(stats: dict[str, Any]) -> int:
    return sum(count for route, count in stats["requests"].items() if not route.startswith("GET "))


@pytest.fixture
def akkio(tmp_path: Path) -> Akkio:
    (tmp_path / "specs" / "data").mkdir(parents=True)
    shutil.copy(REPO / "specs" / "akkio-leads.yaml", tmp_path / "specs" / "akkio-leads.yaml")
    shutil.copytree(REPO / "specs" / "data" / "akkio", tmp_path / "specs" / "data" / "akkio")
    settings = Settings(
        environ={},
        emulator_dir=tmp_path / "emulators",
        emulator_durations={"akkio": {"train": 0.0}},
        client=ClientOptions(sleep=no_wait),
    )
    return Akkio(root=tmp_path, settings=settings)


async def test_the_example_spec_applies_and_then_plans_no_changes(akkio: Akkio) -> None:
    result = await akkio.workspace().apply()
    assert result.report.ok, result.report.messages
    assert {c.address: c.action for c in result.plan.actionable} == {
        DATASET: Action.CREATE,
        MODEL: Action.CREATE,
    }
    state = akkio.state()
    dataset, model = state["resources"][DATASET], state["resources"][MODEL]
    assert dataset["outputs"]["rows"] == len(akkio.csv.read_text().splitlines()) - 1
    assert model["outputs"]["dataset_id"] == dataset["outputs"]["dataset_id"]
    assert set(model["outputs"]) == {"model_id", "task_id", "dataset_id", "f1", "top_field"}
    assert model["display"]["stats"][0][0]["field_name"] == "Positive Lead"
    assert "Days Since Last Visit" not in model["display"]["field_importance"]  # ignore_fields was sent
    first = await akkio.stats()
    assert first["objects"] == {"dataset": 1, "task": 1, "model": 1}

    assert not (await akkio.workspace().plan()).plan.has_changes
    again = await akkio.workspace().apply()
    assert not again.plan.has_changes
    assert mutating(await akkio.stats()) == mutating(first)
    assert akkio.state()["serial"] == state["serial"]


async def test_a_changed_file_plans_one_new_dataset_and_one_training(akkio: Akkio) -> None:
    await akkio.workspace().apply()
    akkio.csv.write_text(akkio.csv.read_text() + "Analyst,3,11-50,Retail,Berlin,1,2,9,4,0.4,0.1,No,0\n")
    before = await akkio.stats()
    planned = (await akkio.workspace().plan()).plan
    assert {c.address: c.action for c in planned.actionable} == {
        DATASET: Action.REPLACE,
        MODEL: Action.REPLACE,
    }
    assert planned[MODEL].caused_by == (DATASET,)
    assert (await akkio.workspace().apply()).report.ok
    after = await akkio.stats()
    assert after["objects"] == {"dataset": 2, "task": 2, "model": 2}
    route = "POST /api/v1/models/train/new"
    assert after["requests"][route] == before["requests"][route] + 1
    assert (
        after["requests"]["POST /v1/datasets"] == before["requests"]["POST /v1/datasets"] + 2
    )  # create, 1 batch


async def test_rows_go_in_batches_of_a_thousand(akkio: Akkio) -> None:
    header = akkio.csv.read_text().splitlines()[0]
    row = "Analyst,3,11-50,Retail,Berlin,1,2,9,4,0.4,0.1,No,{}"
    akkio.csv.write_text("\n".join([header, *(row.format(n % 2) for n in range(2_500))]) + "\n")
    assert (await akkio.workspace().apply()).report.ok
    assert akkio.state()["resources"][DATASET]["outputs"]["rows"] == 2_500
    assert (await akkio.stats())["requests"]["POST /v1/datasets"] == 4


async def test_a_training_that_fails_taints_the_model_with_the_platforms_error(akkio: Akkio) -> None:
    failing = akkio.workspace(emulator_faults=Faults(job_failure_rate=1.0, seed=7))
    result = await failing.apply()
    assert result.report.outcomes == {DATASET: "done", MODEL: "failed"}
    model = akkio.state()["resources"][MODEL]
    assert model["status"] == "tainted" and "injected failure" in model["error"]
    replan = (await akkio.workspace().plan()).plan
    assert replan[MODEL].action is Action.CREATE and replan[MODEL].after["force"] is False
    assert "injected failure" in replan[MODEL].reasons[0]


async def test_a_field_the_dataset_lacks_stops_the_plan_at_the_field(akkio: Akkio) -> None:
    akkio.spec.write_text(akkio.spec.read_text().replace("[Positive Lead]", "[Positive lead]"))
    with pytest.raises(errors.SpecErrors) as caught:
        await akkio.workspace().plan()
    [problem] = caught.value.errors
    assert problem.file.endswith("akkio-leads.yaml") and problem.line == 26
    assert "akkio.dataset.leads has no field 'Positive lead'" in str(problem)
    assert "did you mean 'Positive Lead'?" in str(problem)
    assert not (akkio.root / "state" / "akkio-leads.json").exists()  # nothing planned, nothing sent


async def test_a_training_running_past_the_deadline_is_resumed_not_resent(akkio: Akkio) -> None:
    emulator, client = Clock(), Clock()
    settings = dict(
        emulator_clock=emulator,
        emulator_durations={"akkio": {"train": 600.0}},
        client=ClientOptions(sleep=client.sleep, clock=client, poll_scale=60.0),
    )
    first = await akkio.workspace(**settings).apply()
    assert first.report.outcomes[MODEL] == "pending"
    pending = akkio.state()["resources"][MODEL]["pending"]
    assert pending["step"] == "train" and pending["job_id"]

    emulator.now += 600
    planned = (await akkio.workspace(**settings).plan()).plan
    assert planned[MODEL].action is Action.RESUME
    assert (await akkio.workspace(**settings).apply()).report.ok
    model = akkio.state()["resources"][MODEL]
    assert model["outputs"]["task_id"] == pending["job_id"] and model["pending"] is None
    assert (await akkio.stats())["requests"]["POST /api/v1/models/train/new"] == 1


async def test_a_task_the_platform_gave_up_on_fails_clearly(akkio: Akkio) -> None:
    emulator, client = Clock(), Clock()
    settings = dict(
        emulator_clock=emulator,
        emulator_durations={"akkio": {"train": 200_000.0}},
        client=ClientOptions(sleep=client.sleep, clock=client, poll_scale=60.0),
    )
    assert (await akkio.workspace(**settings).apply()).report.outcomes[MODEL] == "pending"
    emulator.now += 86_400
    planned = (await akkio.workspace(**settings).plan()).plan
    assert planned[MODEL].action is Action.CREATE
    assert "UNKNOWN_TIMEOUT" in planned[MODEL].reasons[0]


async def test_a_lost_dataset_creation_is_found_by_name_not_made_twice(akkio: Akkio) -> None:
    await akkio.workspace().apply()
    state_file = akkio.root / "state" / "akkio-leads.json"
    document = akkio.state()
    dataset = document["resources"][DATASET]
    # As if the creation had been sent and its answer lost before any row went out.
    dataset.update(status="pending", outputs={}, pending={
        "action": "create", "step": "create", "fingerprint": dataset["fingerprint"], "job_id": None,
        "detail": {"name": dataset["display"]["name"], "existing": []},
    })  # fmt: skip
    del document["resources"][MODEL]
    state_file.write_text(json.dumps(document))
    result = await akkio.workspace().apply()
    assert result.plan[DATASET].action is Action.CREATE and result.report.ok
    stats = await akkio.stats()
    assert stats["objects"]["dataset"] == 1  # adopted, not created again
    assert stats["requests"]["POST /v1/datasets"] == 3  # create + rows, then rows again into the adopted one


async def test_the_api_key_never_reaches_state_output_or_errors(akkio: Akkio, tmp_path: Path) -> None:
    akkio.spec.write_text(
        akkio.spec.read_text().replace("# api_key: ${env:AKKIO_API_KEY}", "api_key: ${env:AKKIO_API_KEY}")
    )
    workspace = akkio.workspace(environ={"AKKIO_API_KEY": CANARY})
    result = await workspace.apply()
    assert result.report.ok
    seen = (
        render_plan(result.plan)
        + json.dumps(result.report.messages)
        + (akkio.root / "state").joinpath("akkio-leads.json").read_text()
    )
    assert CANARY not in seen

    with served_emulator("akkio", data_dir=tmp_path / "served", token="the-only-key") as base:
        akkio.spec.write_text(akkio.spec.read_text().replace("emulator://akkio", f"{base}/api/v1"))
        with pytest.raises(errors.AuthError) as caught:
            await akkio.workspace(environ={"AKKIO_API_KEY": CANARY}).plan()
    assert "rejected" in str(caught.value)
    assert CANARY not in str(caught.value) + caught.value.body + repr(caught.value.__cause__)


async def test_a_dataset_id_the_team_does_not_have_stops_the_plan(akkio: Akkio) -> None:
    """A configuration error at its field: no training is planned on a dataset that is not there."""
    text = akkio.spec.read_text().replace("dataset: akkio.dataset.leads", "dataset_id: NoSuchDataset0000000")
    akkio.spec.write_text(text)
    with pytest.raises(errors.SpecError) as caught:
        await akkio.workspace().plan()
    assert "'dataset_id': dataset NoSuchDataset0000000 does not exist in provider akkio" in str(caught.value)
    line = text.splitlines().index("    dataset_id: NoSuchDataset0000000") + 1
    assert caught.value.line == line
    assert mutating(await akkio.stats()) == 0
