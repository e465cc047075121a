"""``sony_epa.pin``: the model's prediction API pinned to one retrain job (switching back to an earlier one).

The vendor's model switch (``PUT /retrain_jobs/{id}/update_model``) takes any
finished retrain job of the model, not only the latest: pinning names that job,
by id (``retrain_job_id``, for a retrain made before this spec, or read with
``data.sony_epa.retrain_job``) or by the address of a ``sony_epa.retrain`` in
the spec (``retrain``).  Changing the pin switches the API to the newly named
job; naming an earlier one is switching back.  The platform shows no way to
read which job an API serves, so what was switched is what the record says.
Removing the pin from the spec switches nothing (there is nothing to undo).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler import errors
from reconciler.providers.base import Applied, Decision, Desired, Journal, ResourceType, Target
from reconciler.providers.identity import Identity
from reconciler.providers.sony_epa.client import JobGone, RetrainJob, SonyEpaClient, job_status
from reconciler.providers.sony_epa.config import PinConfig
from reconciler.state.document import ResourceState
from reconciler.vocabulary import KNOWN_AFTER_APPLY, Action, Reason

ID = "retrain_job_id"


@dataclass(frozen=True)
class PinFacts:
    """The named retrain job as the status check shows it (None: named by a reference, read at apply)."""

    live: RetrainJob | None = None


class PinIdentity(Identity):
    """A pin is the same while it names the same retrain job."""

    kind = "sony_epa.pin"

    retrain_job_id: str


class Pin(ResourceType[PinConfig, SonyEpaClient, PinFacts]):
    """The model's API switched to one named retrain job."""

    name = "sony_epa.pin"
    config_class = PinConfig
    identity_class = PinIdentity

    async def read(
        self, client: SonyEpaClient, target: Target[PinConfig], record: ResourceState | None
    ) -> PinFacts:
        job_id = target.config.retrain_job_id
        if job_id is None:
            return PinFacts()
        return PinFacts(live=await _finished(client, target, job_id))

    def decide(self, desired: Desired[PinConfig], record: ResourceState | None, facts: PinFacts) -> Decision:
        wanted = _wanted(desired, record)
        known = wanted is not KNOWN_AFTER_APPLY
        recorded = record.outputs.get(ID) if record is not None else None
        after: dict[str, Any] = {ID: wanted}
        before: dict[str, Any] = {ID: recorded} if recorded is not None else {}
        fingerprint = PinIdentity(retrain_job_id=str(wanted)).fingerprint() if known else None
        if not known:
            why = f"{desired.config.retrain} makes a new retrain; the model's API is switched to it"
        elif record is None or recorded is None:
            why = f"switch the model's API to retrain job {wanted}"
        elif record.status == "tainted":
            why = f"the last switch to retrain job {wanted} failed: {record.error}"
        elif str(recorded) != str(wanted):
            why = f"switch the model's API from retrain job {recorded} to retrain job {wanted}"
        else:
            return Decision(
                action=Action.NOOP,
                reason=Reason.IN_SYNC,
                outputs=dict(record.outputs),
                fingerprint=fingerprint,
            )
        if record is None or recorded is None:
            action, reason = Action.CREATE, Reason.NO_RECORD
        elif record.status == "tainted":
            action, reason = Action.UPDATE, Reason.TAINTED
        else:
            action, reason = Action.UPDATE, Reason.INPUTS_CHANGED
        return Decision(
            action=action,
            reason=reason,
            summary="switch the model's API",
            reasons=(why,),
            before=before,
            after=after,
            fingerprint=fingerprint,
        )

    async def apply(
        self,
        client: SonyEpaClient,
        desired: Desired[PinConfig],
        record: ResourceState | None,
        decision: Decision,
        journal: Journal,
    ) -> Applied:
        wanted = _wanted(desired)
        if wanted is KNOWN_AFTER_APPLY:
            raise errors.PlanError(
                f"{desired.address}: the retrain job to switch to is not known", hint="plan again"
            )
        job_id = str(wanted)
        identity = PinIdentity(retrain_job_id=job_id)
        live = await _finished(client, desired.target, job_id)
        await journal.intent("switch", identity=identity)
        await client.update_model(job_id)
        return Applied(
            outputs={ID: job_id, "model_id": live.model_id},
            display={"status": live.status, "follows": desired.config.retrain},
            identity=identity,
        )


def _wanted(desired: Desired[PinConfig], record: ResourceState | None = None) -> Any:
    """The job to switch to: the literal id, or the referenced retrain's (KNOWN_AFTER_APPLY while it
    makes a new one).  A retrain's ``~ update`` (switching, or saving its results file again) keeps its
    job, so while the record names that retrain's job the pin still names it."""
    config = desired.config
    if config.retrain_job_id is not None:
        return config.retrain_job_id
    assert config.retrain is not None
    found = desired.output(config.retrain, ID)
    upstream = desired.upstream[config.retrain]
    followed = record is not None and record.display.get("follows") == config.retrain
    if found is KNOWN_AFTER_APPLY and upstream.action is Action.UPDATE and record is not None and followed:
        return record.outputs.get(ID, KNOWN_AFTER_APPLY)
    return found


async def _finished(client: SonyEpaClient, target: Target[PinConfig], job_id: str) -> RetrainJob:
    """The named job's status check: only a finished job can be switched to
    (the platform refuses others with ``Retrain job is not finished.``)."""
    field = ("retrain_job_id",) if target.config.retrain_job_id is not None else ("retrain",)
    try:
        live = await client.retrain_job(job_id)
    except JobGone as exc:
        raise target.error(
            field,
            f"retrain job {job_id} is not on the platform ({client.http.service})",
            hint="check the id, and that the provider's api_key is the key of that job's model",
        ) from exc
    status = job_status(live)
    if status.state != "succeeded":
        raise target.error(
            field, f"retrain job {job_id} is {live.status}: only a finished retrain job can be switched to"
        )
    return live
