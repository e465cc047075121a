"""The Alviss platform, declared: configuration, jobs, resource types, and a client per project."""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.errors import SpecError
from reconciler.providers.alviss.active_dataset import ActiveDataset
from reconciler.providers.alviss.attribution import Attribution
from reconciler.providers.alviss.attribution_set import ActiveAttributionSet
from reconciler.providers.alviss.client import JOBS, AlvissClient
from reconciler.providers.alviss.config import AlvissConfig
from reconciler.providers.alviss.conflicts import activation_conflicts
from reconciler.providers.alviss.data import DATA_SOURCES
from reconciler.providers.alviss.lookup import REMOTE_KINDS
from reconciler.providers.alviss.model import Remodel
from reconciler.providers.alviss.refit import Refit
from reconciler.providers.alviss.upload import Upload
from reconciler.providers.platform import Platform, Session, by_name, data_by_name
from reconciler.spec.document import ProviderSpec, ResourceSpec


class Alviss(Platform[AlvissConfig, AlvissClient]):
    """Alviss AI: uploads, datasets, models, attributions."""

    title = "Alviss"
    config_class = AlvissConfig
    jobs = JOBS
    resource_types = by_name(
        Upload(), ActiveDataset(), Refit(), Remodel(), Attribution(), ActiveAttributionSet()
    )
    data_sources = data_by_name(*DATA_SOURCES)
    remote_kinds = REMOTE_KINDS

    def spec_problems(
        self, resources: Mapping[str, ResourceSpec], providers: Mapping[str, ProviderSpec]
    ) -> list[SpecError]:
        return activation_conflicts(resources, providers)

    def describe(self, config: AlvissConfig) -> str:
        return f"{config.endpoint}, project {config.team}/{config.project}"

    def service(self, instance: str, config: AlvissConfig) -> str:
        return f"Alviss ({instance}, project {config.team}/{config.project})"

    def client(self, config: AlvissConfig, session: Session) -> AlvissClient:
        return AlvissClient(
            session.http,
            team=config.team,
            project=config.project,
            waiter=session.waiter,
            base_url=session.base_url,
        )
