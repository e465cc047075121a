"""Akkio, Sony EPA and Datrics clients connected to a fake server that answers every request one way."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx

from reconciler.providers.akkio import Akkio
from reconciler.providers.akkio.config import AkkioConfig
from reconciler.providers.base import ClientOptions, Connection
from reconciler.providers.datrics import Datrics
from reconciler.providers.datrics.config import DatricsConfig
from reconciler.providers.sony_epa import SonyEpa
from reconciler.providers.sony_epa.config import SonyEpaConfig

BASES = {
    "akkio": "http://akkio.test/api/v1",
    "sony_epa": "http://sony.test/v1/external",
    "datrics": "http://datrics.test/api/v1",
}
Handler = Callable[[httpx.Request], httpx.Response]


async def _no_sleep(_: float) -> None:
    return None


def answering(status: int, content: bytes, content_type: str = "application/json") -> Handler:
    """A server that answers every request with ``status`` and ``content``."""

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=content, headers={"content-type": content_type})

    return handle


@asynccontextmanager
async def client_of(platform: str, handler: Handler) -> AsyncIterator[Any]:
    """An open client of ``platform`` whose every request ``handler`` answers."""
    connection = Connection(base_url=BASES[platform], transport=httpx.MockTransport(handler), emulated=True)
    options = ClientOptions(sleep=_no_sleep, clock=lambda: 0.0, random=lambda: 0.0)
    if platform == "akkio":
        akkio = AkkioConfig.model_validate({"endpoint": "emulator://akkio"})
        async with Akkio().connect("akkio", akkio, connection=connection, options=options) as client:
            yield client
    elif platform == "sony_epa":
        sony = SonyEpaConfig.model_validate({"endpoint": "emulator://sony_epa"})
        async with SonyEpa().connect("sony_epa", sony, connection=connection, options=options) as client:
            yield client
    else:
        datrics = DatricsConfig.model_validate(
            {"endpoint": "emulator://datrics", "user_id": 1, "email": "a@example.com"}
        )
        async with Datrics().connect("datrics", datrics, connection=connection, options=options) as client:
            yield client


TRAINING: dict[str, Any] = {
    "dataset_id": "D",
    "predict_fields": ["y"],
    "duration": 10,
    "ignore_fields": [],
    "extra_attention": False,
    "force": False,
}
PREDICTION: dict[str, Any] = {
    "model_path": "1/4/model-groups/1/1.json",
    "bucket": "b",
    "return_only_prediction": False,
}

#: Every call of each platform's client a plan or an apply makes, with arguments (creating calls last).
CALLS: dict[str, list[tuple[str, Callable[[Any], Any]]]] = {
    "akkio": [
        ("GET /v1/datasets", lambda c: c.list_datasets()),
        ("GET /v1/models", lambda c: c.list_models()),
        ("GET /models/train/T/status", lambda c: c.train_status("T")),
        ("GET /models/train/T/result", lambda c: c.train_result("T")),
        ("GET /api.yaml", lambda c: c.check_api_root()),
        ("POST /v1/datasets", lambda c: c.create_dataset("leads")),
        ("POST /v1/datasets", lambda c: c.add_rows("D", [{"a": 1}])),
        (
            "POST /models/train/new",
            lambda c: c.train(
                dataset_id="D",
                predict_fields=["y"],
                duration=10,
                ignore_fields=[],
                extra_attention=False,
                force=False,
            ),
        ),
    ],
    "sony_epa": [
        ("GET /retrain_jobs/J", lambda c: c.retrain_job("J")),
        ("GET /retrain_jobs/upload_url", lambda c: c.upload_url("train.csv")),
        ("PUT /retrain_jobs/J/update_model", lambda c: c.update_model("J")),
    ],
    "datrics": [
        ("GET /proxy/pipeline/model/predict/info/T", lambda c: c.task_info("T")),
        (
            "POST /proxy/pipeline/model/predict",
            lambda c: c.create_prediction_task(
                [{"x": 1}], model_path="1/4/model-groups/1/1.json", bucket="b", return_only_prediction=False
            ),
        ),
    ],
}
