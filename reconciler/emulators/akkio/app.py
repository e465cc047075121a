"""The Akkio API over HTTP: the vendor's paths, bodies, status words and error shapes.

Two generations of the API live on one host, and they authenticate
differently, as the vendor's do:

* ``/api/v1/...`` (training) wants the ``X-API-Key`` header; a missing or
  wrong key is a 401 in FastAPI's ``{"detail": ...}`` style; a malformed body
  is FastAPI's own 422 ``{"detail": [{"loc", "msg", "type"}]}``;
* ``/v1/...`` (legacy datasets and models) wants ``api_key`` in the query
  (GET) or the JSON body (POST); a missing or wrong key is the documented
  404 ``{"status": "missing or invalid API key"}``.

Variants (``variant``): ``full`` serves everything above; ``documented``
serves only what the vendor's pages show, so not the legacy model listing
(``GET /v1/models``: the training page names the route but never shows its
answer); ``strict`` is ``documented`` and also refuses (422) a training
request without ``duration``, which the OpenAPI document requires.

Both go through the shared gate, which counts every request per route
template and injects faults (one fault sequence for both doors, so a seed
means the same run whichever API a request uses); the legacy door does not
authenticate, because its key is in the body.  Keys are compared in constant
time and never echoed or logged.  Organisations
(and the 403 for a key whose organisation lacks access) are not modelled.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from reconciler.emulators.akkio.world import LEGACY_BAD_KEY, World, legacy_error
from reconciler.emulators.base import Emulator, Problem
from reconciler.emulators.gate import Authenticate, Refusal, same_secret

API = "/api/v1"
LEGACY = "/v1"
Json = dict[str, Any]
TrainDuration = Literal[10, 60, 300, 1800]
DEFAULT_DURATION: TrainDuration = 10
TRAINING_PATHS = (
    "/api.yaml",
    "/models/train/new",
    "/models/train/{task_id}/status",
    "/models/train/{task_id}/result",
)


class TrainRequestPayload(BaseModel):
    """``POST /api/v1/models/train/new`` as the OpenAPI document has it; ``duration`` may be left out."""

    model_config = ConfigDict(extra="allow")

    dataset_id: str
    predict_fields: list[str]
    # The OpenAPI document lists duration as required, but the vendor's own example call (seed 004) omits
    # it and the page calls everything but dataset_id optional; that example must work as written, so a
    # missing duration means 10: the first and fastest of the allowed values ("10 (Fastest)").
    duration: TrainDuration = Field(DEFAULT_DURATION, description="10, 60, 300 or 1800")
    ignore_fields: list[str] = Field(default_factory=list)
    extra_attention: bool = False
    force: bool = False


def api_key_header(token: str | None, *, clock: Callable[[], float]) -> Authenticate:
    """The ``X-API-Key`` check of ``/api/v1``: any non-empty key, or only ``token``."""

    def check(headers: Mapping[str, str], query: Mapping[str, str]) -> Refusal | None:
        given = headers.get("x-api-key", "").strip()
        if not given:
            return Refusal(401, {"detail": "Missing API key: set the X-API-Key header"})
        if token is not None and not same_secret(given, token):
            return Refusal(401, {"detail": "Invalid API key"})
        return None

    return check


class StrictTrainRequestPayload(TrainRequestPayload):
    """The training request as the OpenAPI document requires it: ``duration`` too (strict variant)."""

    duration: TrainDuration = Field(description="10, 60, 300 or 1800")


def _routes(app: FastAPI, world: World) -> None:
    _training_routes(app, world, strict=world.strict)
    _legacy_routes(app, world, listing=not world.documented)


def _training_routes(app: FastAPI, world: World, *, strict: bool) -> None:

    def start(body: TrainRequestPayload) -> Json:
        params = {
            "dataset_id": body.dataset_id,
            "predict_fields": list(body.predict_fields),
            "duration": body.duration,
            "ignore_fields": list(body.ignore_fields),
            "extra_attention": body.extra_attention,
        }
        return {"task_id": world.train(params, force=body.force)}

    if strict:

        @app.post(API + "/models/train/new", status_code=201)
        async def train_new_strict(body: StrictTrainRequestPayload) -> Json:
            return start(body)

    else:

        @app.post(API + "/models/train/new", status_code=201)
        async def train_new(body: TrainRequestPayload) -> Json:
            return start(body)

    @app.get(API + "/api.yaml")
    async def openapi_yaml() -> PlainTextResponse:
        # The OpenAPI document's own path (documented in it); a client checks its endpoint with it.
        paths = "".join(f"  {API}{path}: {{}}\n" for path in TRAINING_PATHS)
        return PlainTextResponse(f"openapi: 3.1.0\ninfo: {{title: Akkio (emulator)}}\npaths:\n{paths}")

    @app.get(API + "/models/train/{task_id}/status")
    async def train_status(task_id: str) -> Json:
        return world.status(task_id)

    @app.get(API + "/models/train/{task_id}/result")
    async def train_result(task_id: str) -> Json:
        return world.result(task_id)


async def _body(request: Request) -> Json:
    try:
        body = await request.json()
    except ValueError:
        raise legacy_error(400, "the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise legacy_error(400, "the body must be a JSON object")
    return body


def _legacy_routes(app: FastAPI, world: World, *, listing: bool) -> None:
    token = world.token

    def check_key(given: Any) -> None:
        if not isinstance(given, str) or not given.strip():
            raise Problem(404, LEGACY_BAD_KEY)
        if token is not None and not same_secret(given.strip(), token):
            raise Problem(404, LEGACY_BAD_KEY)

    async def keyed_body(request: Request) -> Json:
        """The JSON object sent, once its key (in it, or in the query) is checked."""
        body = await _body(request)
        check_key(body.get("api_key", request.query_params.get("api_key")))
        return body

    def lister(listed: Callable[[], Json]) -> Callable[[Request], Awaitable[Json]]:
        async def listing(request: Request) -> Json:
            check_key(request.query_params.get("api_key"))
            return listed()

        return listing

    app.add_api_route(LEGACY + "/datasets", lister(world.datasets), methods=["GET"], name="list_datasets")
    if listing:  # named by the training page, its answer never shown: only the full variant lists models
        app.add_api_route(LEGACY + "/models", lister(world.models), methods=["GET"], name="list_models")

    @app.post(LEGACY + "/datasets")
    async def datasets(request: Request) -> Json:
        body = await keyed_body(request)
        if "id" in body:
            rows = body.get("rows")
            if not isinstance(rows, list):
                raise legacy_error(400, "rows must be a list of objects")
            return world.add_rows(str(body["id"]), rows)
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise legacy_error(400, "give a name to create a dataset, or an id")
        return world.create_dataset(name)

    @app.post(LEGACY + "/models")
    async def predict(request: Request) -> Json:
        body = await keyed_body(request)
        data = body.get("data")
        if not isinstance(body.get("id"), str) or not isinstance(data, list):
            raise legacy_error(400, "give the model id and data, a list of objects")
        return world.predict(body["id"], data)


# The legacy API's key is in the query or the body, checked by its routes.
EMULATOR = Emulator(
    "Akkio (emulator)", world=World, routes=_routes, authenticate=api_key_header, unauthenticated=LEGACY + "/"
)
