"""A recorded object is "gone" only when the platform says so twice in a row."""

from __future__ import annotations

import pytest

from reconciler import errors
from reconciler.providers.jobs import read_or_gone

GONE = errors.NotFound("Alviss: GET /models/7: not found (HTTP 404)", status=404)


class Answers:
    def __init__(self, *script: object) -> None:
        self.script = list(script)
        self.calls = 0

    async def fetch(self) -> object:
        self.calls += 1
        item = self.script.pop(0)
        if isinstance(item, BaseException):
            raise item
        return item


async def test_one_404_then_the_object_is_not_gone() -> None:
    answers = Answers(GONE, {"IId": 7})
    assert await read_or_gone(answers.fetch) == {"IId": 7}
    assert answers.calls == 2


async def test_two_404s_in_a_row_are_gone() -> None:
    answers = Answers(GONE, GONE)
    assert await read_or_gone(answers.fetch) is None
    assert answers.calls == 2


async def test_a_found_object_is_read_once() -> None:
    answers = Answers({"IId": 7})
    assert await read_or_gone(answers.fetch) == {"IId": 7}
    assert answers.calls == 1


async def test_other_errors_are_not_gone() -> None:
    outage = errors.ApiError("Alviss: GET /models/7: HTTP 503", status=503)
    with pytest.raises(errors.ApiError):
        await read_or_gone(Answers(outage).fetch)
