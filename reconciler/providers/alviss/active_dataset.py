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
from reconciler.providers import jobs
from reconciler.providers.alviss import inputs, lookup, shapes
from reconciler.providers.alviss.client import DATASET, AlvissClient, dataset_upload_ids, job_status
from reconciler.providers.alviss.config import ActiveDatasetConfig
from reconciler.providers.base import Applied, Decision, Desired, Journal, ResourceType, Target
from reconciler.providers.identity import Identity
from reconciler.state.document import PendingOperation, ResourceState
from reconciler.vocabulary import KNOWN_AFTER_APPLY, Action, is_known

#: Shown in a plan for the uploads of a dataset whose answer does not list them.
NOT_SHOWN = "(not shown by the platform)"


@dataclass(frozen=True)
class ActiveDatasetFacts:
    """The live active dataset (if any) and, while one is being built, the dataset in progress."""

    active: shapes.Dataset | None
    building: shapes.Dataset | None = None


def _ids(values: list[Any]) -> list[Any]:
    unique = dict.fromkeys(inputs.normalize(value) for value in values)
    return sorted(unique, key=lambda value: (not isinstance(value, int), str(value)))


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


async def live_active(client: AlvissClient) -> shapes.ActiveDataset | None:
    """The live active dataset with its uploads (fetched whole only if the active view lacks them)."""
    active = await client.get_active_dataset()
    if active is not None and active.upload_ids is None:
        whole = await client.get_dataset(active.IId)
        if whole.upload_ids is not None:
            return active.model_copy(update={"DataUploads": whole.upload_ids})
    return active


def members(active: shapes.Dataset | None, record: ResourceState | None) -> list[Any] | None:
    """The uploads the live active dataset holds: as the platform shows them, else as recorded.

    The platform's list (``DataUploads``) is INFERRED.  Without it, the
    membership this tool recorded is trusted, but only for the very dataset
    it recorded (the one it created and activated, or saw whole); for any
    other dataset the membership is unknown (None).
    """
    if active is None:
        return []
    shown = dataset_upload_ids(active)
    if shown is not None:
        return _ids(shown)
    if record is None or active.IId is None:
        return None
    recorded = record.outputs.get("upload_ids")
    if inputs.normalize(record.outputs.get("dataset_id")) == active.IId and isinstance(recorded, list):
        return _ids(recorded)
    return None


class ActiveDataset(ResourceType[ActiveDatasetConfig, AlvissClient, ActiveDatasetFacts]):
    """The active dataset of an Alviss project."""

    name = "alviss.active_dataset"
    config_class = ActiveDatasetConfig
    identity_class = ActiveDatasetIdentity

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
            building = await jobs.read_or_gone(lambda: client.get_dataset(job_id))
        return ActiveDatasetFacts(active=active, building=building)

    def decide(
        self, desired: Desired[ActiveDatasetConfig], record: ResourceState | None, facts: ActiveDatasetFacts
    ) -> Decision:
        wanted: list[Any] = [desired.output(address, "upload_id") for address in desired.config.contains]
        live_id = facts.active.IId if facts.active else None
        held = members(facts.active, record)
        live_uploads = held if held is not None else []
        known = _ids([value for value in wanted if is_known(value)])
        missing_known = [value for value in known if value not in live_uploads]
        unknown = [
            address
            for address in desired.config.contains
            if not is_known(desired.output(address, "upload_id"))
        ]
        wanted_identity = self.identity(desired)
        before = {"dataset": live_id, "uploads": live_uploads if held is not None else NOT_SHOWN}
        after_uploads: list[Any] = _ids([*live_uploads, *known])
        after_uploads += [KNOWN_AFTER_APPLY] * len(unknown)
        after = {"dataset": KNOWN_AFTER_APPLY, "uploads": after_uploads}

        reasons: list[str] = []
        recorded_id = inputs.normalize(record.outputs.get("dataset_id")) if record else None
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
                if inputs.normalize(desired.output(address, "upload_id")) in missing_known
            ]
            if live_id is None:
                reasons.append("the project has no active dataset")
            elif held is None:
                reasons.append(
                    f"the active dataset {live_id} does not show its uploads and is not the one "
                    "reconciler recorded: a new dataset extends it with all of them"
                )
            else:
                reasons.append(f"the active dataset {live_id} lacks {', '.join(names)}")
        job = jobs.Job(
            record,
            wanted_identity,
            jobs.JobFacts(status=job_status(facts.building) if facts.building is not None else None),
            jobs.JobWords(
                noun="dataset", summary="new active dataset", id_key="dataset_id", shown_as="dataset"
            ),
        )
        selection = jobs.Selection(
            type_name=self.name,
            provider=desired.target.provider,
            live=live_id is not None,
            differences=tuple(reasons) if unknown or missing_known else (),
            outputs={"dataset_id": live_id, "upload_ids": live_uploads},
            display={"Status": facts.active.Status if facts.active else None},
            running_summary="dataset in progress",
        )
        return jobs.decide(job, after=after, before=before, ruleset=jobs.selection_rules(selection))

    async def recover(
        self, client: AlvissClient, desired: Desired[ActiveDatasetConfig], pending: PendingOperation
    ) -> int | str | None:
        wanted = self.identity(desired)
        if pending.step != "create_dataset" or wanted is None or not jobs.pending_for(wanted, pending):
            return None
        uploads = set(_ids(list(pending.detail.get("upload_ids", []))))
        base = _ids(list(pending.detail.get("dataset_ids", [])))

        def match(obj: dict[str, Any]) -> bool:
            extended, held = obj.get("ExtendedFrom"), obj.get("DataUploads") or obj.get("Uploads")
            if extended is None or held is None:
                return False  # without both (INFERRED) fields a dataset cannot be told apart
            return _ids(list(extended)) == base and uploads <= set(_ids(list(held)))

        return await lookup.find_created(client, "datasets", pending, match)

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
        wanted = _ids([desired.output(address, "upload_id") for address in desired.config.contains])
        pending = journal.pending
        if decision.action is Action.RESUME and pending is not None and pending.job_id is not None:
            dataset_id = pending.job_id
            base_members: list[Any] | None = pending.detail.get("base_uploads")
        else:
            active = await live_active(client)
            base = [active.IId] if active else []
            base_members = members(active, record)
            held = base_members if base_members is not None else []
            missing = [value for value in wanted if value not in held]
            if active is not None and not missing:
                # Someone made the live active dataset whole since the plan: nothing to build.
                return Applied(
                    outputs={"dataset_id": active.IId, "upload_ids": held},
                    display={"Status": active.Status},
                    identity=identity,
                )
            await journal.intent(
                "create_dataset",
                identity=identity,
                upload_ids=missing,
                dataset_ids=base,
                base_uploads=base_members,
            )
            dataset_id = await client.create_dataset(upload_ids=missing, dataset_ids=base)
            await journal.submitted(dataset_id)
        what = f"dataset {dataset_id}"
        final = await client.wait(DATASET, lambda: client.get_dataset(dataset_id), what=what, journal=journal)
        await journal.intent("activate", dataset_id=dataset_id)
        await client.activate_dataset(dataset_id)
        shown = dataset_upload_ids(final)
        # Without the platform's list, what the new dataset holds is what it was made of.
        uploads = _ids(shown if shown is not None else [*(base_members or []), *wanted])
        return Applied(
            outputs={"dataset_id": inputs.normalize(dataset_id), "upload_ids": uploads},
            display={"Status": final.Status},
            identity=identity,
        )
