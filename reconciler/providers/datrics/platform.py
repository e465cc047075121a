"""The Datrics platform, declared: configuration, jobs, resource types, and a client per user."""

from __future__ import annotations

from reconciler.providers.datrics.client import PREDICTION, DatricsClient
from reconciler.providers.datrics.config import DatricsConfig
from reconciler.providers.datrics.predictions import Predictions
from reconciler.providers.platform import Platform, Session, by_name


class Datrics(Platform[DatricsConfig, DatricsClient]):
    """Datrics: predictions of deployed AutoModel models."""

    title = "Datrics"
    config_class = DatricsConfig
    jobs = (PREDICTION,)
    resource_types = by_name(Predictions())

    def describe(self, config: DatricsConfig) -> str:
        return f"{config.endpoint}, user {config.user_id}"

    def client(self, config: DatricsConfig, session: Session) -> DatricsClient:
        return DatricsClient(session.http, waiter=session.waiter, base_url=session.base_url)
