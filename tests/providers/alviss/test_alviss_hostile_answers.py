"""Hostile server answers to every Alviss read end in a clean ReconcilerError, never another exception.

Bad JSON, HTML, nulls, wrong types, huge and deeply nested bodies, and
near-misses of the documented shapes are fed to each read of the provider's
client (and to what the resource types derive from an answer), behind the
real HTTP layer.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler import errors
from reconciler.providers.alviss import inputs, shapes
from reconciler.providers.alviss.active_dataset import live_active, members
from reconciler.providers.alviss.client import AlvissClient, job_status
from tests.providers.alviss.alviss_answer_support import client_answering

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
)
KEYS = ("IId", "Id", "Status", "DataUploads", "Uploads", "Attributions", "DataSet", "GraphInstance", "Graph")
KEYS += ("Country", "Region", "Grouping", "nodes", "edges", "upload_id", "Message", "CreatedAt", "FileSize")
near_misses = st.dictionaries(st.sampled_from(KEYS), values, max_size=6)
json_bodies = values | near_misses | st.lists(near_misses, max_size=3)
RAW = {
    "empty": b"",
    "cut object": b"{",
    "cut list": b"[1, 2",
    "html": b"<html><body><h1>502 Bad Gateway</h1></body></html>",
    "not utf-8": b"\xff\xfe\x00garbage",
    "NaN": b"NaN",
    "duplicate key": b'{"IId": 1, "IId": null}',
    "deep list": b"[" * 100_000 + b"]" * 100_000,  # deeper than any parser should follow
    "deep object": b'{"a":' * 5_000 + b"1" + b"}" * 5_000,
    "big": json.dumps({"DataUploads": list(range(200_000))}).encode(),  # big, but well-formed
    "huge": b'"' + b"x" * 9_000_000 + b'"',  # bigger than an answer may be
}
# Named, so a failing example is reported by name rather than by a megabyte of repr.
raw_bodies = st.sampled_from(sorted(RAW))
statuses = st.sampled_from([200, 200, 200, 201, 204, 404, 409, 418, 500])

READS: dict[str, Callable[[AlvissClient], Awaitable[Any]]] = {
    "upload": lambda c: c.get_upload(1),
    "active dataset": live_active,
    "dataset": lambda c: c.get_dataset(2),
    "model": lambda c: c.get_model(3),
    "graph": lambda c: c.graph(4),
    "graph instance": lambda c: c.graph_instance(5),
    "attribution": lambda c: c.get_attribution(6),
    "active attribution set": lambda c: c.get_active_attribution_set(),
    "attribution set": lambda c: c.get_attribution_set(7),
    "dates": lambda c: c.dates(2, {"country_code": "SWE", "region_code": "all", "grouping": "all"}),
    "list": lambda c: c.list_objects("datasets"),
    "create dataset": lambda c: c.create_dataset(upload_ids=[1], dataset_ids=[2]),
    "refit": lambda c: c.refit(3, model_detail={}, model_param={}),
    "build": lambda c: c.build_model({}),
    "align": lambda c: c.align_dates([1]),
}


def derive(result: Any) -> None:
    """What the resource types read from an answer; malformed parts must be errors too."""
    if isinstance(result, shapes.Job):
        job_status(result)
    if isinstance(result, shapes.Dataset):
        members(result, None)
    if isinstance(result, shapes.Model):
        inputs.combination_of(result)


async def read_all(status: int, body: bytes) -> None:
    def answer(method: str, path: str) -> httpx.Response:
        return httpx.Response(status, content=body, headers={"content-type": "application/json"})

    client = client_answering(answer)
    try:
        for name, read in READS.items():
            try:
                derive(await read(client))
            except errors.ReconcilerError:
                pass
            except Exception as exc:  # pragma: no cover - the failure this test exists to find
                raise AssertionError(f"{name}: {type(exc).__name__}: {exc}") from exc
    finally:
        await client.http.aclose()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(status=statuses, body=json_bodies)
def test_hostile_json_answers_are_clean_errors(status: int, body: Any) -> None:
    asyncio.run(read_all(status, json.dumps(body).encode()))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(status=statuses, name=raw_bodies)
def test_hostile_raw_answers_are_clean_errors(status: int, name: str) -> None:
    asyncio.run(read_all(status, RAW[name]))
