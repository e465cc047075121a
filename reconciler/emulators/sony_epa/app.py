"""The Sony EPA retrain API over HTTP: the vendor's paths, bodies and error table.

The API lives under ``/v1/external`` (SEEN), so a client built for the real
platform changes only scheme and host.  The upload and download URLs it hands
out are presigned-style URLs on the emulator itself (``/_uploads/…``,
``/_downloads/…``), built from the request's own host so they work both
in-process (httpx's ASGI transport) and served by uvicorn.  Like presigned
storage URLs they carry their authorisation in the query (``signature``) and
take no API key: a client must not send the model's key to storage.

The shared gate checks the ``x-api-key`` header (answering the vendor's
``invalid_api_key.`` body), counts requests per route template and injects
faults (the storage URLs too: a PUT can be lost like any request); paths under
``/_emulator`` are the emulator's own (statistics, and what an operator might
do to the world: delete a job, a model, a model's configuration file).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any

from fastapi import FastAPI, Header, Query, Request
from fastapi.responses import PlainTextResponse

from reconciler.emulators.base import Emulator
from reconciler.emulators.gate import EMULATOR_PREFIX, Authenticate, Refusal, same_secret
from reconciler.emulators.sony_epa import problems as p
from reconciler.emulators.sony_epa.world import World

API = "/v1/external"
Json = dict[str, Any]
ApiKey = Annotated[str | None, Header(alias="x-api-key")]


def api_key(token: str | None, *, clock: Callable[[], float]) -> Authenticate:
    """The ``x-api-key`` check: any non-empty key, or only ``token``; presigned URLs carry a signature."""
    refusal = Refusal(400, p.bad_request(p.INVALID_API_KEY).body)

    def check(headers: Mapping[str, str], query: Mapping[str, str]) -> Refusal | None:
        if "signature" in query:
            return None  # storage: the route checks the signature, and the API routes still need a key
        given = headers.get("x-api-key", "").strip()
        if not given or (token is not None and not same_secret(given, token)):
            return refusal
        return None

    return check


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _api_routes(app: FastAPI, world: World) -> None:

    @app.get(API + "/retrain_jobs/upload_url")
    async def upload_url(
        request: Request, filename: Annotated[str, Query(min_length=1)], key: ApiKey = None
    ) -> Json:
        return world.upload_url(key, filename=filename, base_url=_base(request))

    @app.get(API + "/retrain_jobs/{retrain_job_id}")
    async def retrain_job(request: Request, retrain_job_id: str, key: ApiKey = None) -> Json:
        return world.retrain_job(key, retrain_job_id, base_url=_base(request))

    @app.put(API + "/retrain_jobs/{retrain_job_id}/update_model")
    async def update_model(retrain_job_id: str, key: ApiKey = None) -> Json:
        return world.update_model(key, retrain_job_id)


def _storage_routes(app: FastAPI, world: World) -> None:

    @app.put("/_uploads/{retrain_job_id}")
    async def put_upload(request: Request, retrain_job_id: str, signature: str = "") -> PlainTextResponse:
        await world.receive(
            retrain_job_id,
            signature=signature,
            length=request.headers.get("content-length"),
            chunks=request.stream(),
        )
        return PlainTextResponse("")

    @app.get("/_downloads/{retrain_job_id}")
    async def download(retrain_job_id: str, signature: str = "") -> PlainTextResponse:
        return PlainTextResponse(world.results(retrain_job_id, signature=signature), media_type="text/csv")


def _emulator_routes(app: FastAPI, world: World) -> None:
    @app.get(EMULATOR_PREFIX + "/model")
    async def model(key: ApiKey = None) -> Json:
        return {"serving_retrain_job_id": world.serving(key or "")}

    @app.delete(EMULATOR_PREFIX + "/model")
    async def delete_model(key: ApiKey = None) -> Json:
        world.damage_model(key or "", deleted=True)
        return {}

    @app.delete(EMULATOR_PREFIX + "/model/configuration_file")
    async def delete_configuration(key: ApiKey = None) -> Json:
        world.damage_model(key or "", configuration_lost=True)
        return {}

    @app.delete(EMULATOR_PREFIX + "/retrain_jobs/{retrain_job_id}")
    async def delete_job(retrain_job_id: str) -> Json:
        if not world.delete_job(retrain_job_id):
            raise p.bad_request(p.JOB_NOT_FOUND)
        return {}


def _routes(app: FastAPI, world: World) -> None:
    _api_routes(app, world)
    _storage_routes(app, world)
    _emulator_routes(app, world)


EMULATOR = Emulator(
    "Sony Easy Predictive Analytics (emulator)", world=World, routes=_routes, authenticate=api_key
)
