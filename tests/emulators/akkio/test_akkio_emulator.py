"""The Akkio emulator over HTTP (in-process): statuses on a fake clock, failures, force, legacy API, auth."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.emulators import create_app

KEY = "akkio-emulator-test-key"
H = {"X-API-Key": KEY}
ROWS = [
    {"Job Title": title, "Webinars Attended": n % 4, "Positive Lead": int(n % 3 == 0)}
    for n, title in enumerate(["Executive", "Assistant", "Manager"] * 6)
]


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


Make = Callable[..., httpx.AsyncClient]


@pytest.fixture
async def make(tmp_path: Path, clock: Clock) -> AsyncIterator[Make]:
    opened: list[tuple[httpx.AsyncClient, Any]] = []

    def build(train: float = 10.0) -> httpx.AsyncClient:
        app = create_app("akkio", data_dir=tmp_path, durations={"train": train}, token=KEY, clock=clock)
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://akkio.test")
        opened.append((client, app))
        return client

    yield build
    for client, app in opened:
        await client.aclose()
        app.state.store.close()


async def dataset(client: httpx.AsyncClient, rows: list[dict[str, Any]] = ROWS) -> str:
    created = await client.post("/v1/datasets", json={"api_key": KEY, "name": "Leads"})
    assert created.status_code == 200
    assert created.json()["status"] == "success" and created.json()["dataset_name"] == "Leads"
    dataset_id: str = created.json()["dataset_id"]
    if rows:
        added = await client.post("/v1/datasets", json={"api_key": KEY, "id": dataset_id, "rows": rows})
        assert added.json() == {"status": "success"}
    return dataset_id


async def train(client: httpx.AsyncClient, dataset_id: str, **extra: Any) -> str:
    body = {"dataset_id": dataset_id, "predict_fields": ["Positive Lead"], "duration": 60, **extra}
    response = await client.post("/api/v1/models/train/new", json=body, headers=H)
    assert response.status_code == 201, response.text
    task_id: str = response.json()["task_id"]
    return task_id


async def status(client: httpx.AsyncClient, task_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/models/train/{task_id}/status", headers=H)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def test_status_goes_pending_in_progress_succeeded_and_the_result_is_shaped_like_the_docs(
    make: Make, clock: Clock
) -> None:
    client = make(train=10.0)
    task_id = await train(client, await dataset(client))
    assert await status(client, task_id) == {"status": "PENDING", "metadata": {"type": "PENDING"}}
    clock.now += 4
    assert await status(client, task_id) == {
        "status": "IN_PROGRESS",
        "metadata": {"type": "IN_PROGRESS", "estimate_seconds": 6.0},
    }
    early = await client.get(f"/api/v1/models/train/{task_id}/result", headers=H)
    assert early.status_code == 409
    clock.now += 6
    done = await status(client, task_id)
    assert done == {
        "status": "SUCCEEDED",
        "metadata": {"type": "SUCCEEDED", "location": f"/models/train/{task_id}/result"},
    }
    result = (await client.get("/api/v1" + done["metadata"]["location"], headers=H)).json()
    assert set(result) == {"status", "model_id", "stats", "field_importance", "data_story"}
    classes = result["stats"][0]
    assert [row["class_name"] for row in classes] == ["0", "1"]
    assert sum(row["count"] for row in classes) == len(ROWS)
    assert abs(sum(result["field_importance"].values()) - 1.0) < 1e-6
    assert result["data_story"][0]["name"] == "Positive Lead"
    models = (await client.get("/v1/models", params={"api_key": KEY})).json()
    assert models == {
        "status": "success",
        "models": [{"id": result["model_id"], "name": "Leads - Positive Lead"}],
    }


async def test_a_model_is_listed_only_once_its_training_finished(make: Make, clock: Clock) -> None:
    client = make(train=10.0)
    await train(client, await dataset(client))
    assert (await client.get("/v1/models", params={"api_key": KEY})).json()["models"] == []
    clock.now += 10
    assert len((await client.get("/v1/models", params={"api_key": KEY})).json()["models"]) == 1


@pytest.mark.parametrize(
    ("rows", "predict", "error"),
    [
        (ROWS, ["positive lead"], "Field(s) not found in the dataset: positive lead"),
        ([], ["Positive Lead"], "The dataset has no rows"),
    ],
)
async def test_trainings_that_cannot_succeed_fail_with_http_200_and_an_error(
    make: Make, clock: Clock, rows: list[dict[str, Any]], predict: list[str], error: str
) -> None:
    client = make(train=2.0)
    task_id = await train(client, await dataset(client, rows), predict_fields=predict)
    clock.now += 2
    body = await status(client, task_id)
    assert body["status"] == "FAILED" and body["metadata"]["type"] == "FAILED"
    assert error in body["metadata"]["error"]
    assert (await client.get(f"/api/v1/models/train/{task_id}/result", headers=H)).status_code == 409


async def test_a_task_unfinished_after_a_day_is_unknown_timeout(make: Make, clock: Clock) -> None:
    client = make(train=200_000.0)
    task_id = await train(client, await dataset(client))
    clock.now += 86_399
    assert (await status(client, task_id))["status"] == "IN_PROGRESS"
    clock.now += 1
    body = await status(client, task_id)
    assert body["status"] == "UNKNOWN_TIMEOUT"
    assert body["metadata"]["type"] == "FAILED" and "within a day" in body["metadata"]["error"]


async def test_force_false_answers_an_earlier_successful_training_force_true_trains_again(
    make: Make, clock: Clock
) -> None:
    client = make(train=5.0)
    dataset_id = await dataset(client)
    first = await train(client, dataset_id)
    running = await train(client, dataset_id)  # the first has not succeeded yet: a new training
    assert running != first
    clock.now += 5
    assert await train(client, dataset_id) == first
    assert await train(client, dataset_id, force=False) == first
    other = await train(client, dataset_id, duration=300)  # other parameters: a new training
    forced = await train(client, dataset_id, force=True)
    assert len({first, running, other, forced}) == 4
    stats = (await client.get("/_emulator/stats")).json()
    assert stats["objects"] == {"dataset": 1, "task": 4, "model": 4}
    assert stats["requests"]["POST /api/v1/models/train/new"] == 6


async def test_failed_trainings_are_not_answered_again(make: Make, clock: Clock) -> None:
    client = make(train=0.0)
    dataset_id = await dataset(client, [])
    first = await train(client, dataset_id)
    assert await train(client, dataset_id) != first


async def test_train_body_is_checked_like_the_openapi_document_says(make: Make) -> None:
    client = make()
    documented = {"dataset_id": "YTV32jCdVf5DbcMxzvX5", "predict_fields": ["Positive Lead"]}
    missing = await client.post("/api/v1/models/train/new", json={"dataset_id": "x"}, headers=H)
    assert missing.status_code == 422
    [problem] = missing.json()["detail"]
    assert (problem["loc"], problem["msg"], problem["type"]) == (
        ["body", "predict_fields"],
        "Field required",
        "missing",
    )
    odd = await client.post("/api/v1/models/train/new", json={**documented, "duration": 15}, headers=H)
    assert odd.status_code == 422 and odd.json()["detail"][0]["loc"] == ["body", "duration"]


async def test_a_training_without_duration_is_the_fastest_one(make: Make) -> None:
    """The vendor's example omits ``duration`` (OpenAPI requires it): it is taken as 10, the fastest."""
    client = make(train=0.0)
    dataset_id = await dataset(client)
    body = {"dataset_id": dataset_id, "predict_fields": ["Positive Lead"]}
    implicit = await client.post("/api/v1/models/train/new", json=body, headers=H)
    assert implicit.status_code == 201, implicit.text
    task_id = implicit.json()["task_id"]
    assert await train(client, dataset_id, duration=10) == task_id  # the same training: answered again
    assert await train(client, dataset_id, duration=60) != task_id


@pytest.mark.parametrize(
    ("headers", "detail"), [({}, "Missing API key"), ({"X-API-Key": "wrong"}, "Invalid API key")]
)
async def test_the_training_api_wants_the_x_api_key_header(
    make: Make, headers: dict[str, str], detail: str
) -> None:
    client = make()
    response = await client.get("/api/v1/models/train/x/status", headers=headers)
    assert response.status_code == 401 and detail in response.json()["detail"]
    assert KEY not in response.text
    unknown = await client.get("/api/v1/models/train/no-such-task/status", headers=H)
    assert unknown.status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("GET", "/v1/datasets", {"params": {"api_key": "wrong"}}),
        ("GET", "/v1/models", {}),
        ("POST", "/v1/datasets", {"json": {"api_key": "wrong", "name": "x"}}),
        ("POST", "/v1/models", {"json": {"id": "m", "data": []}}),
    ],
)
async def test_the_legacy_api_answers_a_bad_key_with_the_documented_404(
    make: Make, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    client = make()
    response = await client.request(method, path, **kwargs)
    assert (response.status_code, response.json()) == (404, {"status": "missing or invalid API key"})
    stats = (await client.get("/_emulator/stats")).json()
    assert stats["objects"]["dataset"] == 0
    assert stats["requests"][f"{method} {path}"] == 1


async def test_the_first_insert_defines_the_schema(make: Make) -> None:
    client = make()
    dataset_id = await dataset(client)
    extra = [{"Job Title": "Analyst", "Budget": 3}]
    refused = await client.post("/v1/datasets", json={"api_key": KEY, "id": dataset_id, "rows": extra})
    assert refused.status_code == 400 and "Budget" in refused.json()["message"]
    partial = [{"Job Title": "Analyst"}]
    accepted = await client.post("/v1/datasets", json={"api_key": KEY, "id": dataset_id, "rows": partial})
    assert accepted.json() == {"status": "success"}
    listed = (await client.get("/v1/datasets", params={"api_key": KEY})).json()
    assert listed == {"status": "success", "datasets": [{"id": dataset_id, "name": "Leads"}]}
    unknown = await client.post("/v1/datasets", json={"api_key": KEY, "id": "nope", "rows": []})
    assert unknown.status_code == 404


async def test_legacy_predictions_answer_each_record(make: Make, clock: Clock) -> None:
    client = make(train=0.0)
    task_id = await train(client, await dataset(client))
    model_id = (await client.get(f"/api/v1/models/train/{task_id}/result", headers=H)).json()["model_id"]
    result = (await client.get(f"/api/v1/models/train/{task_id}/result", headers=H)).json()
    top = max(("Job Title", "Webinars Attended"), key=lambda name: result["field_importance"][name])
    values = sorted({str(row[top]) for row in ROWS})
    data = [{top: value} for value in values] + [{"Job Title": "Nobody has this title"}]
    answer = (await client.post("/v1/models", json={"api_key": KEY, "id": model_id, "data": data})).json()
    assert answer["status"] == "success"
    assert len(answer["predictions"]) == len(data)
    for record, predicted in zip(data, answer["predictions"], strict=True):
        # The vendor's Models page: the field, then "Probability <field> is <class>" per class.
        same = [row for row in ROWS if str(row.get(top)) == str(record.get(top))] or ROWS
        shares = {
            cls: sum(str(row["Positive Lead"]) == cls for row in same) / len(same) for cls in ("0", "1")
        }
        best = max(sorted(shares), key=lambda cls: shares[cls])
        assert predicted["Positive Lead"] == best
        for cls, share in shares.items():  # every class, a missing one at 0
            assert predicted[f"Probability Positive Lead is {cls}"] == round(share, 4)


async def test_the_world_outlives_the_app_and_request_counts_reset(make: Make) -> None:
    first = make()
    dataset_id = await dataset(first)
    second = make()
    listed = (await second.get("/v1/datasets", params={"api_key": KEY})).json()["datasets"]
    assert [item["id"] for item in listed] == [dataset_id]
    assert (await second.delete("/_emulator/stats")).json()["requests"] == {}
