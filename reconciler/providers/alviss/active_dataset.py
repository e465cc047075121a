"""``alviss.active_dataset``: the project's active dataset contains these uploads.

The reconciler never rebuilds a dataset from scratch: when uploads are
missing it does what the vendor's tutorial does by hand, creating a dataset
that extends the *live* active one with just the missing uploads, waiting for
it, and activating it.  Whoever activated the current dataset (this tool, a
person, a script), the result contains everything that was there plus the
spec's uploads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import field_validator

from reconciler import errors
from reconciler.answers import ObjectId
from reconciler.providers.alviss.client import AlvissClient, dataset_upload_ids
from reconciler.providers.alviss.common import find_created
from reconciler.providers.alviss.config import ActiveDatasetConfig
from reconciler.providers.alviss.waiting import job_status, wait_job
from reconciler.providers.base import Applied, Decision, Desired, Journal, ResourceType, Target
from reconciler.providers.identity import Identity
from reconciler.providers.jobs import pending_for, read_or_gone, recorded_for, upgraded
from reconciler.state.model import PendingOperation, ResourceState
from reconciler.vocabulary import KNOWN_AFTER_APPLY, Action, is_known


@dataclass(frozen=True)
class ActiveDatasetFacts:
    """The live active dataset (if any) and, while one is being built, the dataset in progress."""

    active: dict[str, Any] | None
    building: dict[str, Any] | None = None


def _ids(values: list[Any]) -> list[Any]:
    return sorted(values, key=lambda value: (not isinstance(value, int), str(value)))


class ActiveDatasetIdentity(Identity):
    """The active dataset is the same while it is asked to contain the same uploads (sorted ids)."""

    kind = "alviss.active_dataset"
    identity_always = frozenset({"upload_ids"})

    upload_ids: list[ObjectId]

    @field_validator("upload_ids")
    @classmethod
    def _in_order(cls, value: list[int | str]) -> list[int | str]:
        return _ids(value)


def active_dataset_identity(upload_ids: list[Any]) -> ActiveDatasetIdentity:
    return ActiveDatasetIdentity(upload_ids=upload_ids)


async def live_active(client: AlvissClient) -> dict[str, Any] | None:
    """The live active dataset with its uploads (fetched whole only if the active view lacks them)."""
    active = await client.get_active_dataset()
    if active is not None and "DataUploads" not in active and "Uploads" not in active:
        active = await client.get_dataset(active["IId"])
    return active


class ActiveDataset(ResourceType[ActiveDatasetConfig, AlvissClient, ActiveDatasetFacts]):
    """The active dataset of an Alviss project."""

    name = "alviss.active_dataset"
    config_model = ActiveDatasetConfig

    def identity(self, desired: Desired[ActiveDatasetConfig]) -> ActiveDatasetIdentity | None:
        """The uploads the spec asks for, by id; None while one of them is not uploaded yet."""
        wanted = [desired.output(address, "upload_id") for address in desired.config.contains]
        return active_dataset_identity(wanted) if is_known(wanted) else None

    async def read(
        self, client: AlvissClient, target: Target[ActiveDatasetConfig], record: ResourceState | None
    ) -> ActiveDatasetFacts:
        active = await live_active(client)
        building = None
        if record is not None and record.pending is not None and record.pending.job_id is not None:
            job_id = record.pending.job_id
            building = await read_or_gone(lambda: client.get_dataset(job_id))
        return ActiveDatasetFacts(active=active, building=building)

    def decide(
        self, desired: Desired[ActiveDatasetConfig], record: ResourceState | None, facts: ActiveDatasetFacts
    ) -> Decision:
        wanted: list[Any] = [desired.output(address, "upload_id") for address in desired.config.contains]
        live_id = facts.active.get("IId") if facts.active else None
        live_uploads = _ids(dataset_upload_ids(facts.active)) if facts.active else []
        known = [value for value in wanted if is_known(value)]
        missing_known = [value for value in known if value not in live_uploads]
        unknown = [
            address
            for address in desired.config.contains
            if not is_known(desired.output(address, "upload_id"))
        ]
        wanted_identity = self.identity(desired)
        identity_ = wanted_identity.fingerprint() if wanted_identity is not None else None
        before = {"dataset": live_id, "uploads": live_uploads}
        after_uploads: list[Any] = _ids(list({*live_uploads, *known}))
        after_uploads += [KNOWN_AFTER_APPLY] * len(unknown)
        after = {"dataset": KNOWN_AFTER_APPLY, "uploads": after_uploads}

        pending = record.pending if record else None
        if pending is not None and pending.job_id is not None and facts.building is not None:
            status = job_status(facts.building)
            if status.state != "failed":
                return Decision(
                    Action.RESUME,
                    "dataset in progress",
                    (
                        f"dataset {pending.job_id} was created by an earlier run; "
                        "waiting for it, then activating it",
                    ),
                    before,
                    {"dataset": pending.job_id, "uploads": after_uploads},
                    None,
                    identity_,
                )

        reasons: list[str] = []
        recorded_id = record.outputs.get("dataset_id") if record else None
        if recorded_id is not None and live_id != recorded_id:
            reasons.append(
                f"the active dataset was changed outside reconciler: now {live_id}, recorded {recorded_id}"
            )
        if unknown:
            reasons.extend(f"{address} is not uploaded yet" for address in unknown)
        if missing_known:
            names = [
                address
                for address in desired.config.contains
                if desired.output(address, "upload_id") in missing_known
            ]
            reasons.append(
                f"the active dataset {live_id} lacks {', '.join(names)}"
                if live_id is not None
                else "the project has no active dataset"
            )
        if unknown or missing_known:
            action = Action.UPDATE if live_id is not None else Action.CREATE
            return Decision(action, "new active dataset", tuple(reasons), before, after, None, identity_)

        outputs = {"dataset_id": live_id, "upload_ids": live_uploads}
        assert wanted_identity is not None, "every upload id is known here"
        refreshed = None
        if record is None or record.outputs != outputs or record.status != "ready" or record.pending:
            refreshed = ResourceState(
                type=self.name,
                provider=desired.target.provider,
                status="ready",
                fingerprint=identity_,
                inputs=wanted_identity.canonical(),
                outputs=outputs,
                essence={"Status": facts.active.get("Status") if facts.active else None},
            )
        elif recorded_for(wanted_identity, record):
            refreshed = upgraded(wanted_identity, record)
        return Decision(Action.NOOP, outputs=outputs, fingerprint=identity_, record=refreshed)

    async def recover(
        self, client: AlvissClient, desired: Desired[ActiveDatasetConfig], pending: PendingOperation
    ) -> int | str | None:
        wanted = self.identity(desired)
        if pending.step != "create_dataset" or wanted is None or not pending_for(wanted, pending):
            return None
        uploads = set(pending.detail.get("upload_ids", []))
        base = list(pending.detail.get("dataset_ids", []))
        return await find_created(
            client,
            "datasets",
            pending,
            lambda obj: (
                list(obj.get("ExtendedFrom") or []) == base and uploads <= set(dataset_upload_ids(obj))
            ),
        )

    async def apply(
        self,
        client: AlvissClient,
        desired: Desired[ActiveDatasetConfig],
        record: ResourceState | None,
        decision: Decision,
        journal: Journal,
    ) -> Applied:
        identity = self.identity(desired)
        if identity is None:
            raise errors.PlanError(f"{desired.address}: an upload it needs has no id; apply it first")
        wanted = [desired.output(address, "upload_id") for address in desired.config.contains]
        pending = journal.pending
        if decision.action is Action.RESUME and pending is not None and pending.job_id is not None:
            dataset_id = pending.job_id
        else:
            active = await live_active(client)
            base = [active["IId"]] if active else []
            live_uploads = dataset_upload_ids(active) if active else []
            missing = [value for value in wanted if value not in live_uploads]
            if active is not None and not missing:
                # Someone made the live active dataset whole since the plan: nothing to build.
                return Applied(
                    outputs={"dataset_id": active["IId"], "upload_ids": _ids(live_uploads)},
                    essence={"Status": active.get("Status")},
                    identity=identity,
                )
            await journal.intent(
                "create_dataset",
                identity=identity,
                upload_ids=missing,
                dataset_ids=base,
            )
            dataset_id = await client.create_dataset(upload_ids=missing, dataset_ids=base)
            await journal.submitted(dataset_id)
        final = await wait_job(
            lambda: client.get_dataset(dataset_id),
            kind="dataset",
            what=f"dataset {dataset_id}",
            journal=journal,
            waiter=client.waiter,
        )
        await journal.intent("activate", dataset_id=dataset_id)
        await client.activate_dataset(dataset_id)
        uploads = _ids(dataset_upload_ids(final))
        return Applied(
            outputs={"dataset_id": dataset_id, "upload_ids": uploads},
            essence={"Status": final.get("Status")},
            identity=identity,
        )
