"""The Sony EPA client against the emulator: vendor errors in words, the key kept to the API."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sony_provider_support import CHURN, DEMAND, Example, copy_example, no_wait

from reconciler import errors
from reconciler.emulators import create_app
from reconciler.providers.base import ClientOptions, Connection
from reconciler.providers.sony_epa import SonyEpa
from reconciler.providers.sony_epa.client import SonyEpaClient
from reconciler.providers.sony_epa.config import SonyEpaConfig
from reconciler.providers.sony_epa.payload import Payload
from reconciler.workflow import Settings

KEY = "model-key-0001"
CANARY = "canary-key-7f3e19"


class Recording(httpx.AsyncBaseTransport):
    """The emulator's ASGI transport, keeping every request's method, URL and headers."""

    def __init__(self, app: Any) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.seen: list[tuple[str, str, dict[str, str]]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append((request.method, str(request.url), dict(request.headers)))
        return await self.inner.handle_async_request(request)


@pytest.fixture
def connect(tmp_path: Path) -> Callable[..., Any]:
    app = create_app("sony_epa", data_dir=tmp_path / "data", durations={"retrain": 0}, token=KEY)
    transport = Recording(app)

    @asynccontextmanager
    async def open_client(key: str) -> AsyncIterator[tuple[SonyEpaClient, Recording]]:
        config = SonyEpaConfig(endpoint="emulator://sony_epa", api_key=key)  # type: ignore[arg-type]
        connection = Connection("http://sony_epa.emulator/v1/external", transport=transport, emulated=True)
        async with SonyEpa().connect(
            "sony_epa.churn", config, connection=connection, options=ClientOptions(sleep=no_wait)
        ) as client:
            yield client, transport

    yield open_client
    app.state.store.close()


async def test_a_rejected_key_is_said_in_words_and_never_shown(connect: Callable[..., Any]) -> None:
    async with connect(CANARY) as (client, _):
        with pytest.raises(errors.AuthError) as caught:
            await client.upload_url("train.csv")
    text = str(caught.value)
    assert "the API key was rejected (invalid_api_key.)" in text
    assert "check the api_key of provider sony_epa.churn" in text
    assert CANARY not in text and CANARY not in caught.value.body


async def test_the_upload_streams_to_storage_without_the_key(
    connect: Callable[..., Any], tmp_path: Path
) -> None:
    data = tmp_path / "train.csv"
    data.write_bytes(b"id,churned\n" + b"".join(b"C%05d,no\n" % n for n in range(50_000)))
    async with connect(KEY) as (client, transport):
        job, url = await client.upload_url("train.csv")
        await client.upload(url, Payload(path=data, filename="train.csv", size=data.stat().st_size))
        assert (await client.retrain_job(job)).status == "finished"
        await client.update_model(job)
    (put,) = [seen for seen in transport.seen if seen[0] == "PUT" and "/_uploads/" in seen[1]]
    assert "x-api-key" not in put[2]  # storage never gets the model's key
    assert put[2]["content-length"] == str(data.stat().st_size) and "transfer-encoding" not in put[2]
    assert all(seen[2].get("x-api-key") == KEY for seen in transport.seen if "/v1/external/" in seen[1])


async def test_vendor_errors_become_sentences(connect: Callable[..., Any], tmp_path: Path) -> None:
    async with connect(KEY) as (client, transport):
        with pytest.raises(
            errors.NotFound, match=r"retrain job nope is not on the platform \(Not found retrain job\.\)"
        ):
            await client.retrain_job("nope")
        job, _ = await client.upload_url("train.csv")
        with pytest.raises(errors.ApiError, match=f"retrain job {job} has not finished"):
            await client.update_model(job)
        transport.inner.app.state.world.damage_model(KEY, configuration_lost=True)  # type: ignore[attr-defined]
        with pytest.raises(errors.ApiError, match="configuration file is missing") as caught:
            await client.upload_url("train.csv")
    assert caught.value.hint and "Prediction One" in caught.value.hint


async def test_the_key_from_the_environment_is_never_written(tmp_path: Path) -> None:
    spec = copy_example(tmp_path)
    spec.write_text(
        spec.read_text().replace("# api_key: ${env:SONY_EPA_CHURN_KEY}", "api_key: ${env:SONY_EPA_CHURN_KEY}")
    )
    settings = Settings(
        environ={"SONY_EPA_CHURN_KEY": CANARY},
        emulator_dir=tmp_path / "emulators",
        emulator_durations={"sony_epa": {"retrain": 0}},
        client=ClientOptions(sleep=no_wait),
    )
    example = Example(root=tmp_path, spec=spec, settings=settings)
    events: list[str] = []
    result = await example.workspace().apply(on_event=lambda event: events.append(repr(event)))
    assert result.report.ok, result.report.messages
    assert json.loads(example.state_file.read_text())["resources"][CHURN]["outputs"]["switched"] is True
    assert DEMAND in result.report.outcomes
    written = "".join(path.read_text(errors="replace") for path in tmp_path.rglob("*.json"))
    assert CANARY not in written and CANARY not in "".join(events)
    assert CANARY not in repr(result.plan) and CANARY not in json.dumps(result.report.messages)
    assert CANARY.encode() not in (tmp_path / "emulators" / "sony_epa.sqlite3").read_bytes()
