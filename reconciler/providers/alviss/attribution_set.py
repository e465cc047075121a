"""``alviss.active_attribution_set``: the active attribution set includes these attributions.

As in the vendor's "extend active attribution set" example, a new set is made
by aligning the dates of the wanted attributions (plus, with
``keep_existing``, those already in the live active set), waited for and
activated.  With ``keep_existing: false`` the set must hold exactly these.

With ``activate: false`` the set is built and not activated (the vendor's
``"active": False`` without the ``activate`` call), and which set is active
does not matter to the plan: the recorded set stands while it exists and the
spec asks for the same attributions.

Activated, and another set activated since outside the tool, the set built
for this spec is activated again (nothing is built) while it still exists,
has not failed and still holds what the spec asks: these attributions and,
with ``keep_existing``, every one of the set now active (else a new set
keeps those), as an ``exactly`` dataset is.
"""

from __future__ import annotations

import dataclasses
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
from reconciler.vocabulary import KNOWN_AFTER_APPLY, Action, Reason, is_known


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
            if not _elsewhere(active, record):
                return SetFacts(active=active, building=building)
            # Another set is active: the recorded one may be activated again, if it still stands.
            recorded = await lookup.read_job(client.get_attribution_set, record, "attribution_set_id")
            return SetFacts(active=active, building=building, recorded=recorded)
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
                f"now {shown(live_id)}, recorded {recorded}"
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
        again = (
            _standing(record, wanted_identity, facts.recorded)
            if (missing or extra) and not unknown and recorded is not None and live_id != recorded
            else None
        )
        if again is not None and not _holds(config, again, known, live):
            again = None
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
        base = jobs.selection_rules(selection)
        if again is None:
            return jobs.decide(job, after=after, before=before, ruleset=base)

        def activate_again(job: jobs.Job) -> jobs.Verdict | None:
            return jobs.verdict(
                Action.UPDATE,
                Reason.LIVE_CHANGED,
                *reasons,
                f"attribution set {recorded} (built for this spec) is activated again; "
                "no new attribution set",
                summary=f"activate attribution set {recorded} again",
                after={"attribution_set": recorded, "attributions": again},
            )

        ruleset = jobs.rules(activate_again, base=base, before={"activate_again": "selection_differs"})
        decision = jobs.decide(job, after=after, before=before, ruleset=ruleset)
        if decision.reason is Reason.LIVE_CHANGED:
            # The same set is activated again: what depends on it keeps its inputs.
            return dataclasses.replace(
                decision, outputs={"attribution_set_id": recorded, "attribution_ids": again}
            )
        return decision

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
        elif (
            decision.reason is Reason.LIVE_CHANGED
            and is_known(decision.after.get("attribution_set"))
            and config.activate
            and record is not None
        ):
            # The set built earlier for this spec is activated again, nothing is built.
            set_id = decision.after["attribution_set"]
            chosen = list(record.outputs.get("attribution_ids") or [])
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


def _elsewhere(active: shapes.AttributionSet | None, record: ResourceState | None) -> bool:
    """Whether a set other than the recorded one is active (by id, or by members where ids are not shown)."""
    if record is None or record.pending is not None or record.outputs.get("attribution_set_id") is None:
        return False
    if active is None:
        return True
    if active.IId is not None:
        recorded: Any = inputs.normalize(record.outputs["attribution_set_id"])
        return bool(inputs.normalize(active.IId) != recorded)
    return _sorted(set_attribution_ids(active) or []) != _sorted(record.outputs.get("attribution_ids") or [])


def _standing(
    record: ResourceState | None, identity: AttributionSetIdentity | None, facts: jobs.JobFacts
) -> list[Any] | None:
    """The members of the set recorded for ``identity`` while it still stands on the platform, else None.

    It must be recorded whole for the same attributions, and show as built
    (not gone, not failed); its members are as it shows them, else as recorded.
    """
    if record is None or identity is None or record.status != "ready" or record.pending is not None:
        return None
    if not jobs.recorded_for(identity, record) or facts.gone or facts.status is None:
        return None
    if facts.status.state != "succeeded":
        return None
    shown = (facts.live or {}).get("Attributions")
    held = shown if isinstance(shown, list) else record.outputs.get("attribution_ids")
    return _sorted(held) if isinstance(held, list) else None


def _holds(config: ActiveAttributionSetConfig, held: list[Any], wanted: list[Any], live: list[Any]) -> bool:
    """Whether a set of ``held`` is what the spec asks, ``live`` being the members of the set now active."""
    if config.keep_existing:
        return all(value in held for value in [*wanted, *live])
    return held == _sorted(wanted)
