"""The Alviss data sources: a model, the active dataset and the active attribution set, read at plan time.

A data source makes nothing; it names what exists so resources can build on
it (``model: data.alviss.model.latest_se``) without an id copied by hand.
Its outputs have the keys of the resource type of the same name
(``model_id``, ``dataset_id``), so a reference reads either alike.  Nothing
found, or several models where the spec asks for exactly one, is an error at
the field that asked.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from reconciler.providers.alviss import inputs, shapes
from reconciler.providers.alviss.client import AlvissClient, ListingUnavailable, job_status, nested_id
from reconciler.providers.alviss.config import (
    ActiveAttributionSetLookup,
    ActiveDatasetLookup,
    Combination,
    ModelLookup,
)
from reconciler.providers.alviss.lookup import REMOTE_KINDS
from reconciler.providers.base import DataRead, DataSourceType, Target


def _shown(wire: dict[str, str]) -> str:
    return f"{wire['country_code']}/{wire['region_code']}/{wire['grouping']}"


def _combination_of(model: shapes.Model) -> dict[str, str] | None:
    if not model.Country:
        return None
    return inputs.combination_of(model)


def _model_read(model: shapes.Model, object_id: Any) -> DataRead:
    combination = _combination_of(model)
    status = model.Status or "status unknown"
    described = f"{_shown(combination)}, {status}" if combination else status
    model_id = model.IId if model.IId is not None else object_id
    outputs: dict[str, Any] = {"model_id": model_id, "dataset_id": nested_id(model, "DataSet")}
    if combination is not None:
        outputs["combination"] = combination
    return DataRead(outputs=outputs, summary=f"model {model_id} ({described})", found=model)


class ModelData(DataSourceType[ModelLookup, AlvissClient]):
    """``data.alviss.model``: a model by id, or the latest completed model of a combination."""

    name = "alviss.model"
    config_class = ModelLookup

    async def read(
        self, client: AlvissClient, target: Target[ModelLookup], *, made: Mapping[str, frozenset[str]]
    ) -> DataRead:
        config = target.config
        if config.id is not None:
            found = await REMOTE_KINDS["alviss.model"].read(client, config.id)
            if found is None:
                raise target.error(
                    ("id",),
                    f"model {config.id} does not exist in {client.http.service}",
                    hint="check the id, or look the model up by its combination",
                )
            return _model_read(found, config.id)
        assert config.combination is not None  # the config has one or the other
        return await self.by_combination(
            client,
            target,
            config.combination,
            made=made.get("model_id", frozenset()),
        )

    async def by_combination(
        self,
        client: AlvissClient,
        target: Target[ModelLookup],
        combination: Combination,
        *,
        made: Collection[str],
    ) -> DataRead:
        wanted = combination.wire()
        try:
            listed = await client.list_objects("models")
        except ListingUnavailable as exc:
            raise target.error(
                ("combination",),
                f"{client.http.service} offers no list of models, so the latest model of "
                f"{_shown(wanted)} cannot be looked up",
                hint="name the model by id (id: N)",
            ) from exc
        matches = []
        for item in listed:
            model = shapes.Model.model_validate(item)
            if str(model.IId) in made:
                continue  # made by this spec's own resources (a refit of "the latest" would chase itself)
            if _combination_of(model) == wanted and job_status(model).state == "succeeded":
                matches.append(model)
        if not matches:
            raise target.error(
                ("combination",),
                f"no completed model of {_shown(wanted)} in {client.http.service}",
                hint="check the combination (country is ISO-3166 alpha-3, e.g. SWE), or name a model by id",
            )
        matches.sort(key=_age)
        if len(matches) > 1 and not target.config.latest:
            ids = ", ".join(str(model.IId) for model in matches)
            raise target.error(
                ("latest",),
                f"{len(matches)} completed models of {_shown(wanted)} in {client.http.service} ({ids}), "
                "where exactly one is asked for (latest: false)",
                hint="name one by id (id: N), or write latest: true for the most recently created",
            )
        chosen = matches[-1]
        return _model_read(chosen, chosen.IId)


def _age(model: shapes.Model) -> tuple[str, int, str]:
    """Older first: the platform's creation time, then the id."""
    object_id = model.IId
    number = object_id if isinstance(object_id, int) else -1
    return (model.CreatedAt or "", number, str(object_id))


class ActiveDatasetData(DataSourceType[ActiveDatasetLookup, AlvissClient]):
    """``data.alviss.active_dataset``: the project's active dataset."""

    name = "alviss.active_dataset"
    config_class = ActiveDatasetLookup

    async def read(
        self, client: AlvissClient, target: Target[ActiveDatasetLookup], *, made: Mapping[str, frozenset[str]]
    ) -> DataRead:
        active = await client.get_active_dataset()
        if active is None:
            raise target.error((), f"{client.http.service} has no active dataset", hint=_NOTHING_ACTIVE)
        uploads = active.upload_ids
        outputs: dict[str, Any] = {"dataset_id": active.IId}
        if uploads is not None:
            outputs["upload_ids"] = uploads
        shown = f" (uploads {', '.join(str(upload) for upload in uploads)})" if uploads else ""
        return DataRead(outputs=outputs, summary=f"dataset {active.IId}{shown}", found=active)


class ActiveAttributionSetData(DataSourceType[ActiveAttributionSetLookup, AlvissClient]):
    """``data.alviss.active_attribution_set``: the project's active attribution set."""

    name = "alviss.active_attribution_set"
    config_class = ActiveAttributionSetLookup

    async def read(
        self,
        client: AlvissClient,
        target: Target[ActiveAttributionSetLookup],
        *,
        made: Mapping[str, frozenset[str]],
    ) -> DataRead:
        active = await client.get_active_attribution_set()
        if active is None:
            raise target.error(
                (), f"{client.http.service} has no active attribution set", hint=_NOTHING_ACTIVE
            )
        attributions = list(active.Attributions)
        outputs: dict[str, Any] = {"attribution_ids": attributions}
        if active.IId is not None:
            outputs["attribution_set_id"] = active.IId
        listed = ", ".join(str(item) for item in attributions) or "none"
        name = f"attribution set {active.IId}" if active.IId is not None else "the active attribution set"
        return DataRead(outputs=outputs, summary=f"{name} (attributions {listed})", found=active)


_NOTHING_ACTIVE = "check the provider's team and project, or make one with a resource instead of reading it"

#: Every Alviss data source type.
DATA_SOURCES = (ModelData(), ActiveDatasetData(), ActiveAttributionSetData())

__all__ = ["DATA_SOURCES", "ActiveAttributionSetData", "ActiveDatasetData", "ModelData"]
