"""Jobs advance on the injected clock: pending, running, then the vendor's done word."""

from __future__ import annotations

from typing import Any

import httpx
from alviss_support import FakeClock, Maker, P, sales_csv

SLOW = {
    "upload": 10.0,
    "dataset": 10.0,
    "refit": 10.0,
    "build": 10.0,
    "attribution": 10.0,
    "attribution_set": 10.0,
}
ROWS = ["SWE,all,all,2026-11-23,Classic,1200", "SWE,all,all,2026-11-30,Classic,1300"]


async def _statuses(client: httpx.AsyncClient, path: str, clock: FakeClock) -> list[str]:
    """Status at 0 s, 1 s (pending), 5 s (running) and 10 s (done) after creation."""
    seen: list[str] = []
    for step in (0.0, 1.0, 4.0, 5.0):
        clock.advance(step)
        response = await client.get(P + path)
        assert response.status_code == 200, response.text
        seen.append(response.json()["Status"])
    return seen


async def _upload(client: httpx.AsyncClient, content: bytes = sales_csv(ROWS)) -> int:
    response = await client.post(
        P + "/datauploads", params={"dataset_name": "Sales"}, files={"file": ("new.csv", content)}
    )
    assert response.status_code == 200, response.text
    upload_id: int = response.json()["upload_id"]
    return upload_id


async def _post(client: httpx.AsyncClient, path: str, body: Any, *, status: int = 200) -> Any:
    response = await client.post(P + path, json=body)
    assert response.status_code == status, response.text
    return response.json()


REFIT: dict[str, Any] = {
    "model_detail": {"dataset_id": 1, "train_dates": ["2026-11-02"], "eval_dates": ["2026-11-09"]},
    "model_param": {"epochs": 5, "learning_rate": 0.01, "samples": 1},
}
ATTRIBUTION = {
    "model_id": 3,
    "dataset_id": 1,
    "start_date": "2025-01-06",
    "end_date": "2026-11-16",
    "samples": 2,
}


async def test_every_kind_goes_pending_running_done(make_client: Maker, clock: FakeClock) -> None:
    client = make_client(durations=SLOW)
    upload_id = await _upload(client)
    assert await _statuses(client, f"/datauploads/{upload_id}", clock) == [
        "pending",
        "pending",
        "running",
        "complete",
    ]
    dataset = await _post(client, "/datasets", {"upload_ids": [upload_id], "dataset_ids": [1]})
    assert await _statuses(client, f"/datasets/{dataset['IId']}", clock) == [
        "pending", "pending", "running", "complete",
    ]  # fmt: skip
    model = await _post(client, "/models/3/refit", REFIT)
    assert await _statuses(client, f"/models/{model['IId']}", clock) == [
        "pending",
        "pending",
        "running",
        "completed",
    ]
    attribution = await _post(client, "/attributions", ATTRIBUTION)
    assert await _statuses(client, f"/attributions/{attribution['IId']}", clock) == [
        "pending", "pending", "running", "completed",
    ]  # fmt: skip
    aligned = await _post(
        client, "/attributionset_align_dates", {"attributionjob_ids": [attribution["IId"], 4]}
    )
    assert await _statuses(client, f"/attributionset/{aligned['IId']}", clock) == [
        "pending", "pending", "running", "complete",
    ]  # fmt: skip


async def test_a_build_job_also_runs(make_client: Maker, clock: FakeClock) -> None:
    client = make_client(durations=SLOW)
    graph = (await client.get(P + "/build/graphs/1")).json()
    body = {
        "model_param": {"epochs": 5, "learning_rate": 0.01, "samples": 1},
        "model_detail": {
            "dataset_id": 1, "train_dates": ["2026-11-02"], "eval_dates": [], "activate": False,
            "modelling_combination": {"country_code": "DNK", "region_code": "all", "grouping": "all"},
        },
        "graph_detail": {"graph": graph},
    }  # fmt: skip
    model = await _post(client, "/build/model", body)
    assert await _statuses(client, f"/models/{model['IId']}", clock) == [
        "pending",
        "pending",
        "running",
        "completed",
    ]


async def test_inputs_that_are_still_running_are_refused_with_409(
    make_client: Maker, clock: FakeClock
) -> None:
    client = make_client(durations=SLOW)
    upload_id = await _upload(client)
    refused = await _post(client, "/datasets", {"upload_ids": [upload_id]}, status=409)
    assert refused == {"detail": f"Upload {upload_id} is pending, not complete"}
    clock.advance(10)
    dataset = (await _post(client, "/datasets", {"upload_ids": [upload_id]}))["IId"]
    for path, body in (
        ("/models/3/refit", {**REFIT, "model_detail": {**REFIT["model_detail"], "dataset_id": dataset}}),
        ("/attributions", {**ATTRIBUTION, "dataset_id": dataset}),
        (f"/datasets/{dataset}/dates?dataset_name=Sales", []),
    ):
        assert "is pending, not complete" in (await _post(client, path, body, status=409))["detail"]
    assert (await client.post(P + f"/datasets/{dataset}/activate")).status_code == 409
    model = (await _post(client, "/models/3/refit", REFIT))["IId"]
    refused = await _post(client, "/attributions", {**ATTRIBUTION, "model_id": model}, status=409)
    assert refused == {"detail": f"Model {model} is pending, not completed"}
    attribution = (await _post(client, "/attributions", ATTRIBUTION))["IId"]
    await _post(client, "/attributionset_align_dates", {"attributionjob_ids": [attribution]}, status=409)


async def test_a_refit_without_training_dates_fails_with_a_message(client: httpx.AsyncClient) -> None:
    body = {**REFIT, "model_detail": {"dataset_id": 1, "train_dates": [], "eval_dates": []}}
    model = await _post(client, "/models/3/refit", body)
    shown = (await client.get(P + f"/models/{model['IId']}")).json()
    assert shown["Status"] == "failed"
    assert "train_dates is empty" in shown["Message"]
    assert (await _post(client, "/attributions", {**ATTRIBUTION, "model_id": model["IId"]}, status=409))[
        "detail"
    ] == f"Model {model['IId']} is failed, not completed"


async def test_refit_copies_the_source_model_and_records_its_inputs(client: httpx.AsyncClient) -> None:
    source = (await client.get(P + "/models/3")).json()
    new = await _post(client, "/models/3/refit", REFIT)
    assert new == {"IId": 12}
    model = (await client.get(P + "/models/12")).json()
    for field in ("Country", "Region", "Grouping", "GraphInstance"):
        assert model[field] == source[field]
    assert model["DataSet"] == {"IId": 1}
    assert model["RefitOf"] == 3
    assert model["TrainDates"] == ["2026-11-02"]
    assert model["EvalDates"] == ["2026-11-09"]
    assert model["ModelParam"] == REFIT["model_param"]
    assert [one["IId"] for one in (await client.get(P + "/models")).json()] == [3, 11, 12]


async def test_activate_on_creation_takes_effect_when_the_dataset_completes(
    make_client: Maker, clock: FakeClock
) -> None:
    client = make_client(durations=SLOW)
    dataset = (await _post(client, "/datasets", {"dataset_ids": [1], "upload_ids": [], "activate": True}))[
        "IId"
    ]
    assert (await client.get(P + "/datasets/active")).json()["IId"] == 1
    assert (await client.get(P + f"/datasets/{dataset}")).json()["Active"] is False
    clock.advance(10)
    assert (await client.get(P + "/datasets/active")).json()["IId"] == dataset
    listed = (await client.get(P + "/datasets")).json()
    assert [(one["IId"], one["Active"]) for one in listed] == [(1, False), (dataset, True)]


async def test_explicit_activation_moves_the_single_active_dataset(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    second = (await _post(client, "/datasets", {"dataset_ids": [1]}))["IId"]
    clock.advance(1)
    shown = await _post(client, f"/datasets/{second}/activate", None)
    assert shown["IId"] == second and shown["Active"] is True
    assert (await client.get(P + "/datasets/1")).json()["Active"] is False
    clock.advance(1)
    await _post(client, "/datasets/1/activate", None)
    assert (await client.get(P + "/datasets/active")).json()["IId"] == 1
