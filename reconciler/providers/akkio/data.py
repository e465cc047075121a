"""``data.akkio.dataset``: a dataset of the team, by id or by its exact name, read at plan time.

Its outputs are an ``akkio.dataset``'s (``dataset_id``), so a model may train
on it as on a dataset the spec fills (``dataset: data.akkio.dataset.leads``).
"""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.answers import same_id
from reconciler.providers.akkio.client import AkkioClient
from reconciler.providers.akkio.config import DatasetLookup
from reconciler.providers.base import DataRead, DataSourceType, Target


class DatasetData(DataSourceType[DatasetLookup, AkkioClient]):
    """``data.akkio.dataset``: one of the datasets the legacy API lists."""

    name = "akkio.dataset"
    config_class = DatasetLookup

    async def read(
        self, client: AkkioClient, target: Target[DatasetLookup], *, made: Mapping[str, frozenset[str]]
    ) -> DataRead:
        config = target.config
        listed = await client.list_datasets()
        if config.id is not None:
            found = [item for item in listed if same_id(item.id, config.id)]
            where, asked = ("id",), f"dataset {config.id}"
        else:
            found = [item for item in listed if item.name == config.name]
            where, asked = ("name",), f"a dataset named {config.name!r}"
        if not found:
            raise target.error(
                where,
                f"{asked} is not among the team's datasets ({client.http.service})",
                hint="check it, and that the api_key belongs to the team that owns the dataset",
            )
        if len(found) > 1:
            ids = ", ".join(str(item.id) for item in found)
            raise target.error(
                where,
                f"{len(found)} datasets are named {config.name!r} ({ids}), where one is needed",
                hint="name the one to use by id (id: …)",
            )
        item = found[0]
        named = f" ({item.name})" if item.name else ""
        return DataRead(
            outputs={"dataset_id": str(item.id), "name": item.name},
            summary=f"dataset {item.id}{named}",
            found=item,
        )
