"""``alviss.attribution``: attribution of a model over a dataset's dates.

By default the range is all of the dataset's Sales dates for the model's
combination (the vendor's ``data_dates[0]`` … ``data_dates[-1]``), read at
apply time; identity is (model, dataset, range as written, samples).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from reconciler.answers import ObjectId, same_id
from reconciler.providers.alviss import inputs, lookup, shapes
from reconciler.providers.alviss.client import ATTRIBUTION, AlvissClient, nested_id
from reconciler.providers.alviss.config import AttributionConfig
from reconciler.providers.alviss.model_job import ModelJob
from reconciler.providers.base import Applied, Decision, Desired, Found, Journal
from reconciler.providers.identity import Identity
from reconciler.providers.jobs import JobWords, pending_for
from reconciler.state.document import PendingOperation, ResourceState
from reconciler.vocabulary import Action


class AttributionIdentity(Identity):
    """An attribution is the same for the same model, dataset, range as written and samples."""

    kind = "alviss.attribution"
    identity_always = frozenset({"model", "dataset", "start_date", "end_date", "samples"})

    model: ObjectId
    dataset: ObjectId
    start_date: str | None = None
    end_date: str | None = None
    samples: int
    #: Whose dates give a missing end of the range (dataset type, combinations), when the spec says.
    dates: dict[str, Any] | None = None


def attribution_identity(config: AttributionConfig, *, model: Any, dataset: Any) -> AttributionIdentity:
    return AttributionIdentity(
        model=model,
        dataset=dataset,
        start_date=config.start_date.isoformat() if config.start_date else None,
        end_date=config.end_date.isoformat() if config.end_date else None,
        samples=config.samples,
        dates=config.dates.identity() if config.dates is not None else None,
    )


def _matches(
    *, model: Any, dataset: Any, samples: int, start: str | None, end: str | None
) -> Callable[[dict[str, Any]], bool]:
    """An attribution of ``model`` over ``dataset``; ``start``/``end`` of None match any date."""
    return lambda obj: (
        same_id(nested_id(obj, "Model"), model)
        and same_id(nested_id(obj, "DataSet"), dataset)
        and obj.get("Samples") == samples
        and (start is None or obj.get("StartDate") == start)
        and (end is None or obj.get("EndDate") == end)
    )


class Attribution(ModelJob[AttributionConfig, AttributionIdentity]):
    """An attribution job."""

    name = "alviss.attribution"
    config_class = AttributionConfig
    identity_class = AttributionIdentity
    id_key = "attribution_id"
    made_key = id_key
    listed_kind = "attributions"

    def identify(self, config: AttributionConfig, *, model: Any, dataset: Any) -> AttributionIdentity:
        return attribution_identity(config, model=model, dataset=dataset)

    def words(self, model: Any) -> JobWords:
        return JobWords(noun="attribution", summary="new attribution", id_key="attribution_id")

    def shows(self, config: AttributionConfig, *, model: Any, dataset: Any) -> Mapping[str, Any]:
        return {
            "model": inputs.shown(model),
            "dataset": inputs.shown(dataset),
            "start_date": config.start_date.isoformat() if config.start_date else "first date",
            "end_date": config.end_date.isoformat() if config.end_date else "last date",
            "samples": config.samples,
            **({"dates": inputs.dates_shown(config.dates)} if config.dates is not None else {}),
        }

    async def fetch(self, client: AlvissClient, object_id: Any) -> shapes.Job:
        return await client.get_attribution(object_id)

    async def recover(
        self, client: AlvissClient, desired: Desired[AttributionConfig], pending: PendingOperation
    ) -> int | str | None:
        config = desired.config
        wanted = self.identity(desired)
        if wanted is None or not pending_for(wanted, pending):
            return None
        model, dataset = wanted.model, wanted.dataset
        detail = pending.detail
        match = _matches(
            model=model,
            dataset=dataset,
            samples=config.samples,
            start=detail.get("start_date"),
            end=detail.get("end_date"),
        )
        return await lookup.find_created(client, "attributions", pending, match)

    async def find(self, client: AlvissClient, desired: Desired[AttributionConfig]) -> Found | None:
        wanted = self.identity(desired)
        if wanted is None:
            return None
        match = _matches(
            model=wanted.model,
            dataset=wanted.dataset,
            samples=wanted.samples,
            start=wanted.start_date,
            end=wanted.end_date,
        )
        return await lookup.find_unrecorded(
            client,
            "attributions",
            match,
            how="model, dataset, samples and the dates the spec gives",
            outputs=lambda obj: {
                "attribution_id": obj["IId"],
                "start_date": obj.get("StartDate"),
                "end_date": obj.get("EndDate"),
            },
            shown=("Model", "DataSet", "StartDate", "EndDate", "Samples"),
        )

    async def apply(
        self,
        client: AlvissClient,
        desired: Desired[AttributionConfig],
        record: ResourceState | None,
        decision: Decision,
        journal: Journal,
    ) -> Applied:
        config = desired.config
        wanted = self.identity(desired)
        assert wanted is not None, "upstream outputs are known at apply time"
        model, dataset = wanted.model, wanted.dataset
        pending = journal.pending
        if decision.action is Action.RESUME and pending is not None and pending.job_id is not None:
            attribution_id = pending.job_id
            body_dates = (pending.detail.get("start_date"), pending.detail.get("end_date"))
        else:
            start, end = await self._range(client, config, model=model, dataset=dataset)
            body_dates = (start, end)
            body = {
                "model_id": model,
                "dataset_id": dataset,
                "start_date": start,
                "end_date": end,
                "samples": config.samples,
            }
            await journal.intent(
                "attribution",
                identity=wanted,
                replaces=record.outputs.get("attribution_id") if record else None,
                **body,
            )
            attribution_id = await client.create_attribution(body)
            await journal.submitted(attribution_id)
        what = f"attribution {attribution_id} of model {model}"
        final = await client.wait(
            ATTRIBUTION, lambda: client.get_attribution(attribution_id), what=what, journal=journal
        )
        return Applied(
            outputs={
                "attribution_id": attribution_id,
                "start_date": final.StartDate if final.StartDate is not None else body_dates[0],
                "end_date": final.EndDate if final.EndDate is not None else body_dates[1],
            },
            display={"Status": final.Status, "Model": nested_id(final, "Model")},
            identity=wanted,
        )

    @staticmethod
    async def _range(
        client: AlvissClient, config: AttributionConfig, *, model: Any, dataset: Any
    ) -> tuple[str, str]:
        if config.start_date is not None and config.end_date is not None:
            return config.start_date.isoformat(), config.end_date.isoformat()
        named = config.dates is not None and config.dates.combinations is not None
        source = None if named else await client.get_model(model)
        dates = await inputs.dataset_dates(
            client, dataset_id=dataset, combination=None, source=source, dates=config.dates
        )
        start = config.start_date.isoformat() if config.start_date else dates[0]
        end = config.end_date.isoformat() if config.end_date else dates[-1]
        return start, end
