"""``alviss.upload``: this file is uploaded as this dataset type.

Identity is the file's sha256 and the dataset type: the same bytes uploaded
again would be a duplicate, so a recorded upload of the same content is kept
for as long as the platform still has it.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler import errors
from reconciler.providers.alviss.client import AlvissClient
from reconciler.providers.alviss.config import UploadConfig
from reconciler.providers.alviss.waiting import job_status, wait_job
from reconciler.providers.base import Applied, Decision, Desired, Journal, ResourceType, Target, fingerprint
from reconciler.state.model import ResourceState
from reconciler.vocabulary import KNOWN_AFTER_APPLY, Action

_CHUNK = 1 << 20


@dataclass(frozen=True)
class LocalFile:
    """A data file as found on disk."""

    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class UploadFacts:
    """The local file, and the recorded upload as the platform sees it now."""

    file: LocalFile
    live: dict[str, Any] | None
    gone: bool = False


def hash_file(path: Path) -> LocalFile:
    """Size and sha256 of a file, read in chunks so memory stays flat."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return LocalFile(path=str(path), size=size, sha256=digest.hexdigest())


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def identity(config: UploadConfig, file: LocalFile) -> dict[str, Any]:
    return {"dataset_name": config.dataset_name, "sha256": file.sha256}


class Upload(ResourceType[UploadConfig, AlvissClient, UploadFacts]):
    """A file uploaded to an Alviss project."""

    name = "alviss.upload"
    config_model = UploadConfig

    async def read(
        self, client: AlvissClient, target: Target[UploadConfig], record: ResourceState | None
    ) -> UploadFacts:
        path = target.path(target.config.file)
        try:
            local = await asyncio.to_thread(hash_file, path)
        except FileNotFoundError as exc:
            raise target.error(("file",), f"file {path} does not exist", hint="check the path") from exc
        except OSError as exc:
            raise target.error(("file",), f"cannot read {path}: {exc.strerror}") from exc
        upload_id = record.outputs.get("upload_id") if record else None
        if upload_id is None and record and record.pending:
            upload_id = record.pending.job_id
        if upload_id is None:
            return UploadFacts(file=local, live=None)
        try:
            return UploadFacts(file=local, live=await client.get_upload(upload_id))
        except errors.NotFound:
            return UploadFacts(file=local, live=None, gone=True)

    def decide(
        self, desired: Desired[UploadConfig], record: ResourceState | None, facts: UploadFacts
    ) -> Decision:
        config = desired.config
        wanted = fingerprint(identity(config, facts.file))
        after = {
            "file": f"{config.file} ({human_size(facts.file.size)}, sha256 {facts.file.sha256[:12]})",
            "dataset_name": config.dataset_name,
            "upload_id": KNOWN_AFTER_APPLY,
        }

        def change(action: Action, summary: str, *reasons: str) -> Decision:
            before = {}
            if record is not None and record.outputs:
                before = {
                    "file": record.inputs.get("file_label", record.inputs.get("file")),
                    "dataset_name": record.inputs.get("dataset_name"),
                    "upload_id": record.outputs.get("upload_id"),
                }
            return Decision(action, summary, reasons, before, after, None, wanted)

        if record is None:
            return change(Action.CREATE, "new upload", f"{config.file} has not been uploaded")
        pending = record.pending
        if pending is not None and pending.fingerprint == wanted:
            if pending.job_id is not None and not facts.gone:
                status = job_status(facts.live) if facts.live else None
                if status is None or status.state != "failed":
                    return Decision(
                        Action.RESUME,
                        "upload in progress",
                        (f"upload {pending.job_id} was submitted by an earlier run; waiting for it",),
                        {},
                        {**after, "upload_id": pending.job_id},
                        None,
                        wanted,
                    )
            elif pending.job_id is None:
                return change(
                    Action.CREATE,
                    "new upload",
                    "an earlier run sent this upload but got no answer; it will be sent again",
                )
        if record.status == "tainted":
            return change(Action.REPLACE, "upload again", f"the last attempt failed: {record.error}")
        if record.fingerprint != wanted:
            old = record.inputs.get("sha256", "")
            if record.inputs.get("dataset_name") != config.dataset_name:
                why = f"dataset_name changed ({record.inputs.get('dataset_name')} → {config.dataset_name})"
            else:
                why = f"{config.file} changed (sha256 {str(old)[:12]} → {facts.file.sha256[:12]})"
            return change(Action.REPLACE, "new upload", why)
        upload_id = record.outputs.get("upload_id")
        if facts.gone or facts.live is None:
            return change(Action.CREATE, "new upload", f"upload {upload_id} no longer exists on the platform")
        status = job_status(facts.live)
        if status.state == "failed":
            return change(
                Action.REPLACE, "upload again", f"upload {upload_id} failed: {status.message or status.word}"
            )
        return Decision(Action.NOOP, outputs={"upload_id": upload_id}, fingerprint=wanted)

    async def apply(
        self,
        client: AlvissClient,
        desired: Desired[UploadConfig],
        record: ResourceState | None,
        decision: Decision,
        journal: Journal,
    ) -> Applied:
        config = desired.config
        path = desired.target.path(config.file)
        pending = journal.pending
        if decision.action is Action.RESUME and pending is not None and pending.job_id is not None:
            upload_id = pending.job_id
        else:
            local = await asyncio.to_thread(hash_file, path)
            if decision.fingerprint and fingerprint(identity(config, local)) != decision.fingerprint:
                raise errors.PlanError(
                    f"{desired.address}: {config.file} changed after the plan was made",
                    hint="run plan again",
                )
            await journal.intent("upload", file=config.file, sha256=local.sha256, size=local.size)
            upload_id = await client.upload(path, dataset_name=config.dataset_name)
            await journal.submitted(upload_id)
        final = await wait_job(
            lambda: client.get_upload(upload_id),
            kind="upload",
            what=f"upload {upload_id} of {config.file}",
            journal=journal,
            waiter=client.waiter,
        )
        sha256 = str(journal.pending.detail.get("sha256", "")) if journal.pending else ""
        size = journal.pending.detail.get("size") if journal.pending else None
        return Applied(
            outputs={"upload_id": upload_id},
            essence={"Status": final.get("Status"), "DatasetName": final.get("DatasetName")},
            inputs={
                "dataset_name": config.dataset_name,
                "file": config.file,
                "sha256": sha256,
                "size": size,
                "file_label": decision.after.get("file", config.file),
            },
        )
