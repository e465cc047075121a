"""The Akkio API, call by call, over the shared retrying HTTP layer.

Two generations of the API share one host: training lives under the API root
(``https://api.akkio.com/api/v1``, key in the ``X-API-Key`` header), datasets
and model listings under the legacy ``/v1`` (key as ``api_key`` in the query
or the JSON body).  One :class:`~reconciler.http.HttpClient` serves both: its
base URL is the API root, and legacy calls use absolute URLs on the same
host, so the retry policy, the redaction of the key and the transport (an
in-process emulator in tests) are shared.

Every answer is read through a model of its documented fields
(:mod:`reconciler.answers`): ids are normalised, extra fields ignored, and
an answer of another shape is :class:`errors.MalformedAnswer` naming the
call and the field (for the creating calls, :class:`errors.OutcomeUnknown`).

The legacy API answers a bad key with a 404 (``{"status": "missing or
invalid API key"}``); that is turned into :class:`errors.AuthError` here, so
a wrong key is never mistaken for a missing dataset.  The legacy model
listing (``GET /v1/models``) is named by the training page but its answer is
not shown there; where it is not served (a 404 that is not the bad-key
answer, or a 405), :meth:`AkkioClient.list_models` says so by returning
``None``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field

from reconciler import errors
from reconciler.answers import Answer, ObjectId
from reconciler.http import HttpClient
from reconciler.providers.waiting import Classifier, JobKind
from reconciler.providers.wire import PlatformClient, call, misconfigured
from reconciler.wait import PollSchedule, Waiter

BAD_KEY = "missing or invalid API key"


class Listed(Answer):
    """One dataset or model of a legacy listing."""

    id: ObjectId
    name: str | None = None


class LegacyAnswer(Answer):
    """Every legacy answer: ``{"status": "success", …}``."""

    status: str


class DatasetList(LegacyAnswer):
    datasets: list[Listed]


class DatasetCreated(LegacyAnswer):
    dataset_id: ObjectId
    dataset_name: str | None = None


class ModelList(LegacyAnswer):
    models: list[Listed]


class Predictions(LegacyAnswer):
    predictions: list[Any]


class TaskStarted(Answer):
    task_id: ObjectId


class StatusMetadata(Answer):
    """``metadata`` of a status answer; which fields come depends on ``type``."""

    type: str | None = None
    estimate_seconds: float | None = None
    location: str | None = None
    error: str | None = None


class TrainStatus(Answer):
    """``GET /models/train/{task_id}/status``: the word, and metadata that depends on it."""

    status: str
    metadata: StatusMetadata = Field(default_factory=StatusMetadata)


class TrainResult(Answer):
    """``GET /models/train/{task_id}/result`` (seed 004): the model and its scores."""

    model_id: ObjectId
    stats: list[list[dict[str, Any]] | dict[str, Any]] = Field(default_factory=list)
    field_importance: dict[str, float] = Field(default_factory=dict)


# The training status is ``PENDING`` (the docs page says ``SUBMITTED``: both
# mean queued), ``IN_PROGRESS`` (maybe with ``estimate_seconds``, which paces
# the next poll), then ``SUCCEEDED`` or ``FAILED`` with an ``error``, both with
# HTTP 200.  ``UNKNOWN_TIMEOUT`` is terminal too: the platform gives up on
# tasks older than a day and assumes they failed.  Any other word counts as
# still running.  A ``duration`` of 1800 means half an hour of training, so
# polls are capped at a minute and the deadline is generous; a training still
# running at the deadline stays recorded and the next run resumes it.
_TIMEOUT_MESSAGE = (
    "the platform reports UNKNOWN_TIMEOUT: the task is older than a day without finishing and is "
    "assumed to have failed"
)


def _message(answer: TrainStatus, word: str) -> str | None:
    if word == "UNKNOWN_TIMEOUT":
        return _TIMEOUT_MESSAGE
    return answer.metadata.error if word == "FAILED" else None


def _estimate(answer: TrainStatus) -> float | None:
    estimate = answer.metadata.estimate_seconds
    return estimate if estimate is not None and 0 <= estimate < 1e9 else None


#: A ``/status`` answer read as a job status.
job_status: Classifier[TrainStatus] = Classifier(
    succeeded=("SUCCEEDED",),
    failed=("FAILED", "UNKNOWN_TIMEOUT"),
    running=("PENDING", "SUBMITTED", "IN_PROGRESS"),
    word=lambda answer: answer.status or "unknown",
    message=_message,
    estimate=_estimate,
)
TRAIN = JobKind("train", PollSchedule(first=1.0, factor=1.5, cap=60.0, deadline=6 * 3600.0), job_status)


def legacy_root(base_url: str) -> str:
    """``https://api.akkio.com/api/v1`` → ``https://api.akkio.com/v1``: the legacy API on the same host."""
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}/v1"


def result_path(location: str) -> str:
    """A ``location`` relative to the API root (the docs show ``/models/…`` and ``/api/v1/models/…``)."""
    path = "/" + location.lstrip("/")
    return path[len("/api/v1") :] if path.startswith("/api/v1/") else path


class AkkioClient(PlatformClient):
    """One Akkio team reached through one HTTP client."""

    def __init__(
        self, http: HttpClient, *, base_url: str, api_key: str, waiter: Waiter | None = None
    ) -> None:
        super().__init__(http, waiter=waiter, base_url=base_url)
        self.legacy = legacy_root(base_url)
        self._key = api_key
        self._root_checked = False

    # legacy datasets -----------------------------------------------------------
    async def list_datasets(self) -> list[Listed]:
        try:
            body = await self._legacy("GET", "/datasets", DatasetList, params={"api_key": self._key})
        except errors.NotFound as exc:
            raise misconfigured(
                exc,
                service=self.http.service,
                url=self.legacy + "/datasets",
                check="the endpoint's host (the legacy dataset API is /v1 on the API root's host)",
            ) from exc
        return list(body.datasets)

    async def create_dataset(self, name: str) -> str:
        body = await self._legacy(
            "POST", "/datasets", DatasetCreated, json={"api_key": self._key, "name": name}, creates=True
        )
        return str(body.dataset_id)

    async def add_rows(self, dataset_id: str, rows: Sequence[dict[str, Any]]) -> None:
        # Not idempotent: sending a batch twice stores its rows twice.
        await self._legacy(
            "POST",
            "/datasets",
            LegacyAnswer,
            json={"api_key": self._key, "id": dataset_id, "rows": list(rows)},
            creates=True,
        )

    # legacy models ---------------------------------------------------------------
    async def list_models(self) -> list[Listed] | None:
        """The team's models, or None where the platform does not serve the legacy listing."""
        try:
            body = await self._legacy("GET", "/models", ModelList, params={"api_key": self._key})
        except errors.AuthError:
            raise
        except errors.ApiError as exc:
            if exc.status in (404, 405):  # no such route (405: only the legacy prediction POST is served)
                return None
            raise
        return list(body.models)

    async def predict(self, model_id: str, data: Sequence[dict[str, Any]]) -> list[Any]:
        """One batch of records predicted by a model: one answer per record, in order.

        INFERRED: the public OpenAPI document of ``/api/v1`` shows no prediction call; this is the
        legacy one of the vendor's Models page (``POST /v1/models {api_key, id, data}``).  It
        changes nothing on the platform, so it may be sent again.
        """
        body = await self._legacy(
            "POST", "/models", Predictions, json={"api_key": self._key, "id": model_id, "data": list(data)}
        )
        return list(body.predictions)

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
        try:
            body = await call(self.http, "POST", "/models/train/new", TaskStarted, json=payload, creates=True)
        except errors.NotFound as exc:
            raise self._misconfigured(exc, "/models/train/new") from exc
        return str(body.task_id)

    async def train_status(self, task_id: str) -> TrainStatus:
        """The task's status; a 404 is the platform not knowing the task (see :meth:`api_root_ok`)."""
        return await call(self.http, "GET", f"/models/train/{task_id}/status", TrainStatus)

    async def train_result(self, task_id: str, *, location: str | None = None) -> TrainResult:
        path = result_path(location) if location else f"/models/train/{task_id}/result"
        return await call(self.http, "GET", path, TrainResult)

    async def check_api_root(self) -> None:
        """Stop when the endpoint is not the API root: its OpenAPI document (``/api.yaml``) is not there.

        Asked once per client (every plan reads through a fresh one) before a
        model is read, so a wrong endpoint stops the plan instead of planning
        trainings, and a 404 of a recorded task can mean only that the task is
        gone.  The legacy dataset API is reached through the same host, so its
        404s are configuration errors too (see :meth:`list_datasets`).
        """
        if self._root_checked:
            return
        try:
            await self.http.request("GET", "/api.yaml")
        except errors.NotFound as exc:
            raise self._misconfigured(exc, "/api.yaml") from exc
        self._root_checked = True

    # plumbing ------------------------------------------------------------------------
    def _misconfigured(self, exc: errors.NotFound, path: str) -> errors.ProviderError:
        """A 404 under the API root: the endpoint is not the API root."""
        return self.wrong_endpoint(exc, path, check="the endpoint: it is the API root, ending in /api/v1")

    async def _legacy(self, method: str, path: str, shape: type[Any], **kwargs: Any) -> Any:
        try:
            body = await call(self.http, method, self.legacy + path, shape, **kwargs)
        except errors.NotFound as exc:
            if BAD_KEY in exc.body:
                raise errors.AuthError(
                    f"{self.http.service}: API key rejected by the legacy API ({method} /v1{path})",
                    status=exc.status,
                    body=exc.body,
                    hint="check the api_key the provider block reads from the environment",
                ) from exc
            raise
        if body.status != "success":
            raise errors.ProviderError(
                f"{self.http.service}: {method} /v1{path} answered with status {body.status!r}"
            )
        return body
