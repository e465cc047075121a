"""The Datrics AutoModel prediction API over HTTP: the vendor's paths, query and bodies.

Two calls are documented, both under ``https://api.app.datrics.ai/api/v1``:
``POST /proxy/pipeline/model/predict?path=…&bucket=…&return_only_prediction=…``
with a JSON array of records answers ``{"id": task_id}``, and
``GET /proxy/pipeline/model/predict/info/{task_id}`` answers ``{"state": …}``.
The vendor's client sends ``content-type: application/json;charset=UTF-8``
and ``return_only_prediction=False`` (Python's spelling); both are accepted.

The shared gate (``reconciler.emulators.gate``) in front of the routes checks
the JWT (``auth.py``), counts requests per route template into the store and
injects faults.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any

from fastapi import Body, FastAPI, Query

from reconciler.emulators.datrics.auth import jwt_bearer
from reconciler.emulators.datrics.store import Store
from reconciler.emulators.datrics.world import World
from reconciler.emulators.faults import FaultInjector, Faults
from reconciler.emulators.gate import Gate
from reconciler.emulators.sqlite import world_file
from reconciler.emulators.stats import add_stats_routes

API = "/api/v1"
PREDICT = API + "/proxy/pipeline/model/predict"
Json = dict[str, Any]


def create_datrics_app(
    *,
    data_dir: Path,
    durations: Mapping[str, float],
    token: str | None = None,
    clock: Callable[[], float],
    faults: Faults | None = None,
    variant: str = "full",
) -> FastAPI:
    """A FastAPI app emulating Datrics; ``token`` is the JWT secret (None: accept any HS256 JWT)."""
    store = Store(world_file(data_dir, "datrics"))
    world = World(store, clock=clock, durations=durations, faults=faults, variant=variant)
    injector = None if faults is None else FaultInjector(faults, clock=clock)
    app = FastAPI(title="Datrics (emulator)")
    app.state.store = store
    app.state.datrics_world = world
    app.state.faults = injector
    app.state.variant = variant

    @app.post(PREDICT)
    async def create_prediction_task(
        records: Annotated[list[dict[str, Any]], Body()],
        path: Annotated[str, Query(min_length=1)],
        bucket: Annotated[str, Query(min_length=1)],
        return_only_prediction: bool = False,
    ) -> Json:
        task_id = world.submit(records, path=path, bucket=bucket, only_prediction=return_only_prediction)
        return {"id": task_id}

    @app.get(PREDICT + "/info/{task_id}")
    async def prediction_task_info(task_id: str) -> Json:
        return world.info(task_id)

    add_stats_routes(app, world)

    app.add_middleware(
        Gate,
        log=world,
        authenticate=jwt_bearer(token, clock=clock),
        routes=app.router.routes,
        faults=injector,
        fault_log=world,
    )
    return app
