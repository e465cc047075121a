"""The Alviss API over HTTP: the vendor's paths, bodies and status codes.

Paths are exactly the vendor's (``/api/v1/api/projects/{team}/{project}/...``
and ``/v1/team/teams``), so a client built for the real platform changes
only scheme and host.  Handlers are ``async`` but do their SQLite work
synchronously: that keeps the app usable in-process through
``httpx.ASGITransport`` on the caller's own event loop, as well as under
uvicorn.

The shared gate (``reconciler.emulators.gate``) in front of the routes checks
the bearer token and counts requests per route template into the store.  The
token is compared, never echoed or logged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any

from fastapi import FastAPI, File, Query, UploadFile
from pydantic import BaseModel, BeforeValidator

from reconciler.answers import normalize_id
from reconciler.emulators.alviss import variants, wire
from reconciler.emulators.alviss.datafiles import DATASET_TYPES
from reconciler.emulators.alviss.world import Problem, World, dataset_type
from reconciler.emulators.base import Emulator
from reconciler.emulators.gate import Authenticate, bearer

API = "/api/v1/api"
PROJECT = API + "/projects/{team_id}/{project_id}"
Json = dict[str, Any]
#: A team or project id in a path: an integer, or a string (the vendor's scripts show "<set me>");
#: ``7`` and ``"7"`` are one project.
Ident = Annotated[int | str, BeforeValidator(normalize_id)]


def _routes(app: FastAPI, world: World) -> None:
    _project_routes(app, world, world.variant)
    if not world.documented:
        _list_routes(app, world)  # not in the vendor's pages
    _other_routes(app, world)


def _bearer(token: str | None, *, clock: Callable[[], float]) -> Authenticate:
    return bearer(token)


EMULATOR = Emulator("Alviss AI (emulator)", world=World, routes=_routes, authenticate=_bearer)


def _project_routes(app: FastAPI, world: World, variant: str) -> None:
    strict = variant == variants.STRICT

    def see(kind: str, shown: Json) -> Json:
        return variants.view(kind, shown, variant)

    def documented_name(dataset_name: str) -> str:
        if strict and dataset_name not in DATASET_TYPES:
            raise Problem(422, f"dataset_name '{dataset_name}' is not one of {', '.join(DATASET_TYPES)}")
        return dataset_type(dataset_name)

    @app.post(PROJECT + "/datauploads")
    async def create_upload(
        team_id: Ident, project_id: Ident, dataset_name: str, file: Annotated[UploadFile, File()]
    ) -> Json:
        kind = documented_name(dataset_name)
        name = file.filename or "upload.csv"
        upload_id = world.create_upload(team_id, project_id, kind=kind, filename=name, stream=file.file)
        return {"upload_id": upload_id}

    @app.get(PROJECT + "/datauploads/{upload_id}")
    async def get_upload(team_id: Ident, project_id: Ident, upload_id: int) -> Json:
        return see("upload", world.shown(team_id, project_id, "upload", upload_id))

    @app.get(PROJECT + "/datasets/active")
    async def active_dataset(team_id: Ident, project_id: Ident) -> Json:
        return see("dataset", world.active(team_id, project_id, "dataset"))

    @app.post(PROJECT + "/datasets")
    async def create_dataset(team_id: Ident, project_id: Ident, body: wire.DatasetCreate) -> Json:
        return {"IId": world.create_dataset(team_id, project_id, body)}

    @app.get(PROJECT + "/datasets/{dataset_id}")
    async def get_dataset(team_id: Ident, project_id: Ident, dataset_id: int) -> Json:
        return see("dataset", world.shown(team_id, project_id, "dataset", dataset_id))

    @app.post(PROJECT + "/datasets/{dataset_id}/activate")
    async def activate_dataset(team_id: Ident, project_id: Ident, dataset_id: int) -> Json:
        return see("dataset", world.activate(team_id, project_id, "dataset", dataset_id))

    @app.post(PROJECT + "/datasets/{dataset_id}/dates")
    async def dataset_dates(
        team_id: Ident,
        project_id: Ident,
        dataset_id: int,
        combos: list[wire.Combination],
        dataset_name: str = Query(),
    ) -> list[str]:
        kind = documented_name(dataset_name)
        if strict:
            require_sent(combos, "grouping")
        return world.dates(team_id, project_id, dataset_id, kind=kind, combos=combos)

    @app.post(PROJECT + "/models/{model_id}/refit")
    async def refit(team_id: Ident, project_id: Ident, model_id: int, body: wire.Refit) -> Json:
        if strict:
            require_sent([body.model_detail], "eval_dates")
        return {"IId": world.refit(team_id, project_id, model_id, body)}

    @app.get(PROJECT + "/models/{model_id}")
    async def get_model(team_id: Ident, project_id: Ident, model_id: int) -> Json:
        return see("model", world.shown(team_id, project_id, "model", model_id))

    @app.post(PROJECT + "/build/model")
    async def build_model(team_id: Ident, project_id: Ident, body: wire.BuildModel) -> Json:
        if strict:
            require_sent([body.model_detail], "eval_dates")
            require_sent([body.model_detail.modelling_combination], "grouping")
        return {"IId": world.build_model(team_id, project_id, body)}

    @app.get(PROJECT + "/build/graphs/{graph_id}")
    async def get_graph(team_id: Ident, project_id: Ident, graph_id: int) -> Json:
        return world.graph(team_id, project_id, graph_id)

    @app.post(PROJECT + "/attributions")
    async def create_attribution(team_id: Ident, project_id: Ident, body: wire.AttributionCreate) -> Json:
        return {"IId": world.create_attribution(team_id, project_id, body)}

    @app.get(PROJECT + "/attributions/{attribution_id}")
    async def get_attribution(team_id: Ident, project_id: Ident, attribution_id: int) -> Json:
        return see("attribution", world.shown(team_id, project_id, "attribution", attribution_id))

    @app.post(PROJECT + "/attributionset_align_dates")
    async def align_dates(team_id: Ident, project_id: Ident, body: wire.AlignDates) -> Json:
        if strict:
            require_sent([body], "active")
        return {"IId": world.align_dates(team_id, project_id, body)}

    @app.get(PROJECT + "/attributionset/active")
    async def active_attribution_set(team_id: Ident, project_id: Ident) -> Json:
        return see("attribution_set", world.active(team_id, project_id, "attribution_set"))

    @app.get(PROJECT + "/attributionset/{set_id}")
    async def get_attribution_set(team_id: Ident, project_id: Ident, set_id: int) -> Json:
        return see("attribution_set", world.shown(team_id, project_id, "attribution_set", set_id))

    @app.patch(PROJECT + "/attributionset/{set_id}/activate")
    async def activate_attribution_set(team_id: Ident, project_id: Ident, set_id: int) -> Json:
        return see("attribution_set", world.activate(team_id, project_id, "attribution_set", set_id))


def require_sent(bodies: Sequence[BaseModel], field: str) -> None:
    """The strict variant's rule: ``field`` must have been sent, not left to its default."""
    for body in bodies:
        if field not in body.model_fields_set:
            raise Problem(422, f"{field} is required")


#: The list endpoints (not in the vendor's pages): path below the project, route name, kind listed.
LISTS = (
    ("/datauploads", "list_uploads", "upload"),
    ("/datasets", "list_datasets", "dataset"),
    ("/models", "list_models", "model"),
    ("/attributions", "list_attributions", "attribution"),
    ("/attributionset", "list_attribution_sets", "attribution_set"),
)


def _list_routes(app: FastAPI, world: World) -> None:
    for path, name, kind in LISTS:
        app.add_api_route(PROJECT + path, _lister(world, kind), methods=["GET"], name=name)


def _lister(world: World, kind: str) -> Callable[[Ident, Ident], Awaitable[list[Json]]]:
    async def listing(team_id: Ident, project_id: Ident) -> list[Json]:
        return world.listed(team_id, project_id, kind)

    return listing


def _other_routes(app: FastAPI, world: World) -> None:

    @app.get(API + "/graph_instances/{team_id}/{graph_instance_id}")
    async def get_graph_instance(team_id: Ident, graph_instance_id: int) -> Json:
        return world.graph_instance(team_id, graph_instance_id)

    @app.get("/v1/team/teams")
    async def teams() -> list[Json]:
        return world.teams()
