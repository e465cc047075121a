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
from reconciler.providers.alviss.waiting import Waiter


def object_id(body: Any, *keys: str) -> int | str:
    """The id field of a creating call's answer, trying the given keys in order."""
    if isinstance(body, dict):
        for key in keys:
            value = body.get(key)
            if isinstance(value, int | str) and value != "":
                return value
    raise errors.ProviderError(f"Alviss answered without an id (expected one of {', '.join(keys)})")


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
