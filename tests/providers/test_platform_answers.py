"""Akkio, Sony EPA and Datrics answers are read through models of their documented fields.

A malformed answer is an error naming the call and the field (never a fact
the planner acts on); an unreadable answer to a creating call is an unknown
outcome; ids compare the same as ``"12"`` and ``12``; and a hostile server
(bad JSON, null, wrong types, huge, deeply nested, HTML) only ever produces a
clean :class:`errors.ReconcilerError`, whatever a client is asked.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler import errors
from reconciler.answers import same_id
from reconciler.providers.datrics.client import TaskInfo, TaskReport, prediction_result
from tests.providers.platform_fakes import CALLS, answering, client_of


def body(value: Any) -> bytes:
    return json.dumps(value).encode()


@pytest.mark.parametrize(
    ("platform", "index", "answer", "call", "field"),
    [
        ("akkio", 0, {"status": "success", "datasets": "abc"}, "GET /v1/datasets", "datasets"),
        ("akkio", 0, {"status": "success", "datasets": [{"id": None}]}, "GET /v1/datasets", "datasets.0.id"),
        ("akkio", 1, {"status": "success", "models": [{"id": True}]}, "GET /v1/models", "models.0.id"),
        ("akkio", 2, {"status": None}, "GET /models/train/T/status", "status"),
        ("akkio", 2, {"status": "IN_PROGRESS", "metadata": {"estimate_seconds": "soon"}},
         "GET /models/train/T/status", "metadata.estimate_seconds"),
        ("akkio", 3, {"stats": []}, "GET /models/train/T/result", "model_id"),
        ("sony_epa", 0, {"status": 3}, "GET /retrain_jobs/J", "status"),
        ("sony_epa", 1, {"retrain_job_id": "12", "upload_url": ""}, "GET /retrain_jobs/upload_url",
         "upload_url"),
        ("sony_epa", 1, {"upload_url": "http://x"}, "GET /retrain_jobs/upload_url", "retrain_job_id"),
        ("datrics", 0, {"state": None}, "GET /proxy/pipeline/model/predict/info/{task_id}", "state"),
        ("datrics", 0, ["SUCCESS"], "GET /proxy/pipeline/model/predict/info/T", ""),
    ],
)  # fmt: skip
async def test_a_malformed_answer_names_the_call_and_the_field(
    platform: str, index: int, answer: Any, call: str, field: str
) -> None:
    _, ask = CALLS[platform][index]
    async with client_of(platform, answering(200, body(answer))) as client:
        with pytest.raises(errors.MalformedAnswer) as caught:
            await ask(client)
    assert (caught.value.call, caught.value.field) == (call, field)
    assert call in str(caught.value) and "Traceback" not in str(caught.value)


@pytest.mark.parametrize(
    ("platform", "index", "content"),
    [
        ("akkio", 5, body({"status": "success"})),
        ("akkio", 5, b'{"status": "success", "dataset_id": "DS'),
        ("akkio", 7, body({"task_id": None})),
        ("akkio", 7, b"<html>gateway</html>"),
        ("datrics", 1, body({"id": ""})),
        ("datrics", 1, b'{"id": '),
    ],
)
async def test_an_unreadable_answer_to_a_creating_call_is_an_unknown_outcome(
    platform: str, index: int, content: bytes
) -> None:
    _, ask = CALLS[platform][index]
    async with client_of(platform, answering(201, content)) as client:
        with pytest.raises(errors.OutcomeUnknown, match="may have created"):
            await ask(client)


async def test_ids_in_either_form_are_one_id() -> None:
    answer = {"status": "success", "datasets": [{"id": 12, "name": "a"}, {"id": "x7", "name": "b"}]}
    async with client_of("akkio", answering(200, body(answer))) as client:
        listed = await client.list_datasets()
    assert same_id(listed[0].id, "12") and same_id("x7", listed[1].id) and not same_id(None, "x7")
    async with client_of("sony_epa", answering(200, body({"status": "finished", "model_id": "7"}))) as c:
        assert (await c.retrain_job("J")).model_id == 7


def test_a_success_without_the_inferred_result_key_keeps_the_whole_answer() -> None:
    assert prediction_result({"state": "SUCCESS", "result": [{"p": 1}]}) == [{"p": 1}]
    assert prediction_result({"state": "SUCCESS", "predictions": [{"p": 1}]}) == {"predictions": [{"p": 1}]}
    report = TaskReport(TaskInfo(state="SUCCESS"), {"state": "SUCCESS"})
    assert report.info.result is None


# --- hostile answers ------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
#: Bodies shaped like the platforms' own, with their fields given hostile values.
FIELDS = ("status", "datasets", "models", "metadata", "task_id", "model_id", "stats", "field_importance",
          "dataset_id", "retrain_job_id", "upload_url", "message", "state", "result", "id")  # fmt: skip
SPECIAL = {
    "empty": b"", "null": b"null", "cut": b"{", "html": b"<html><body>502 Bad Gateway</body></html>",
    "binary": b"\xff\xfe\x00", "deep list": b"[" * 100_000 + b"]" * 100_000,
    "deep object": b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    "huge string": body({"status": "success", "datasets": [{"id": "d", "name": "n" * 2_000_000}]}),
    "long list": body({"status": "success", "models": [{"id": n} for n in range(50_000)]}),
    "NaN": b"NaN", "overflow": b'{"status": "IN_PROGRESS", "metadata": {"estimate_seconds": 1e400}}',
}  # fmt: skip


class Special:
    """A named hostile body (its repr stays short when hypothesis reports it)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.content = SPECIAL[name]

    def __repr__(self) -> str:
        return f"Special({self.name!r})"


near_miss = st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6).map(body)
hostile = st.one_of(
    json_values.map(body),
    near_miss,
    st.binary(max_size=64),
    st.sampled_from(sorted(SPECIAL)).map(Special),
)
statuses = st.sampled_from([200, 200, 200, 201, 404])
every_call = st.sampled_from(
    [(platform, index) for platform, calls in CALLS.items() for index in range(len(calls))]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(target=every_call, status=statuses, content=hostile)
async def test_hostile_answers_end_in_a_clean_error(
    target: tuple[str, int], status: int, content: bytes | Special
) -> None:
    platform, index = target
    if isinstance(content, Special):
        content = content.content
    _, ask = CALLS[platform][index]
    async with client_of(platform, answering(status, content, "text/html")) as client:
        try:
            await ask(client)
        except errors.ReconcilerError as exc:
            assert str(exc) and "Traceback" not in str(exc)
