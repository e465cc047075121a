"""The Akkio client's training request: every field the OpenAPI document requires, always."""

from __future__ import annotations

import json
from typing import Any

import httpx

from reconciler.http import HttpClient
from reconciler.providers.akkio.client import AkkioClient
from reconciler.providers.akkio.config import ModelConfig

BASE = "https://api.akkio.test/api/v1"


async def test_duration_is_always_sent_even_when_the_spec_leaves_it_at_its_default() -> None:
    """The emulator (like the vendor's page) defaults a missing duration; the provider never relies on it."""
    sent: list[dict[str, Any]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return httpx.Response(201, json={"task_id": "t-1"})

    config = ModelConfig(dataset_id="d-1", predict_fields=["Positive Lead"])
    assert "duration" not in config.model_fields_set
    http = HttpClient(base_url=BASE, service="Akkio (test)", transport=httpx.MockTransport(answer))
    async with http:
        client = AkkioClient(http, base_url=BASE, api_key="k")
        task_id = await client.train(
            dataset_id="d-1",
            predict_fields=config.predict_fields,
            duration=config.duration,
            ignore_fields=config.ignore_fields,
            extra_attention=config.extra_attention,
            force=False,
        )
    assert task_id == "t-1"
    assert sent == [
        {
            "dataset_id": "d-1",
            "predict_fields": ["Positive Lead"],
            "duration": 10,
            "ignore_fields": [],
            "extra_attention": False,
            "force": False,
        }
    ]
