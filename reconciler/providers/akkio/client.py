"""The Akkio API, call by call, over the shared retrying HTTP layer.

Two generations of the API share one host: training lives under the API root
(``https://api.akkio.com/api/v1``, key in the ``X-API-Key`` header), datasets
and model listings under the legacy ``/v1`` (key as ``api_key`` in the query
or the JSON body).  One :class:`~reconciler.http.HttpClient` serves both: its
base URL is the API root, and legacy calls use absolute URLs on the same
host, so the retry policy, the redaction of the key and the transport (an
in-process emulator in tests) are shared.

The legacy API answers a bad key with a 404 (``{"status": "missing or
invalid API key"}``); that is turned into :class:`errors.AuthError` here, so
a wrong key is never mistaken for a missing dataset.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from reconciler import errors
from reconciler.http import HttpClient
from reconciler.wait import Waiter

BAD_KEY = "missing or invalid API key"


def legacy_root(base_url: str) -> str:
    """``https://api.akkio.com/api/v1`` → ``https://api.akkio.com/v1``: the legacy API on the same host."""
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}/v1"


def result_path(location: str) -> str:
    """A ``location`` relative to the API root (the docs show ``/models/…`` and ``/api/v1/models/…``)."""
    path = "/" + location.lstrip("/")
    return path[len("/api/v1") :] if path.startswith("/api/v1/") else path


class AkkioClient:
    """One Akkio team reached through one HTTP client."""

    def __init__(
        self, http: HttpClient, *, base_url: str, api_key: str, waiter: Waiter | None = None
    ) -> None:
        self.http = http
        self.waiter = waiter or Waiter()
        self.legacy = legacy_root(base_url)
        self._key = api_key

    # legacy datasets -----------------------------------------------------------
    async def list_datasets(self) -> list[dict[str, Any]]:
        body = await self._legacy("GET", "/datasets", params={"api_key": self._key})
        return _listed(body, "datasets")

    async def create_dataset(self, name: str) -> str:
        body = await self._legacy(
            "POST", "/datasets", json={"api_key": self._key, "name": name}, creates=True
        )
        dataset_id = body.get("dataset_id")
        if not isinstance(dataset_id, str) or not dataset_id:
            raise errors.ProviderError("Akkio answered the dataset creation without a dataset_id")
        return dataset_id

    async def add_rows(self, dataset_id: str, rows: Sequence[dict[str, Any]]) -> None:
        # Not idempotent: sending a batch twice stores its rows twice.
        await self._legacy(
            "POST",
            "/datasets",
            json={"api_key": self._key, "id": dataset_id, "rows": list(rows)},
            creates=True,
        )

    # legacy models ---------------------------------------------------------------
    async def list_models(self) -> list[dict[str, Any]]:
        body = await self._legacy("GET", "/models", params={"api_key": self._key})
        return _listed(body, "models")

    async def predict(self, model_id: str, data: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        body = await self._legacy(
            "POST", "/models", json={"api_key": self._key, "id": model_id, "data": list(data)}
        )
        predictions = body.get("predictions")
        if not isinstance(predictions, list):
            raise errors.ProviderError("Akkio answered a prediction without predictions")
        return predictions

    # training ------------------------------------------------------------------------
    async def train(
        self,
        *,
        dataset_id: str,
        predict_fields: Sequence[str],
        duration: int,
        ignore_fields: Sequence[str],
        extra_attention: bool,
        force: bool,
    ) -> str:
        payload = {
            "dataset_id": dataset_id,
            "predict_fields": list(predict_fields),
            "duration": duration,
            "ignore_fields": list(ignore_fields),
            "extra_attention": extra_attention,
            "force": force,
        }
        body = await self.http.send_json("POST", "/models/train/new", json=payload, creates=True)
        task_id = body.get("task_id") if isinstance(body, dict) else None
        if not isinstance(task_id, str) or not task_id:
            raise errors.ProviderError("Akkio answered the training request without a task_id")
        return task_id

    async def train_status(self, task_id: str) -> dict[str, Any]:
        return await self._object(f"/models/train/{task_id}/status")

    async def train_result(self, task_id: str, *, location: str | None = None) -> dict[str, Any]:
        return await self._object(result_path(location) if location else f"/models/train/{task_id}/result")

    # plumbing ------------------------------------------------------------------------
    async def _object(self, path: str) -> dict[str, Any]:
        body = await self.http.get_json(path)
        if not isinstance(body, dict):
            raise errors.ProviderError(f"Akkio answered {path} with something other than an object")
        return body

    async def _legacy(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            body = await self.http.send_json(method, self.legacy + path, **kwargs)
        except errors.NotFound as exc:
            if BAD_KEY in exc.body:
                raise errors.AuthError(
                    f"{self.http.service}: API key rejected by the legacy API ({method} /v1{path})",
                    status=exc.status,
                    body=exc.body,
                    hint="check the api_key the provider block reads from the environment",
                ) from exc
            raise
        if not isinstance(body, dict) or body.get("status") != "success":
            status = body.get("status") if isinstance(body, dict) else None
            raise errors.ProviderError(f"Akkio answered {method} /v1{path} with status {status!r}")
        return body


def _listed(body: dict[str, Any], key: str) -> list[dict[str, Any]]:
    items = body.get(key)
    if not isinstance(items, list):
        raise errors.ProviderError(f"Akkio answered the {key} listing without a list of {key}")
    return [item for item in items if isinstance(item, dict)]
