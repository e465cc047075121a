"""The Alviss API, call by call, over the shared retrying HTTP layer.

Paths, fields and status words are the vendor's (``upload_id``, ``IId``,
``Status``; ``complete`` for uploads and datasets, ``completed`` for models and
attributions).  Undocumented words are tolerated: anything that is neither a
success nor a failure word counts as "still running".
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from reconciler import errors
from reconciler.http import HttpClient
from reconciler.wait import Waiter


def object_id(body: Any, *keys: str) -> int | str:
    """The id field of a creating call's answer, trying the given keys in order."""
    if isinstance(body, dict):
        for key in keys:
            value = body.get(key)
            if isinstance(value, int | str) and value != "":
                return value
    # Only creating calls are asked for an id: without one the object may exist all the same.
    raise errors.OutcomeUnknown(
        f"Alviss answered without an id (expected one of {', '.join(keys)}); "
        "the platform may have created the object",
        hint="the call stays recorded; it is looked up before anything is sent again",
    )


class AlvissClient:
    """One Alviss project (team/project) reached through one HTTP client."""

    def __init__(self, http: HttpClient, *, team: int, project: int, waiter: Waiter | None = None) -> None:
        self.http = http
        self.waiter = waiter or Waiter()
        self.team = team
        self.project = project
        self.prefix = f"/projects/{team}/{project}"

    # uploads ---------------------------------------------------------------
    async def upload(self, path: Path, *, dataset_name: str) -> int | str:
        """Send ``path`` as multipart field ``file``, streamed from disk."""
        with path.open("rb") as handle:
            body = await self.http.send_json(
                "POST",
                f"{self.prefix}/datauploads",
                params={"dataset_name": dataset_name},
                files={"file": (path.name, handle, "text/csv")},
                creates=True,
            )
        return object_id(body, "upload_id", "IId")

    async def get_upload(self, upload_id: int | str) -> dict[str, Any]:
        return await self._object(f"{self.prefix}/datauploads/{upload_id}")

    # datasets --------------------------------------------------------------
    async def get_active_dataset(self) -> dict[str, Any] | None:
        try:
            return await self._object(f"{self.prefix}/datasets/active")
        except errors.NotFound:
            return None

    async def get_dataset(self, dataset_id: int | str) -> dict[str, Any]:
        return await self._object(f"{self.prefix}/datasets/{dataset_id}")

    async def create_dataset(
        self, *, upload_ids: Iterable[int | str], dataset_ids: Iterable[int | str]
    ) -> int | str:
        body = await self.http.send_json(
            "POST",
            f"{self.prefix}/datasets",
            json={"upload_ids": list(upload_ids), "dataset_ids": list(dataset_ids)},
            creates=True,
        )
        return object_id(body, "IId")

    async def activate_dataset(self, dataset_id: int | str) -> None:
        # Activation is idempotent: sending it again after a lost answer is harmless.
        await self.http.send_json("POST", f"{self.prefix}/datasets/{dataset_id}/activate")

    async def dates(
        self, dataset_id: int | str, combination: dict[str, str], *, dataset_name: str = "Sales"
    ) -> list[str]:
        """The dataset's distinct dates for one combination (a read, though the vendor made it a POST)."""
        body = await self.http.send_json(
            "POST",
            f"{self.prefix}/datasets/{dataset_id}/dates",
            params={"dataset_name": dataset_name},
            json=[combination],
        )
        if not isinstance(body, list):
            raise errors.ProviderError("Alviss answered the dates request with something other than a list")
        return [str(day) for day in body]

    async def list_objects(self, kind: str) -> list[dict[str, Any]]:
        """Every object of a kind (``datauploads``, ``datasets``, ``models``, ``attributions``, …)."""
        body = await self.http.get_json(f"{self.prefix}/{kind}")
        return [item for item in body if isinstance(item, dict)] if isinstance(body, list) else []

    # models ----------------------------------------------------------------------
    async def get_model(self, model_id: int | str) -> dict[str, Any]:
        return await self._object(f"{self.prefix}/models/{model_id}")

    async def refit(
        self, model_id: int | str, *, model_detail: dict[str, Any], model_param: dict[str, Any]
    ) -> int | str:
        body = await self.http.send_json(
            "POST",
            f"{self.prefix}/models/{model_id}/refit",
            json={"model_detail": model_detail, "model_param": model_param},
            creates=True,
        )
        return object_id(body, "IId")

    async def graph(self, graph_id: int | str) -> dict[str, Any]:
        return await self._object(f"{self.prefix}/build/graphs/{graph_id}")

    async def graph_instance(self, instance_id: int | str) -> dict[str, Any]:
        # The vendor serves graph instances per team, outside the project.
        return await self._object(f"/graph_instances/{self.team}/{instance_id}")

    async def build_model(self, body: dict[str, Any]) -> int | str:
        answer = await self.http.send_json("POST", f"{self.prefix}/build/model", json=body, creates=True)
        return object_id(answer, "IId", "model_id", "id")

    # attributions ------------------------------------------------------------------
    async def create_attribution(self, body: dict[str, Any]) -> int | str:
        answer = await self.http.send_json("POST", f"{self.prefix}/attributions", json=body, creates=True)
        return object_id(answer, "IId")

    async def get_attribution(self, attribution_id: int | str) -> dict[str, Any]:
        return await self._object(f"{self.prefix}/attributions/{attribution_id}")

    async def get_active_attribution_set(self) -> dict[str, Any] | None:
        try:
            return await self._object(f"{self.prefix}/attributionset/active")
        except errors.NotFound:
            return None

    async def get_attribution_set(self, set_id: int | str) -> dict[str, Any]:
        return await self._object(f"{self.prefix}/attributionset/{set_id}")

    async def align_dates(self, attribution_ids: list[int | str]) -> int | str:
        answer = await self.http.send_json(
            "POST",
            f"{self.prefix}/attributionset_align_dates",
            json={"attributionjob_ids": attribution_ids, "active": False},
            creates=True,
        )
        return object_id(answer, "IId")

    async def activate_attribution_set(self, set_id: int | str) -> None:
        await self.http.send_json("PATCH", f"{self.prefix}/attributionset/{set_id}/activate")

    async def _object(self, path: str) -> dict[str, Any]:
        body = await self.http.get_json(path)
        if not isinstance(body, dict):
            raise errors.ProviderError(f"Alviss answered {path} with something other than an object")
        return body


def dataset_upload_ids(dataset: dict[str, Any]) -> list[int | str]:
    """The upload ids a dataset contains, tolerating the shapes the platform may use."""
    uploads = dataset.get("DataUploads")
    if uploads is None:
        uploads = dataset.get("Uploads", [])
    found: list[int | str] = []
    for item in uploads or []:
        if isinstance(item, dict):
            value = item.get("IId", item.get("Id"))
            if value is not None:
                found.append(value)
        elif isinstance(item, int | str):
            found.append(item)
    return found


def set_attribution_ids(attribution_set: dict[str, Any]) -> list[int | str]:
    """The attribution ids an attribution set holds."""
    found: list[int | str] = []
    for item in attribution_set.get("Attributions") or []:
        value = item.get("IId") if isinstance(item, dict) else item
        if isinstance(value, int | str):
            found.append(value)
    return found


def nested_id(obj: dict[str, Any], key: str) -> Any:
    """``obj[key]["IId"]`` (the vendor nests references as objects), or None."""
    value = obj.get(key)
    return value.get("IId") if isinstance(value, dict) else value
