"""Prediction tasks: Celery states from the clock, results, failures, unknown ids, stats, persistence."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from datrics_emulator_support import (
    APPLICANT,
    BUCKET,
    CREDIT,
    PASSENGER,
    PREDICT,
    TITANIC,
    FakeClock,
    Maker,
)


async def submit(
    client: httpx.AsyncClient,
    records: Any,
    *,
    path: str = TITANIC,
    bucket: str = BUCKET,
    only: str = "False",
) -> str:
    response = await client.post(
        PREDICT, params={"path": path, "bucket": bucket, "return_only_prediction": only}, json=records
    )
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"id"}
    task_id: str = response.json()["id"]
    return task_id


async def info(client: httpx.AsyncClient, task_id: str) -> dict[str, Any]:
    response = await client.get(f"{PREDICT}/info/{task_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_task_is_started_from_submission_until_success(
    make_datrics: Maker, datrics_clock: FakeClock
) -> None:
    """Never PENDING while known: the vendor's example takes any state but STARTED or SUCCESS as an error."""
    client = make_datrics(predict=10.0)
    task_id = await submit(client, [PASSENGER])
    assert await info(client, task_id) == {"id": task_id, "state": "STARTED"}
    datrics_clock.advance(2.0)
    assert await info(client, task_id) == {"id": task_id, "state": "STARTED"}
    datrics_clock.advance(7.9)
    assert (await info(client, task_id))["state"] == "STARTED"
    datrics_clock.advance(0.1)
    done = await info(client, task_id)
    assert done["state"] == "SUCCESS"
    assert done["result"] == [{**PASSENGER, "prediction": 1, "probability": 0.941329}]


async def test_return_only_prediction_leaves_out_the_input_columns(datrics: httpx.AsyncClient) -> None:
    applicants = [APPLICANT, {**APPLICANT, "order_amount": 100, "employment_status_Employed": 1}]
    task_id = await submit(datrics, applicants, path=CREDIT, only="True")
    assert (await info(datrics, task_id))["result"] == [
        {"prediction": 1, "probability": 0.71095},
        {"prediction": 0, "probability": 0.182426},
    ]


async def test_another_model_version_predicts_differently(datrics: httpx.AsyncClient) -> None:
    first = await info(datrics, await submit(datrics, [PASSENGER], only="true"))
    second = await info(
        datrics, await submit(datrics, [PASSENGER], path="1/4/model-groups/2/2.json", only="1")
    )
    assert first["result"] != second["result"]


@pytest.mark.parametrize(
    ("records", "path", "error"),
    [
        (
            [PASSENGER, {k: v for k, v in PASSENGER.items() if k != "age"}],
            TITANIC,
            "KeyError: record 1 lacks feature(s) the model needs: age",
        ),
        ([{**PASSENGER, "fare": None}], TITANIC, "KeyError: record 0 lacks feature(s) the model needs: fare"),
        (
            [{**PASSENGER, "age": "old"}],
            TITANIC,
            "ValueError: could not convert string to float: 'old' (record 0, feature age)",
        ),
        (
            [PASSENGER],
            "1/4/model-groups/9/9.json",
            "FileNotFoundError: no model at 1/4/model-groups/9/9.json",
        ),
    ],
)
async def test_a_task_the_worker_cannot_do_ends_in_failure_with_the_message(
    make_datrics: Maker, datrics_clock: FakeClock, records: list[dict[str, Any]], path: str, error: str
) -> None:
    client = make_datrics(predict=5.0)
    task_id = await submit(client, records, path=path)
    assert (await info(client, task_id))["state"] == "STARTED"  # the failure shows only when the task ends
    datrics_clock.advance(5.0)
    failed = await info(client, task_id)
    assert failed["state"] == "FAILURE"
    assert failed["error"].startswith(error)
    assert "result" not in failed


async def test_extra_columns_and_numeric_text_are_accepted(datrics: httpx.AsyncClient) -> None:
    record = {**PASSENGER, "name": "Allen", "age": "29"}
    done = await info(datrics, await submit(datrics, [record]))
    assert done["result"][0]["prediction"] == 1 and done["result"][0]["name"] == "Allen"


async def test_an_unknown_task_reads_pending_as_celery_answers(datrics: httpx.AsyncClient) -> None:
    assert await info(datrics, "no-such-task") == {"id": "no-such-task", "state": "PENDING"}


@pytest.mark.parametrize(
    ("params", "body"),
    [
        ({"path": TITANIC, "bucket": BUCKET}, {"pclass": 1}),
        ({"path": TITANIC, "bucket": BUCKET}, [1, 2]),
        ({"bucket": BUCKET}, [PASSENGER]),
        ({"path": TITANIC}, [PASSENGER]),
        ({"path": TITANIC, "bucket": BUCKET, "return_only_prediction": "perhaps"}, [PASSENGER]),
    ],
)
async def test_a_malformed_request_is_422_in_fastapi_style(
    datrics: httpx.AsyncClient, params: dict[str, str], body: Any
) -> None:
    response = await datrics.post(PREDICT, params=params, json=body)
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], list)
    assert (await datrics.get("/_emulator/stats")).json()["objects"] == {"prediction_task": 0}


async def test_the_vendors_content_type_and_body_text_are_accepted(datrics: httpx.AsyncClient) -> None:
    response = await datrics.post(
        f"{PREDICT}?path={TITANIC}&bucket={BUCKET}&return_only_prediction=False",
        content=b'[{"pclass": 0, "sex": 0, "age": 29, "sibsp": 0, "parch": 0, '
        b'"fare": 211.3375, "embarked": 2}]',
        headers={"content-type": "application/json;charset=UTF-8"},
    )
    assert response.status_code == 200
    assert (await info(datrics, response.json()["id"]))["state"] == "SUCCESS"


async def test_stats_count_tasks_and_requests_and_persist_across_apps(make_datrics: Maker) -> None:
    first = make_datrics()
    task_id = await submit(first, [PASSENGER])
    await info(first, task_id)
    await info(first, "other")
    second = make_datrics()  # a new process on the same data directory
    assert (await info(second, task_id))["state"] == "SUCCESS"
    stats = (await second.get("/_emulator/stats")).json()
    assert stats == {
        "objects": {"prediction_task": 1},
        "requests": {f"GET {PREDICT}/info/{{task_id}}": 3, f"POST {PREDICT}": 1},
        "faults": {},
    }
    reset = (await second.delete("/_emulator/stats")).json()
    assert reset == {"objects": {"prediction_task": 1}, "requests": {}, "faults": {}}
