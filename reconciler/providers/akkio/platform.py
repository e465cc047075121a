"""The Akkio platform, declared: configuration, jobs, resource types, and a client per team key."""

from __future__ import annotations

from typing import Any

from reconciler.answers import same_id
from reconciler.providers.akkio.client import TRAIN, AkkioClient, Listed
from reconciler.providers.akkio.config import AkkioConfig
from reconciler.providers.akkio.data import DatasetData
from reconciler.providers.akkio.dataset import Dataset
from reconciler.providers.akkio.model import Training
from reconciler.providers.akkio.predictions import Predictions
from reconciler.providers.platform import (
    Platform,
    RemoteKind,
    Session,
    by_name,
    data_by_name,
    remote_kinds,
)


async def _dataset(client: AkkioClient, dataset_id: Any) -> Listed | None:
    """The team's dataset of this id (the legacy API lists them; it reads none by id)."""
    return next((item for item in await client.list_datasets() if same_id(item.id, dataset_id)), None)


async def _model(client: AkkioClient, model_id: Any) -> Listed | None:
    """The team's model of this id; taken as it is where the platform does not list models."""
    models = await client.list_models()
    if models is None:  # the legacy listing is not served: the prediction call itself will say
        return Listed(id=str(model_id))
    return next((item for item in models if same_id(item.id, model_id)), None)


class Akkio(Platform[AkkioConfig, AkkioClient]):
    """Akkio: datasets, trained models and their predictions."""

    title = "Akkio"
    config_class = AkkioConfig
    jobs = (TRAIN,)
    resource_types = by_name(Dataset(), Training(), Predictions())
    data_sources = data_by_name(DatasetData())
    remote_kinds = remote_kinds(
        RemoteKind("akkio.dataset", "dataset", _dataset), RemoteKind("akkio.model", "model", _model)
    )

    def client(self, config: AkkioConfig, session: Session) -> AkkioClient:
        return AkkioClient(
            session.http, base_url=session.base_url, api_key=session.secret, waiter=session.waiter
        )
