"""The Akkio platform, declared: configuration, jobs, resource types, and a client per team key."""

from __future__ import annotations

from reconciler.providers.akkio.client import TRAIN, AkkioClient
from reconciler.providers.akkio.config import AkkioConfig
from reconciler.providers.akkio.dataset import Dataset
from reconciler.providers.akkio.model import Training
from reconciler.providers.platform import Platform, Session, by_name


class Akkio(Platform[AkkioConfig, AkkioClient]):
    """Akkio: datasets and trained models."""

    title = "Akkio"
    config_class = AkkioConfig
    jobs = (TRAIN,)
    resource_types = by_name(Dataset(), Training())

    def client(self, config: AkkioConfig, session: Session) -> AkkioClient:
        return AkkioClient(
            session.http, base_url=session.base_url, api_key=session.secret, waiter=session.waiter
        )
