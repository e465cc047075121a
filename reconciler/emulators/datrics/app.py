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

from typing import Annotated, Any

from fastapi import Body, FastAPI, Query

from reconciler.emulators.base import Emulator
from reconciler.emulators.datrics.auth import jwt_bearer
from reconciler.emulators.datrics.world import World

API = "/api/v1"
PREDICT = API + "/proxy/pipeline/model/predict"
Json = dict[str, Any]


def _routes(app: FastAPI, world: World) -> None:

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


#: ``token`` is the JWT secret (None: accept any HS256 JWT).
EMULATOR = Emulator("Datrics (emulator)", world=World, routes=_routes, authenticate=jwt_bearer)
