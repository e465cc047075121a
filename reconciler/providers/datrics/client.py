"""The Datrics prediction API, call by call, over the shared retrying HTTP layer.

Two calls, as the vendor documents them: submit records for a deployed model
(``POST /proxy/pipeline/model/predict``) and read the task
(``GET /proxy/pipeline/model/predict/info/{task_id}``).  The query flag is
spelled ``True``/``False`` as the vendor's Python client formats it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from reconciler import errors
from reconciler.http import HttpClient
from reconciler.wait import Waiter

PREDICT = "/proxy/pipeline/model/predict"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class DatricsClient:
    """One Datrics user reached through one HTTP client."""

    def __init__(
        self,
        http: HttpClient,
        *,
        waiter: Waiter | None = None,
        now: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.http = http
        self.waiter = waiter or Waiter()
        self.now = now

    async def create_prediction_task(
        self,
        records: Sequence[Mapping[str, Any]],
        *,
        model_path: str,
        bucket: str,
        return_only_prediction: bool,
    ) -> str:
        """Submit ``records`` to the model at ``bucket``/``model_path``; returns the task id."""
        body = await self.http.send_json(
            "POST",
            PREDICT,
            params={
                "path": model_path,
                "bucket": bucket,
                "return_only_prediction": str(return_only_prediction),
            },
            json=list(records),
            creates=True,
        )
        task_id = body.get("id") if isinstance(body, dict) else None
        if not isinstance(task_id, str | int) or task_id == "":
            raise errors.ProviderError("Datrics accepted the prediction task but answered without an id")
        return str(task_id)

    async def task_info(self, task_id: str) -> dict[str, Any]:
        """The task's state (and its result once ``SUCCESS``); unknown ids read as ``PENDING``."""
        body = await self.http.get_json(f"{PREDICT}/info/{task_id}")
        if not isinstance(body, dict):
            raise errors.ProviderError(f"Datrics answered task {task_id} with something other than an object")
        return body
