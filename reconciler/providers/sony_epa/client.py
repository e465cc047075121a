"""The Sony EPA retrain API, call by call, over the shared retrying HTTP layer.

Three documented calls (``upload_url``, the status check, ``update_model``)
go to the API with the model's ``x-api-key``.  The fourth request, the PUT of
the data, goes to the presigned-style URL the platform hands out, which may
be another host (storage): it is sent through its own HTTP client on the
same transport, *without* the API key (storage needs none, and the key must
not travel to a host that is not the API), and with an explicit
``Content-Length``, because presigned storage URLs refuse chunked bodies.

The platform's errors are rows of a table (``code``, ``error``, ``message``);
they become errors that say what happened in a sentence, with a hint, and
never the key.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from pydantic import Field

from reconciler import errors
from reconciler.answers import Answer, ObjectId
from reconciler.http import HttpClient
from reconciler.providers.sony_epa.payload import FileBody, Payload
from reconciler.providers.waiting import Classifier, JobKind
from reconciler.providers.wire import PlatformClient, call
from reconciler.wait import PollSchedule, Waiter

#: The job id the endpoint check asks about: no platform issues it.
PROBE_JOB = "reconciler-endpoint-check"

#: Builds the storage client for one upload, given the body's size in bytes.
UploaderFactory = Callable[[int | None], HttpClient]


class JobGone(errors.NotFound):
    """The platform says, in its own error table, that a retrain job is not (or no longer) there."""


class UploadUrl(Answer):
    """``GET /retrain_jobs/upload_url``: the new job and where its data goes."""

    retrain_job_id: ObjectId
    upload_url: str = Field(min_length=1)


class JobMetadata(Answer):
    retrain_job_id: ObjectId | None = None


class RetrainJob(Answer):
    """``GET /retrain_jobs/{id}``: ``status`` (its words are not documented), the rest when it applies."""

    status: str
    model_id: ObjectId | None = None
    message: str | None = None
    download_url: str | None = None
    metadata: JobMetadata | None = None


class Switched(Answer):
    """``PUT /retrain_jobs/{id}/update_model``: ``{"metadata": {"retrain_job_id"}}``."""

    metadata: JobMetadata | None = None


# The retrain status words are not documented.  ``finished`` is SEEN in the
# sibling train-status API; ``running`` and ``failed`` (with ``message``) are
# INFERRED, and ``waiting`` is the emulator's word for a job whose data has not
# arrived.  Any word that is neither success nor failure counts as "still
# running", so a different intermediate word on the real platform never breaks
# an apply.  Retraining takes minutes to hours: polls start soon and settle at
# one a minute.

#: The word for a job whose upload URL was issued but whose data never arrived (INFERRED).
WAITING_WORD = "waiting"

#: A status-check answer read as a job status.
job_status: Classifier[RetrainJob] = Classifier(
    succeeded=("finished", "Finished", "FINISHED", "completed", "succeeded"),
    failed=("failed", "Failed", "FAILED", "error", "Error", "ERROR"),
    running=("running", WAITING_WORD),
    word=lambda answer: answer.status or "unknown",
    message=lambda answer, word: answer.message,
)
#: Expected 3 s (the emulator's, INFERRED: the vendor publishes no durations): polled every 0.3 s up to
#: twice that, one poll just after it (``reconciler/wait.py``), then less and less often.
RETRAIN = JobKind(
    "retrain", PollSchedule(first=0.3, factor=1.6, cap=60.0, expected=3.0, deadline=24 * 3600.0), job_status
)


@dataclass(frozen=True)
class _Meaning:
    sentence: str
    kind: type[errors.ApiError] = errors.ApiError
    hint: str | None = None


_MEANINGS: dict[str, _Meaning] = {
    "invalid_api_key.": _Meaning("the API key was rejected", errors.AuthError),
    "Inactive_credential.": _Meaning("the API key is inactive", errors.AuthError),
    "Not_found_credential.": _Meaning("the API key is not known to the platform", errors.AuthError),
    "This user may be deleted.": _Meaning(
        "the user owning this model may have been deleted", hint="ask the platform's administrator"
    ),
    "This model may be deleted.": _Meaning(
        "the model behind this API key may have been deleted",
        hint="publish the model's API again and put its new key in the environment",
    ),
    "This job may be deleted.": _Meaning("retrain job {job} may have been deleted", JobGone),
    "Not found retrain job.": _Meaning("retrain job {job} is not on the platform", JobGone),
    "Not found classifier.": _Meaning("retrain job {job} left no model to switch to"),
    "Retrain job is not finished.": _Meaning("retrain job {job} has not finished"),
    "Not found configuration_file.": _Meaning(
        "the model's configuration file is missing on the platform",
        hint="the model may have been deleted; check it in Prediction One",
    ),
}


def first_row(content: bytes) -> dict[str, str]:
    """The first row of a results file (INFERRED: a CSV with a header row)."""
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig", errors="replace"))))
    return dict(rows[0]) if rows else {}


def vendor_message(body: str) -> str | None:
    """The ``message`` of the platform's error body, if the body is one."""
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    if isinstance(payload, dict) and isinstance(payload.get("message"), str):
        return str(payload["message"])
    return None


class SonyEpaClient(PlatformClient):
    """One model (one API key) of Sony EPA, reached through one HTTP client."""

    def __init__(
        self,
        http: HttpClient,
        *,
        uploader: UploaderFactory,
        key_hint: str,
        waiter: Waiter | None = None,
        base_url: str = "",
    ) -> None:
        super().__init__(http, waiter=waiter, base_url=base_url)
        self._checked = False
        self.uploader = uploader
        self.key_hint = key_hint

    async def upload_url(self, filename: str) -> tuple[str, str]:
        """Ask for a new retrain job: its id and the URL its data goes to.

        Not marked as creating: a job that never receives data never trains,
        so asking again after a lost answer costs nothing.  A bare 404 (not
        the platform's own error table) means the endpoint is wrong: the call
        is the model's configuration-level one.
        """
        path = "/retrain_jobs/upload_url"
        try:
            async with self._translated():
                body = await call(self.http, "GET", path, UploadUrl, params={"filename": filename})
        except errors.NotFound as exc:
            raise self._misconfigured(exc, path) from exc
        return str(body.retrain_job_id), body.upload_url

    async def upload(self, upload_url: str, payload: Payload) -> None:
        """PUT the payload, streamed from disk, to the absolute ``upload_url``; this starts the retrain."""
        # HttpClient.request is annotated for bytes, but passes ``content`` to httpx, which streams
        # any async iterable of bytes; the body is never read into memory here.
        content: Any = FileBody(payload.path)
        async with self.uploader(payload.size) as storage:
            await storage.request("PUT", upload_url, content=content, creates=True)

    async def download(self, download_url: str) -> bytes:
        """The results file behind a finished job's ``download_url``, as the platform sends it."""
        async with self.uploader(None) as storage:
            response = await storage.request("GET", download_url)
        return response.content

    async def results(self, download_url: str) -> dict[str, str]:
        """The first row of the results file behind a finished job's ``download_url`` (INFERRED: a
        CSV with a header row; the vendor's pages name the file but do not show it)."""
        return first_row(await self.download(download_url))

    async def retrain_job(self, job_id: str) -> RetrainJob:
        """The job's status check.  The platform says a job is gone with its own error table
        (:class:`errors.NotFound` from ``Not found retrain job.``); a bare 404 is a wrong endpoint."""
        path = f"/retrain_jobs/{job_id}"
        try:
            async with self._translated(job_id):
                return await call(self.http, "GET", path, RetrainJob)
        except JobGone:
            raise
        except errors.NotFound as exc:
            raise self._misconfigured(exc, path) from exc

    async def update_model(self, job_id: str) -> None:
        """Switch the model's API to the retrained model; switching again to the same one is harmless."""
        path = f"/retrain_jobs/{job_id}/update_model"
        try:
            async with self._translated(job_id):
                await call(self.http, "PUT", path, Switched)
        except JobGone:
            raise
        except errors.NotFound as exc:
            raise self._misconfigured(exc, path) from exc

    async def check_endpoint(self) -> None:
        """Stop when the endpoint is wrong: a status check of a job that does not exist must be
        answered by the platform's own error table (``Not found retrain job.``), not a bare 404.

        Asked once per client (every plan reads through a fresh one), before
        anything is read or planned, so a wrong endpoint never plans retrains.
        """
        if self._checked:
            return
        try:
            await self.retrain_job(PROBE_JOB)
        except (JobGone, errors.MalformedAnswer):
            pass
        except errors.ApiError as exc:
            if isinstance(exc, errors.AuthError) or vendor_message(exc.body) is None:
                raise
        self._checked = True

    def _misconfigured(self, exc: errors.NotFound, path: str) -> errors.ProviderError:
        return self.wrong_endpoint(
            exc, path, check="the endpoint: it is the API base URL, ending in /v1/external"
        )

    @asynccontextmanager
    async def _translated(self, job_id: str | None = None) -> AsyncIterator[None]:
        try:
            yield
        except errors.ApiError as exc:
            message = vendor_message(exc.body)
            meaning = _MEANINGS.get(message or "")
            if meaning is None:
                raise
            sentence = meaning.sentence.format(job=job_id or "?")
            hint = meaning.hint or (self.key_hint if meaning.kind is errors.AuthError else None)
            raise meaning.kind(
                f"{self.http.service}: {sentence} ({message})", status=exc.status, body=exc.body, hint=hint
            ) from exc
