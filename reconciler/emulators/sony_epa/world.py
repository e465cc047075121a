"""What the Sony EPA emulator does for each call: the platform's rules, without HTTP.

The rules a client can observe:

- the API key identifies a model (one key per model, SEEN); with a configured
  key only that one exists, otherwise any non-empty key is a model of its
  own, created on first use;
- ``upload_url`` issues a retrain job id and a presigned-style URL; nothing
  trains until a file is PUT there, and each URL takes one file;
- a job reports ``waiting`` until its file arrives (INFERRED, the emulator's
  word), then ``running`` for its duration, then ``finished`` (SEEN in the
  sibling train API) or ``failed`` with a ``message`` (INFERRED);
- jobs belong to their model: another key asking for it is told
  ``Not found retrain job.``;
- ``update_model`` switches the model's API to a finished job's model, and
  refuses a job that has not finished (``Retrain job is not finished.``) or
  failed (``Not found classifier.``).

Status is computed from the clock when read; nothing runs in the background.
The documented and strict variants report the words of :data:`DOCUMENTED_WORDS`
instead of the INFERRED ones (only ``finished`` is shown by the vendor), so a
client can rely on nothing but ``finished``.
Injected job failures (``Faults.job_failure_rate``) are decided when a
retrain starts (its data arrives), from the number of retrains started
before it, and stored as its ``message``.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from reconciler.emulators import base
from reconciler.emulators.sony_epa import files
from reconciler.emulators.sony_epa import problems as p
from reconciler.emulators.sony_epa.store import Job, Model, Tx

WAITING = "waiting"
RUNNING = "running"
FINISHED = "finished"
FAILED = "failed"
#: The words the documented and strict variants report instead of the INFERRED ones: the vendor's
#: pages show only ``finished`` (in the sibling train API), so the others stand for words a client
#: cannot know (``preparing``: no data has arrived; ``training``; ``aborted``: failed).
DOCUMENTED_WORDS = {WAITING: "preparing", RUNNING: "training", FINISHED: FINISHED, FAILED: "aborted"}


class UploadRefused(base.Problem):
    """A PUT to an upload URL that storage refuses: HTTP status and a short message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(status, {"message": message})
        self.message = message


def key_hash(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def status(job: Job, *, now: float) -> str:
    """The status word of ``job`` at time ``now``."""
    where = base.phase(job.uploaded_at, job.duration, now=now)
    if where == base.ENDED:
        return FAILED if job.error is not None else FINISHED
    return WAITING if where == base.WAITING else RUNNING


class World(base.World[Tx]):
    """The emulated platform: models reached by their API keys, and their retrain jobs."""

    transaction = Tx

    @property
    def uploads(self) -> Path:
        """Where the files PUT to upload URLs are kept."""
        return self.data_dir / "sony_epa_uploads"

    # -- helpers --------------------------------------------------------------
    def _model(self, db: Tx, api_key: str | None, *, now: float) -> Model:
        if not api_key or not api_key.strip():
            raise p.bad_request(p.INVALID_API_KEY)
        if self.token is not None and not secrets.compare_digest(api_key.encode(), self.token.encode()):
            raise p.bad_request(p.INVALID_API_KEY)
        digest = key_hash(api_key)
        model = db.model(digest)
        if model is None:
            db.add_model(digest, uuid.uuid4().hex, now=now)
            model = db.model(digest)
            assert model is not None
        if model.deleted:
            raise p.bad_request(p.MODEL_DELETED)
        return model

    @staticmethod
    def _job(db: Tx, model: Model, job_id: str) -> Job:
        job = db.job(job_id)
        if job is None or job.key_hash != model.key_hash or job.deleted:
            raise p.bad_request(p.JOB_NOT_FOUND)
        return job

    # -- the API ----------------------------------------------------------------
    def upload_url(self, api_key: str | None, *, filename: str, base_url: str) -> dict[str, Any]:
        with self.store.transaction() as db:
            now = self.clock()
            model = self._model(db, api_key, now=now)
            if not model.configuration:
                raise p.server_error(p.CONFIGURATION_NOT_FOUND)
            job = Job(
                id=str(uuid.uuid4()), key_hash=model.key_hash, filename=filename, created_at=now,
                signature=secrets.token_urlsafe(24), duration=self.duration("retrain"),
                uploaded_at=None, size=None, sha256=None, error=None, result_model_id=None, deleted=False,
            )  # fmt: skip
            db.add_job(job)
        return {
            "retrain_job_id": job.id,
            "upload_url": f"{base_url}/_uploads/{job.id}?signature={job.signature}",
        }

    def retrain_job(self, api_key: str | None, job_id: str, *, base_url: str) -> dict[str, Any]:
        with self.store.transaction() as db:
            now = self.clock()
            job = self._job(db, self._model(db, api_key, now=now), job_id)
        word = status(job, now=now)
        view: dict[str, Any] = {"status": DOCUMENTED_WORDS[word] if self.documented else word}
        if word == FINISHED:
            view["model_id"] = job.result_model_id
            view["download_url"] = f"{base_url}/_downloads/{job.id}?signature={job.signature}"
        if word == FAILED:
            view["message"] = job.error
        view["metadata"] = {"retrain_job_id": job.id}
        return view

    def update_model(self, api_key: str | None, job_id: str) -> dict[str, Any]:
        with self.store.transaction() as db:
            now = self.clock()
            model = self._model(db, api_key, now=now)
            found = db.job(job_id)
            if found is not None and found.key_hash == model.key_hash and found.deleted:
                raise p.bad_request(p.JOB_DELETED)
            job = self._job(db, model, job_id)
            word = status(job, now=now)
            if word == FAILED:
                raise p.bad_request(p.CLASSIFIER_NOT_FOUND)
            if word != FINISHED:
                raise p.bad_request(p.JOB_NOT_FINISHED)
            if model.serving_job != job.id:
                db.serve(model.key_hash, job.id, now=now)
        return {"metadata": {"retrain_job_id": job.id}}

    # -- storage behind the presigned URLs ---------------------------------------
    def _signed(self, job_id: str, signature: str) -> Job:
        with self.store.transaction() as db:
            job = db.job(job_id)
        if job is None or not secrets.compare_digest(job.signature.encode(), signature.encode()):
            raise UploadRefused(403, "SignatureDoesNotMatch")
        return job

    async def receive(
        self, job_id: str, *, signature: str, length: str | None, chunks: AsyncIterator[bytes]
    ) -> None:
        """Store the file PUT to a job's upload URL and start the retrain."""
        job = self._signed(job_id, signature)
        if job.deleted:
            raise p.bad_request(p.JOB_DELETED)
        if job.uploaded_at is not None:
            raise UploadRefused(409, "The upload URL was already used.")
        if length is None or not length.isdigit():
            raise UploadRefused(411, "MissingContentLength")
        part = self.uploads / f"{job.id}.{uuid.uuid4().hex}.part"
        received = await files.receive(chunks, part)  # outside any transaction: slow
        if received.size != int(length):
            part.unlink(missing_ok=True)
            raise UploadRefused(400, "IncompleteBody")
        error = files.problem(part, filename=job.filename)
        with self.store.transaction() as db:
            if (db.job(job.id) or job).uploaded_at is not None:
                part.unlink(missing_ok=True)
                raise UploadRefused(409, "The upload URL was already used.")
            part.replace(self.uploads / job.id)
            error = error or self.faults.job_error("retrain", db.counts()["retrain_started"] + 1)
            db.start_job(
                job.id, now=self.clock(), size=received.size, sha256=received.sha256, error=error,
                result_model_id=uuid.uuid4().hex,
            )  # fmt: skip

    def results(self, job_id: str, *, signature: str) -> str:
        """The results file behind a finished job's ``download_url`` (the emulator's own CSV)."""
        job = self._signed(job_id, signature)
        if status(job, now=self.clock()) != FINISHED:
            raise UploadRefused(404, "NoSuchKey")
        accuracy, auc = files.scores(self.uploads / job.id, filename=job.filename)
        return (
            "retrain_job_id,model_id,size,sha256,accuracy,auc\n"
            f"{job.id},{job.result_model_id},{job.size},{job.sha256},{accuracy},{auc}\n"
        )

    # -- what tests and operators do to the world ----------------------------------
    def delete_job(self, job_id: str) -> bool:
        with self.store.transaction() as db:
            return db.delete_job(job_id)

    def damage_model(self, api_key: str, *, deleted: bool = False, configuration_lost: bool = False) -> None:
        with self.store.transaction() as db:
            self._model(db, api_key, now=self.clock())
            db.damage_model(key_hash(api_key), deleted=deleted, configuration_lost=configuration_lost)

    def serving(self, api_key: str) -> str | None:
        """The retrain job whose model the key's API serves now (None: the original model)."""
        with self.store.transaction() as db:
            model = db.model(key_hash(api_key))
        return None if model is None else model.serving_job

    # -- statistics -------------------------------------------------------------
    def objects(self, db: Tx) -> dict[str, Any]:
        """Objects per kind, and retrain jobs per status word (the API has no list)."""
        now = self.clock()
        statuses: dict[str, int] = {}
        for job in (db.job(job_id) for job_id in db.job_ids()):
            if job is not None:
                word = "deleted" if job.deleted else status(job, now=now)
                statuses[word] = statuses.get(word, 0) + 1
        return {"objects": db.counts(), "statuses": statuses}
