"""``alviss.active_attribution_set``: the active attribution set includes these attributions.

As in the vendor's "extend active attribution set" example, a new set is made
by aligning the dates of the wanted attributions (plus, with
``keep_existing``, those already in the live active set), waited for and
activated.  With ``keep_existing: false`` the set must hold exactly these.

With ``activate: false`` the set is built and not activated (the vendor's
``"active": False`` without the ``activate`` call), and which set is active
does not matter to the plan: the recorded set stands while it exists and the
spec asks for the same attributions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import field_validator

from reconciler.answers import ObjectId
from reconciler.providers import jobs
from reconciler.providers.alviss import inputs, lookup, shapes
from reconciler.providers.alviss.client import ATTRIBUTION_SET, AlvissClient, job_status, set_attribution_ids
from reconciler.providers.alviss.config import ActiveAttributionSetConfig
from reconciler.providers.base import Applied, Decision, Desired, Journal, ResourceType, Target
from reconciler.providers.identity import Identity
from reconciler.state.document import PendingOperation, ResourceState
from reconciler.vocabulary import KNOWN_AFTER_APPLY, Action, is_known


@dataclass(frozen=True)
class SetFacts:
    """The live active set (if any) and, while one is being built, the set in progress."""

    active: shapes.AttributionSet | None
    building: shapes.AttributionSet | None = None
    #: With ``activate: false``: the recorded set, as the platform shows it now.
    recorded: jobs.JobFacts = field(default_factory=jobs.JobFacts)


def _sorted(values: Any) -> list[Any]:
    unique = dict.fromkeys(inputs.normalize(value) for value in values)
    return sorted(unique, key=lambda value: (not isinstance(value, int), str(value)))


def shown(set_id: Any) -> str:
    return "(id not shown)" if set_id is None else str(set_id)


class AttributionSetIdentity(Identity):
    """The active set is the same while it is asked to include the same attributions, keeping or not."""

    kind = "alviss.active_attribution_set"
    identity_always = frozenset({"attributions", "keep_existing"})

    attributions: list[ObjectId]
    keep_existing: bool = True

    @field_validator("attributions")
    @classmethod
    def _in_order(cls, value: list[int | str]) -> list[int | str]:
        return _sorted(value)


def members(config: ActiveAttributionSetConfig, wanted: list[Any], live: list[Any]) -> list[Any]:
    """The attributions the new set holds."""
    chosen = [*wanted, *(live if config.keep_existing else [])]
    return _sorted(dict.fromkeys(chosen))


class ActiveAttributionSet(ResourceType[ActiveAttributionSetConfig, AlvissClient, SetFacts]):
    """The active attribution set of an Alviss project."""

    name = "alviss.active_attribution_set"
    made_key = "attribution_set_id"
    config_class = ActiveAttributionSetConfig
    identity_class = AttributionSetIdentity

    def identity(self, desired: Desired[ActiveAttributionSetConfig]) -> AttributionSetIdentity | None:
        """The attributions the spec asks for, by id; None while one of them is not made yet."""
        config = desired.config
        wanted = [inputs.resolve(desired, item, "attribution_id") for item in config.includes]
        if not is_known(wanted):
            return None
        return AttributionSetIdentity(attributions=wanted, keep_existing=config.keep_existing)

    async def read(
        self, client: AlvissClient, target: Target[ActiveAttributionSetConfig], record: ResourceState | None
    ) -> SetFacts:
        active = await client.get_active_attribution_set()
        building = None
        if record is not None and record.pending is not None and record.pending.job_id is not None:
            job_id = record.pending.job_id
            building = await jobs.read_or_gone(lambda: client.get_attribution_set(job_id))
        if target.config.activate:
            return SetFacts(active=active, building=building)
        recorded = await lookup.read_job(client.get_attribution_set, record, "attribution_set_id")
        return SetFacts(active=active, building=building, recorded=recorded)

    def decide(
        self, desired: Desired[ActiveAttributionSetConfig], record: ResourceState | None, facts: SetFacts
    ) -> Decision:
        config = desired.config
        if not config.activate:
            return self._decide_built_only(desired, record, facts)
        wanted = [inputs.resolve(desired, item, "attribution_id") for item in config.includes]
        known = [value for value in wanted if is_known(value)]
        unknown = [
            item
            for item in config.includes
            if isinstance(item, str) and not is_known(inputs.resolve(desired, item, "attribution_id"))
        ]
        live = _sorted(set_attribution_ids(facts.active) or []) if facts.active else []
        recorded = inputs.normalize(record.outputs.get("attribution_set_id")) if record else None
        live_id = facts.active.IId if facts.active else None
        same_members = record is not None and _sorted(record.outputs.get("attribution_ids") or []) == live
        if live_id is None and facts.active is not None and same_members:
            live_id = recorded  # the active set's id is not documented: the recorded set, same members
        wanted_identity = self.identity(desired)
        before = {"attribution_set": live_id, "attributions": live}
        planned = members(config, known, live) + [KNOWN_AFTER_APPLY] * len(unknown)
        after = {"attribution_set": KNOWN_AFTER_APPLY, "attributions": planned}

        reasons: list[str] = []
        if recorded is not None and live_id != recorded:
            reasons.append(
                "the active attribution set was changed outside reconciler: "
                f"now {live_id}, recorded {recorded}"
            )
        reasons.extend(f"{address} is not made yet" for address in unknown)
        missing = [value for value in known if value not in live]
        if missing:
            reasons.append(
                f"the active attribution set {shown(live_id)} lacks attributions "
                f"{', '.join(map(str, missing))}"
                if facts.active is not None
                else "the project has no active attribution set"
            )
        extra = [] if config.keep_existing else [value for value in live if value not in known]
        if extra:
            reasons.append(
                f"keep_existing is false and the active set also holds {', '.join(map(str, extra))}"
            )
        job = jobs.Job(
            record,
            wanted_identity,
            jobs.JobFacts(status=job_status(facts.building) if facts.building is not None else None),
            jobs.JobWords(
                noun="attribution set",
                summary="new active attribution set",
                id_key="attribution_set_id",
                shown_as="attribution_set",
            ),
        )
        selection = jobs.Selection(
            type_name=self.name,
            provider=desired.target.provider,
            live=facts.active is not None,
            differences=tuple(reasons) if unknown or missing or extra else (),
            outputs={"attribution_set_id": live_id, "attribution_ids": live},
            display={"Status": facts.active.Status if facts.active else None},
            made="made",
        )
        return jobs.decide(job, after=after, before=before, ruleset=jobs.selection_rules(selection))

    def _decide_built_only(
        self, desired: Desired[ActiveAttributionSetConfig], record: ResourceState | None, facts: SetFacts
    ) -> Decision:
        """``activate: false``: a set built once for these attributions, whatever set is active."""
        config = desired.config
        wanted = [inputs.resolve(desired, item, "attribution_id") for item in config.includes]
        waiting = tuple(
            item
            for item in config.includes
            if isinstance(item, str) and not is_known(inputs.resolve(desired, item, "attribution_id"))
        )
        words = jobs.JobWords(
            noun="attribution set",
            summary="new attribution set (not activated)",
            id_key="attribution_set_id",
            shown_as="attribution_set",
        )
        known = [value for value in wanted if is_known(value)]
        live = _sorted(set_attribution_ids(facts.active) or []) if facts.active else []
        planned = members(config, known, live) + [KNOWN_AFTER_APPLY] * (len(wanted) - len(known))
        after = {"attributions": planned, "activate": False}
        before = (
            {
                "attribution_set": record.outputs.get("attribution_set_id"),
                "attributions": record.outputs.get("attribution_ids"),
            }
            if record is not None and record.outputs
            else None
        )
        job = jobs.Job(record, self.identity(desired), facts.recorded, words, waiting)
        return jobs.decide(job, after=after, before=before)

    async def recover(
        self, client: AlvissClient, desired: Desired[ActiveAttributionSetConfig], pending: PendingOperation
    ) -> int | str | None:
        wanted = self.identity(desired)
        if pending.step != "align_dates" or wanted is None or not jobs.pending_for(wanted, pending):
            return None
        chosen = _sorted(pending.detail.get("attribution_ids", []))
        return await lookup.find_created(
            client,
            "attributionset",
            pending,
            lambda obj: obj.get("Attributions") is not None and _sorted(obj["Attributions"]) == chosen,
        )

    async def apply(
        self,
        client: AlvissClient,
        desired: Desired[ActiveAttributionSetConfig],
        record: ResourceState | None,
        decision: Decision,
        journal: Journal,
    ) -> Applied:
        config = desired.config
        identity = self.identity(desired)
        assert identity is not None, "upstream outputs are known at apply time"
        wanted = [inputs.resolve(desired, item, "attribution_id") for item in config.includes]
        pending = journal.pending
        if decision.action is Action.RESUME and pending is not None and pending.job_id is not None:
            set_id = pending.job_id
            chosen = list(pending.detail.get("attribution_ids", []))
        else:
            active = await client.get_active_attribution_set() if config.keep_existing else None
            live = (set_attribution_ids(active) or []) if active else []
            chosen = members(config, wanted, live)
            await journal.intent(
                "align_dates",
                identity=identity,
                attribution_ids=chosen,
            )
            set_id = await client.align_dates(chosen)
            await journal.submitted(set_id)
        what = f"attribution set {set_id}"
        final = await client.wait(
            ATTRIBUTION_SET, lambda: client.get_attribution_set(set_id), what=what, journal=journal
        )
        if config.activate:
            await journal.intent("activate", attribution_set_id=set_id)
            await client.activate_attribution_set(set_id)
        return Applied(
            outputs={
                "attribution_set_id": inputs.normalize(set_id),
                "attribution_ids": _sorted(set_attribution_ids(final) or chosen),
            },
            display={"Status": final.Status},
            identity=identity,
        )
