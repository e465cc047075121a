"""Alviss answers are read through models of their documented fields: malformed ones are named errors."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler import errors
from reconciler.providers.alviss.active_dataset import live_active
from tests.providers.alviss.alviss_answer_support import client_answering


def answering(table: dict[tuple[str, str], Any]) -> Any:
    def answer(method: str, path: str) -> Any:
        return table[(method, path.removeprefix("/projects/1/1"))]

    return client_answering(answer)


async def test_an_active_dataset_with_a_null_id_is_a_malformed_answer_not_no_dataset() -> None:
    """It used to plan a new dataset of only the new uploads, dropping the existing data."""
    client = answering({("GET", "/datasets/active"): {"IId": None, "DataUploads": [1, 2]}})
    with pytest.raises(errors.MalformedAnswer) as caught:
        await live_active(client)
    assert caught.value.call == "GET /datasets/active"
    assert caught.value.field == "IId"
    assert "GET /datasets/active" in str(caught.value) and "'IId'" in str(caught.value)


async def test_uploads_given_as_a_string_are_a_malformed_answer_not_three_uploads() -> None:
    client = answering({("GET", "/datasets/active"): {"IId": 5, "DataUploads": "abc"}})
    with pytest.raises(errors.MalformedAnswer) as caught:
        await live_active(client)
    assert caught.value.field == "DataUploads"


async def test_ids_are_read_in_one_form() -> None:
    client = answering(
        {("GET", "/datasets/active"): {"IId": "5", "DataUploads": ["12", 13, {"IId": "14"}], "Extra": {}}}
    )
    active = await live_active(client)
    assert active is not None
    assert active.IId == 5
    assert active.upload_ids == [12, 13, 14]


async def test_a_dataset_that_does_not_show_its_uploads_is_read_whole_once() -> None:
    client = answering(
        {
            ("GET", "/datasets/active"): {"IId": 5},
            ("GET", "/datasets/5"): {"Status": "complete", "DataUploads": [1]},
        }
    )
    active = await live_active(client)
    assert active is not None and active.IId == 5 and active.upload_ids == [1]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/datauploads/1", {"Status": 3}, "Status"),
        ("/models/3", {"Status": "completed", "DataSet": 4}, "DataSet"),
        ("/models/3", {"Status": "completed", "GraphInstance": {"Graph": {"Id": 1}}}, "GraphInstance.Id"),
        ("/attributionset/active", {"IId": 2}, "Attributions"),
        ("/attributionset/active", {"Attributions": [{"Id": None}]}, "Attributions.0"),
        ("/attributions/7", ["not", "an", "object"], ""),
    ],
)
async def test_reads_name_the_call_and_the_field(path: str, body: Any, field: str) -> None:
    client = answering({("GET", path): body})
    read = {
        "/datauploads/1": lambda: client.get_upload(1),
        "/models/3": lambda: client.get_model(3),
        "/attributionset/active": client.get_active_attribution_set,
        "/attributions/7": lambda: client.get_attribution(7),
    }[path]
    with pytest.raises(errors.MalformedAnswer) as caught:
        await read()
    assert caught.value.field == field
    assert caught.value.call.startswith("GET /")


async def test_dates_that_are_not_a_list_of_strings_are_malformed() -> None:
    client = answering({("POST", "/datasets/5/dates"): {"dates": ["2024-01-01"]}})
    with pytest.raises(errors.MalformedAnswer, match=r"POST /datasets/\{dataset_id\}/dates"):
        await client.dates(5, {"country_code": "SWE", "region_code": "all", "grouping": "all"})


@pytest.mark.parametrize("body", [{}, {"IId": None}, {"IId": True}, None, [], {"upload_id": ""}])
async def test_an_unreadable_answer_to_a_create_is_an_unknown_outcome(body: Any) -> None:
    client = answering(
        {
            ("POST", "/datasets"): body,
            ("POST", "/models/3/refit"): body,
            ("POST", "/attributions"): body,
            ("POST", "/attributionset_align_dates"): body,
            ("POST", "/build/model"): body,
        }
    )
    creates = [
        client.create_dataset(upload_ids=[1], dataset_ids=[2]),
        client.refit(3, model_detail={}, model_param={}),
        client.create_attribution({}),
        client.align_dates([1]),
        client.build_model({}),
    ]
    for create in creates:
        with pytest.raises(errors.OutcomeUnknown):
            await create


async def test_create_answers_accept_the_documented_and_tolerated_id_fields() -> None:
    client = answering(
        {
            ("POST", "/datasets"): {"IId": "9"},
            ("POST", "/build/model"): {"model_id": 12},
        }
    )
    assert await client.create_dataset(upload_ids=[1], dataset_ids=[]) == 9
    assert await client.build_model({}) == 12
