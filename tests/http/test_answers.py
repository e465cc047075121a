"""Platform answers read through models: ids normalised, malformed answers named, creates unknown."""

from __future__ import annotations

import pytest

from reconciler import errors
from reconciler.answers import Answer, ObjectId, parse


class Dataset(Answer):
    IId: ObjectId
    Status: str
    DataUploads: list[ObjectId] | None = None


def read(body: object, *, creates: bool = False) -> Dataset:
    return parse(Dataset, body, service="alviss", call="GET /datasets/active", creates=creates)


def test_ids_in_either_form_are_the_same_id_and_extra_fields_are_ignored() -> None:
    answer = read({"IId": "12", "Status": "complete", "DataUploads": [1, "2", "x-3"], "New": True})
    assert answer == Dataset(IId=12, Status="complete", DataUploads=[1, 2, "x-3"])
    assert read({"IId": 12, "Status": "complete"}).DataUploads is None


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"IId": None, "Status": "complete"}, "IId", "got null"),
        ({"IId": True, "Status": "complete"}, "IId", "got a boolean"),
        ({"IId": "", "Status": "complete"}, "IId", "got an empty string"),
        ({"IId": 1, "Status": "complete", "DataUploads": "abc"}, "DataUploads", "expected a JSON list"),
        ({"Status": "complete"}, "IId", "missing"),
        ("<html>", "", "expected a JSON object"),
        (None, "", "expected a JSON object"),
    ],
)
def test_a_malformed_answer_names_the_call_and_the_field(body: object, field: str, words: str) -> None:
    with pytest.raises(errors.MalformedAnswer) as caught:
        read(body)
    assert caught.value.call == "GET /datasets/active"
    assert caught.value.field == field
    assert "alviss: GET /datasets/active: unexpected answer" in caught.value.message
    assert words in caught.value.message


def test_an_unreadable_answer_to_a_creating_call_is_an_unknown_outcome() -> None:
    with pytest.raises(errors.OutcomeUnknown) as caught:
        read({"Status": "complete"}, creates=True)
    assert "may have created the object" in caught.value.message


def test_any_shape_can_be_parsed_and_deep_nesting_is_a_clean_error() -> None:
    assert parse(list[ObjectId], ["1", 2], service="s", call="GET /x") == [1, 2]
    deep: object = 1
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(errors.MalformedAnswer):
        parse(list[ObjectId], deep, service="s", call="GET /x")
