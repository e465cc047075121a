"""``alviss.upload``: this file is uploaded as this dataset type.

Identity is the file's sha256 and the dataset type: the same bytes uploaded
again would be a duplicate, so a recorded upload of the same content is kept
for as long as the platform still has it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler import errors
from reconciler.providers.alviss import lookup, shapes
from reconciler.providers.alviss.client import UPLOAD, AlvissClient, job_status
from reconciler.providers.alviss.config import UploadConfig
from reconciler.providers.base import Applied, Decision, Desired, Found, Journal, ResourceType, Target
from reconciler.providers.files import LocalFile, hash_file, human_size
from reconciler.providers.hashcache import file_facts
from reconciler.providers.identity import Identity
from reconciler.providers.jobs import JobFacts, JobWords, decide_job, pending_for
from reconciler.state.document import PendingOperation, ResourceState
from reconciler.vocabulary import Action


@dataclass(frozen=True)
class UploadFacts:
    """The local file, and the recorded upload as the platform sees it now."""

    file: LocalFile
    live: shapes.Upload | None
    gone: bool = False


class UploadIdentity(Identity):
    """An upload is the same for the same bytes (sha256) as the same dataset type."""

    kind = "alviss.upload"
    identity_always = frozenset({"dataset_name", "sha256"})

    dataset_name: str
    sha256: str


def identity(config: UploadConfig, file: LocalFile) -> UploadIdentity:
    return UploadIdentity(dataset_name=config.dataset_name, sha256=file.sha256)


def _explain(file: str) -> Any:
    def explain(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
        reasons = []
        if before.get("dataset_name") != after.get("dataset_name"):
            reasons.append(
                f"dataset_name changed ({before.get('dataset_name')} → {after.get('dataset_name')})"
            )
        if before.get("sha256") != after.get("sha256"):
            old, new = str(before.get("sha256", ""))[:12], str(after.get("sha256", ""))[:12]
            reasons.append(f"{file} changed (sha256 {old} → {new})")
        return reasons

    return explain


def _matches(config: UploadConfig, local: LocalFile) -> Callable[[dict[str, Any]], bool]:
    """An upload of this file: the platform shows name, size and type, not the content's hash."""
    name = Path(config.file).name
    return lambda obj: (
        obj.get("FileName") == name
        and obj.get("FileSize") == local.size
        and obj.get("DatasetName") == config.dataset_name
    )


class Upload(ResourceType[UploadConfig, AlvissClient, UploadFacts]):
    """A file uploaded to an Alviss project."""

    name = "alviss.upload"
    made_key = "upload_id"
    config_class = UploadConfig
    identity_class = UploadIdentity

    async def read(
        self, client: AlvissClient, target: Target[UploadConfig], record: ResourceState | None
    ) -> UploadFacts:
        path = target.path(target.config.file)
        try:
            local = await file_facts(path)
        except FileNotFoundError as exc:
            raise target.error(("file",), f"file {path} does not exist", hint="check the path") from exc
        except OSError as exc:
            raise target.error(("file",), f"cannot read {path}: {exc.strerror}") from exc
        upload_id = record.outputs.get("upload_id") if record else None
        if record is not None and record.pending is not None and record.pending.job_id is not None:
            upload_id = record.pending.job_id
        if upload_id is None:
            return UploadFacts(file=local, live=None)
        live = await lookup.read_recorded(client, self.name, "datauploads", upload_id, client.get_upload)
        return UploadFacts(file=local, live=live, gone=live is None)

    def decide(
        self, desired: Desired[UploadConfig], record: ResourceState | None, facts: UploadFacts
    ) -> Decision:
        config = desired.config
        wanted = identity(config, facts.file)
        label = f"{config.file} ({human_size(facts.file.size)}, sha256 {facts.file.sha256[:12]})"
        return decide_job(
            record=record,
            identity=wanted,
            facts=JobFacts(
                live=facts.live.model_dump() if facts.live else None,
                status=job_status(facts.live) if facts.live else None,
                gone=facts.gone,
            ),
            words=JobWords(noun="upload", summary="new upload", id_key="upload_id"),
            after={"file": label, "dataset_name": config.dataset_name},
            explain=_explain(config.file),
        )

    async def recover(
        self, client: AlvissClient, desired: Desired[UploadConfig], pending: PendingOperation
    ) -> int | str | None:
        config = desired.config
        local = await file_facts(desired.target.path(config.file))
        if not pending_for(identity(config, local), pending):
            return None
        return await lookup.find_created(client, "datauploads", pending, _matches(config, local))

    async def find(self, client: AlvissClient, desired: Desired[UploadConfig]) -> Found:
        config = desired.config
        local = await file_facts(desired.target.path(config.file))
        return await lookup.find_unrecorded(
            client,
            "datauploads",
            _matches(config, local),
            how="file name, size and dataset type",
            outputs=lambda obj: {"upload_id": obj["IId"]},
            shown=("FileName", "FileSize", "DatasetName"),
            detail={"file": config.file, "sha256": local.sha256, "size": local.size},
        )

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
            local = LocalFile(
                path=str(path), size=int(pending.detail.get("size", 0)), sha256=str(pending.detail["sha256"])
            )
        else:
            local = await asyncio.to_thread(hash_file, path)
            wanted = identity(config, local)
            if decision.fingerprint and wanted.fingerprint() != decision.fingerprint:
                raise errors.PlanError(
                    f"{desired.address}: {config.file} changed after the plan was made",
                    hint="run plan again",
                )
            await journal.intent(
                "upload",
                identity=wanted,
                replaces=record.outputs.get("upload_id") if record else None,
                file=config.file,
                sha256=local.sha256,
                size=local.size,
            )
            upload_id = await client.upload(path, dataset_name=config.dataset_name)
            await journal.submitted(upload_id)
        what = f"upload {upload_id} of {config.file}"
        final = await client.wait(UPLOAD, lambda: client.get_upload(upload_id), what=what, journal=journal)
        return Applied(
            outputs={"upload_id": upload_id},
            display={
                "Status": final.Status,
                "file": config.file,
                "size": local.size,
                "file_label": f"{config.file} ({human_size(local.size)}, sha256 {local.sha256[:12]})",
            },
            identity=identity(config, local),
        )
