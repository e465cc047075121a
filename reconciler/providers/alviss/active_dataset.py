"""``alviss.active_dataset``: a dataset of these uploads, the project's active one (or only built).

Membership modes (``config.ActiveDatasetConfig``):

* ``contains`` (the default): when uploads are missing it does what the
  vendor's tutorial does by hand, creating a dataset that extends the *live*
  active one with just the missing uploads, waiting for it, and activating
  it.  Whoever activated the current dataset (this tool, a person, a
  script), the result contains everything that was there plus the spec's
  uploads.
* ``exactly``: a dataset of exactly these uploads (``upload_ids`` only, as
  the vendor's upload example makes it).
* ``extends``: a dataset extending the named datasets (``dataset_ids``) with
  the ``contains`` uploads.

With ``exactly`` or ``extends`` the dataset the tool built is the object: when
someone activates another dataset, the plan activates the built one again
(no new dataset).  With ``activate: false`` the dataset is built and never
activated, and which dataset is active does not matter to the plan: the
recorded dataset stands while it exists and the spec asks for the same.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from pydantic import Field, field_validator

from reconciler import errors
from reconciler.answers import ObjectId
from reconciler.diff import changes
from reconciler.providers import jobs
from reconciler.providers.alviss import inputs, lookup, shapes
from reconciler.providers.alviss.client import DATASET, AlvissClient, dataset_upload_ids, job_status
from reconciler.providers.alviss.config import ActiveDatasetConfig
from reconciler.providers.base import Applied, Decision, Desired, Journal, ResourceType, Target
from reconciler.providers.identity import Identity
from reconciler.state.document import PendingOperation, ResourceState
from reconciler.vocabulary import KNOWN_AFTER_APPLY, Action, Reason, is_known

#: Shown in a plan for the uploads of a dataset whose answer does not list them.
NOT_SHOWN = "(not shown by the platform)"


@dataclass(frozen=True)
class ActiveDatasetFacts:
    """The live active dataset (if any) and, while one is being built, the dataset in progress."""

    active: shapes.Dataset | None
    building: shapes.Dataset | None = None
    #: The dataset the state records, as the platform shows it now (``exactly``/``extends``/not activated).
    recorded: jobs.JobFacts = field(default_factory=jobs.JobFacts)
    #: The datasets ``extends`` names by literal id, as the platform shows them.
    bases: dict[Any, shapes.Dataset] | None = None


def _ids(values: list[Any]) -> list[Any]:
    unique = dict.fromkeys(inputs.normalize(value) for value in values)
    return sorted(unique, key=lambda value: (not isinstance(value, int), str(value)))


class ActiveDatasetIdentity(Identity):
    """The dataset is the same while it is asked for the same uploads (sorted ids), in the same mode.

    ``exactly`` and ``extends`` are left out at their defaults, so a
    ``contains`` dataset keeps the fingerprint of the first layout.
    ``activate`` is no part of it: whether the dataset is activated does not
    change what it holds (turning activation off keeps the built dataset;
    turning it on activates it, or, with ``contains``, extends the live one).
    """

    kind = "alviss.active_dataset"
    identity_always = frozenset({"upload_ids"})

    upload_ids: list[ObjectId]
    exactly: bool = False
    extends: list[ObjectId] = Field(default_factory=list)

    @field_validator("upload_ids")
    @classmethod
    def _in_order(cls, value: list[int | str]) -> list[int | str]:
        return _ids(value)


def active_dataset_identity(
    upload_ids: list[Any], *, exactly: bool = False, extends: list[Any] | None = None
) -> ActiveDatasetIdentity:
    return ActiveDatasetIdentity(upload_ids=upload_ids, exactly=exactly, extends=list(extends or []))


def _named(desired: Desired[ActiveDatasetConfig], values: list[Any]) -> str:
    """The spec's addresses of the uploads with these ids, for a reason text."""
    wanted = set(values)
    names = [
        address
        for address in desired.config.uploads
        if inputs.normalize(desired.output(address, "upload_id")) in wanted
    ]
    return ", ".join(names) if names else "uploads " + ", ".join(map(str, values))


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
    """A dataset of an Alviss project: the active one, or built only (``activate: false``)."""

    name = "alviss.active_dataset"
    made_key = "dataset_id"
    config_class = ActiveDatasetConfig
    identity_class = ActiveDatasetIdentity

    def bases(self, desired: Desired[ActiveDatasetConfig]) -> list[Any]:
        """The ids of the datasets ``extends`` names (KNOWN_AFTER_APPLY while an upstream changes)."""
        return [
            inputs.normalize(inputs.resolve(desired, base, "dataset_id")) for base in desired.config.bases
        ]

    def identity(self, desired: Desired[ActiveDatasetConfig]) -> ActiveDatasetIdentity | None:
        """The uploads (and datasets extended) the spec asks for, by id; None while one is not known."""
        config = desired.config
        wanted = [desired.output(address, "upload_id") for address in config.uploads]
        bases = self.bases(desired)
        if not (is_known(wanted) and is_known(bases)):
            return None
        return active_dataset_identity(wanted, exactly=config.exactly is not None, extends=bases)

    async def read(
        self, client: AlvissClient, target: Target[ActiveDatasetConfig], record: ResourceState | None
    ) -> ActiveDatasetFacts:
        config = target.config
        # Built only, of exactly some uploads or extending named datasets: the active one is not looked at.
        looks = config.activate or config.mode == "contains"
        active = await live_active(client) if looks else None
        building = None
        if record is not None and record.pending is not None and record.pending.job_id is not None:
            job_id = record.pending.job_id
            building = await jobs.read_or_gone(lambda: client.get_dataset(job_id))
        if config.mode == "contains" and config.activate:
            return ActiveDatasetFacts(active=active, building=building)
        recorded = await lookup.read_job(client.get_dataset, record, "dataset_id")
        bases = {base: await client.get_dataset(base) for base in config.bases if isinstance(base, int)}
        return ActiveDatasetFacts(active=active, building=building, recorded=recorded, bases=bases)

    def decide(
        self, desired: Desired[ActiveDatasetConfig], record: ResourceState | None, facts: ActiveDatasetFacts
    ) -> Decision:
        config = desired.config
        if not config.activate:
            return self._decide_built_only(desired, record, facts)
        if config.mode == "contains":
            return self._decide_contains(desired, record, facts)
        return self._decide_made(desired, record, facts)

    # -- contains (activated): the live active dataset holds at least these ---------------------------
    def _decide_contains(
        self, desired: Desired[ActiveDatasetConfig], record: ResourceState | None, facts: ActiveDatasetFacts
    ) -> Decision:
        wanted: list[Any] = [desired.output(address, "upload_id") for address in desired.config.uploads]
        live_id = facts.active.IId if facts.active else None
        held = members(facts.active, record)
        live_uploads = held if held is not None else []
        known = _ids([value for value in wanted if is_known(value)])
        missing_known = [value for value in known if value not in live_uploads]
        unknown = [
            address
            for address in desired.config.uploads
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
            if live_id is None:
                reasons.append("the project has no active dataset")
            elif held is None:
                reasons.append(
                    f"the active dataset {live_id} does not show its uploads and is not the one "
                    "reconciler recorded: a new dataset extends it with all of them"
                )
            else:
                reasons.append(f"the active dataset {live_id} lacks {_named(desired, missing_known)}")
        job = self._job(record, wanted_identity, facts)
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

    def _job(
        self,
        record: ResourceState | None,
        identity: ActiveDatasetIdentity | None,
        facts: ActiveDatasetFacts,
        summary: str = "new active dataset",
    ) -> jobs.Job:
        return jobs.Job(
            record,
            identity,
            jobs.JobFacts(status=job_status(facts.building) if facts.building is not None else None),
            jobs.JobWords(noun="dataset", summary=summary, id_key="dataset_id", shown_as="dataset"),
        )

    def _summary(self, desired: Desired[ActiveDatasetConfig]) -> str:
        """What the plan calls the dataset to build, by mode."""
        config = desired.config
        what = "new active dataset" if config.activate else "new dataset (not activated)"
        if config.exactly is not None:
            return f"{what} of exactly these uploads"
        if config.extends is not None:
            bases = [str(inputs.shown(base)) for base in self.bases(desired)]
            return f"{what} extending dataset{'s' if len(bases) > 1 else ''} {', '.join(bases)}"
        return what

    def _target_members(
        self, desired: Desired[ActiveDatasetConfig], facts: ActiveDatasetFacts, wanted: list[Any]
    ) -> list[Any] | None:
        """Every upload the dataset the spec asks for holds, or None when that cannot be seen."""
        found: list[Any] = list(wanted)
        for base, base_id in zip(desired.config.bases, self.bases(desired), strict=True):
            if isinstance(base, int):
                shown = dataset_upload_ids((facts.bases or {}).get(base))
            else:
                output = desired.output(base, "upload_ids")
                shown = output if isinstance(output, list) and is_known(output) else None
            if shown is None or not is_known(base_id):
                return None
            found.extend(shown)
        return _ids(found)

    def _planned(self, desired: Desired[ActiveDatasetConfig], facts: ActiveDatasetFacts) -> dict[str, Any]:
        """What the plan shows the new dataset will be: what it builds on, these uploads, the unknown ones."""
        config = desired.config
        wanted = [desired.output(address, "upload_id") for address in config.uploads]
        known = [value for value in wanted if is_known(value)]
        if config.mode == "contains":
            base = members(facts.active, None) or []  # the live active dataset it extends
        else:
            base = self._target_members(desired, facts, []) or []  # the extended datasets' (exactly: none)
        uploads = [*_ids([*base, *known]), *[KNOWN_AFTER_APPLY] * (len(wanted) - len(known))]
        after: dict[str, Any] = {"dataset": KNOWN_AFTER_APPLY, "uploads": uploads}
        if config.extends is not None:
            after["extends"] = [inputs.shown(base) for base in self.bases(desired)]
        if not config.activate:
            after["activate"] = False
        return after

    # -- exactly / extends (activated): the built dataset is the active one ----------------------------
    def _decide_made(
        self, desired: Desired[ActiveDatasetConfig], record: ResourceState | None, facts: ActiveDatasetFacts
    ) -> Decision:
        config = desired.config
        wanted_identity = self.identity(desired)
        live_id = facts.active.IId if facts.active else None
        shown = dataset_upload_ids(facts.active)
        live_uploads = _ids(shown) if shown is not None else None
        recorded_id = inputs.normalize(record.outputs.get("dataset_id")) if record else None
        ours = (
            record is not None
            and wanted_identity is not None
            and record.status == "ready"
            and record.pending is None
            and jobs.recorded_for(wanted_identity, record)
        )
        target: list[Any] | None = None
        reasons: list[str] = []
        wanted = [desired.output(address, "upload_id") for address in config.uploads]
        if wanted_identity is None:
            reasons.extend(
                f"{address} is not uploaded yet"
                for address in config.uploads
                if not is_known(desired.output(address, "upload_id"))
            )
            reasons.extend(
                f"{base} changes"
                for base, base_id in zip(config.bases, self.bases(desired), strict=True)
                if not is_known(base_id)
            )
        else:
            target = self._target_members(desired, facts, wanted)
        in_sync = (
            wanted_identity is not None
            and live_id is not None
            and (
                (ours and live_id == recorded_id)
                or (
                    target is not None
                    and live_uploads is not None
                    and live_uploads == target
                    and (not ours or live_id == recorded_id)
                )
            )
        )
        if wanted_identity is not None and not in_sync:
            if record is not None and not jobs.recorded_for(wanted_identity, record):
                reasons.extend(
                    changes(record.inputs, wanted_identity.canonical())
                    or [f"the inputs of dataset {recorded_id} changed"]
                )
            if live_id is None:
                reasons.append("the project has no active dataset")
            elif ours:
                reasons.append(
                    f"the active dataset was changed outside reconciler: now {live_id}, "
                    f"recorded {recorded_id}"
                )
            elif target is not None and live_uploads is not None:
                extra = [value for value in live_uploads if value not in target]
                lacking = [value for value in target if value not in live_uploads]
                if lacking:
                    reasons.append(f"the active dataset {live_id} lacks {_named(desired, lacking)}")
                if extra:
                    what = (
                        "these uploads"
                        if config.exactly is not None
                        else "the extended datasets' and these uploads"
                    )
                    reasons.append(
                        f"the active dataset {live_id} also holds uploads {', '.join(map(str, extra))}, "
                        f"beyond {what}"
                    )
            else:
                reasons.append(
                    f"the active dataset {live_id} is not the one reconciler built for {config.mode} "
                    "(its uploads are not shown)"
                )
        before = {"dataset": live_id, "uploads": live_uploads if live_uploads is not None else NOT_SHOWN}
        after = self._planned(desired, facts)
        reactivate = (
            ours
            and not in_sync
            and facts.recorded.status is not None
            and facts.recorded.status.state == "succeeded"
        )

        def activate_again(job: jobs.Job) -> jobs.Verdict | None:
            if not reactivate:
                return None
            return jobs.verdict(
                Action.UPDATE,
                Reason.LIVE_CHANGED,
                *reasons,
                f"dataset {recorded_id} (built for this spec) is activated again; no new dataset",
                summary=f"activate dataset {recorded_id} again",
                after={
                    "dataset": recorded_id,
                    "uploads": record.outputs.get("upload_ids") if record else None,
                },
            )

        selection = jobs.Selection(
            type_name=self.name,
            provider=desired.target.provider,
            live=live_id is not None,
            differences=() if in_sync else tuple(reasons) or ("the active dataset is not the one asked for",),
            outputs={
                "dataset_id": live_id,
                "upload_ids": live_uploads
                if live_uploads is not None
                else (record.outputs.get("upload_ids") if record else []),
            },
            display={"Status": facts.active.Status if facts.active else None},
            running_summary="dataset in progress",
        )
        ruleset = jobs.rules(
            activate_again,
            base=jobs.selection_rules(selection),
            before={"activate_again": "selection_differs"},
        )
        job = self._job(record, wanted_identity, facts, self._summary(desired))
        decision = jobs.decide(job, after=after, before=before, ruleset=ruleset)
        if reactivate and decision.reason is Reason.LIVE_CHANGED and record is not None:
            # The same dataset is activated again: what depends on it keeps its inputs (no new refit).
            kept = {"dataset_id": recorded_id, "upload_ids": record.outputs.get("upload_ids")}
            return dataclasses.replace(decision, outputs=kept)
        return decision

    # -- activate: false: a dataset built, whatever is active ------------------------------------------
    def _decide_built_only(
        self, desired: Desired[ActiveDatasetConfig], record: ResourceState | None, facts: ActiveDatasetFacts
    ) -> Decision:
        config = desired.config
        waiting = tuple(
            [address for address in config.uploads if not is_known(desired.output(address, "upload_id"))]
            + [
                str(base)
                for base, base_id in zip(config.bases, self.bases(desired), strict=True)
                if not is_known(base_id)
            ]
        )
        words = jobs.JobWords(
            noun="dataset", summary=self._summary(desired), id_key="dataset_id", shown_as="dataset"
        )
        job = jobs.Job(record, self.identity(desired), facts.recorded, words, waiting)
        after = self._planned(desired, facts)
        before = (
            {"dataset": record.outputs.get("dataset_id"), "uploads": record.outputs.get("upload_ids")}
            if record is not None and record.outputs
            else None
        )
        return jobs.decide(job, after=after, before=before)

    async def recover(
        self, client: AlvissClient, desired: Desired[ActiveDatasetConfig], pending: PendingOperation
    ) -> int | str | None:
        wanted = self.identity(desired)
        if pending.step != "create_dataset" or wanted is None or not jobs.pending_for(wanted, pending):
            return None
        uploads = set(_ids(list(pending.detail.get("upload_ids", []))))
        base = _ids(list(pending.detail.get("dataset_ids", [])))
        exact = desired.config.exactly is not None

        def match(obj: dict[str, Any]) -> bool:
            extended, held = obj.get("ExtendedFrom"), obj.get("DataUploads") or obj.get("Uploads")
            if extended is None or held is None:
                return False  # without both (INFERRED) fields a dataset cannot be told apart
            found = set(_ids(list(held)))
            return _ids(list(extended)) == base and (found == uploads if exact else uploads <= found)

        return await lookup.find_created(client, "datasets", pending, match)

    async def apply(
        self,
        client: AlvissClient,
        desired: Desired[ActiveDatasetConfig],
        record: ResourceState | None,
        decision: Decision,
        journal: Journal,
    ) -> Applied:
        config = desired.config
        identity = self.identity(desired)
        if identity is None:
            raise errors.PlanError(
                f"{desired.address}: an upload or dataset it needs has no id; apply it first"
            )
        wanted = _ids([desired.output(address, "upload_id") for address in config.uploads])
        pending = journal.pending
        base_members: list[Any] | None = None
        if decision.action is Action.RESUME and pending is not None and pending.job_id is not None:
            dataset_id = pending.job_id
            base_members = pending.detail.get("base_uploads")
        elif decision.reason is Reason.LIVE_CHANGED and is_known(decision.after.get("dataset")) and record:
            # exactly/extends: the dataset built earlier is activated again, nothing is built.
            dataset_id = decision.after["dataset"]
            base_members = list(record.outputs.get("upload_ids") or [])
        else:
            if config.mode == "contains":
                active = await live_active(client)
                base = [active.IId] if active else []
                base_members = members(active, record if config.activate else None)
                held = base_members if base_members is not None else []
                missing = [value for value in wanted if value not in held]
                if active is not None and not missing:
                    # The live active dataset holds them all (someone made it whole since the plan).
                    return Applied(
                        outputs={"dataset_id": active.IId, "upload_ids": held},
                        display={"Status": active.Status},
                        identity=identity,
                    )
                sent = missing
            else:
                base, sent = list(identity.extends), wanted
                base_members = None if base else []
            await journal.intent(
                "create_dataset",
                identity=identity,
                upload_ids=sent,
                dataset_ids=base,
                base_uploads=base_members,
            )
            dataset_id = await client.create_dataset(upload_ids=sent, dataset_ids=base)
            await journal.submitted(dataset_id)
        what = f"dataset {dataset_id}"
        final = await client.wait(DATASET, lambda: client.get_dataset(dataset_id), what=what, journal=journal)
        if config.activate:
            await journal.intent("activate", dataset_id=dataset_id)
            await client.activate_dataset(dataset_id)
        shown = dataset_upload_ids(final)
        # Without the platform's list, what the new dataset holds is what it was made of.
        if shown is not None:
            uploads = _ids(shown)
        elif base_members is not None:
            uploads = _ids([*base_members, *wanted])
        else:
            uploads = _ids(wanted)  # extended datasets' uploads are not shown
        return Applied(
            outputs={"dataset_id": inputs.normalize(dataset_id), "upload_ids": uploads},
            display={"Status": final.Status},
            identity=identity,
        )
