"""The Sony EPA platform, declared: configuration, jobs, resource types, and a client per model key."""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.errors import SpecError
from reconciler.http import HttpClient
from reconciler.providers.platform import Platform, Session, by_name, data_by_name
from reconciler.providers.sony_epa.client import RETRAIN, SonyEpaClient
from reconciler.providers.sony_epa.config import SonyEpaConfig
from reconciler.providers.sony_epa.conflicts import switch_conflicts
from reconciler.providers.sony_epa.data import RetrainJobData
from reconciler.providers.sony_epa.pin import Pin
from reconciler.providers.sony_epa.retrain import Retrain
from reconciler.spec.document import ProviderSpec, ResourceSpec


class SonyEpa(Platform[SonyEpaConfig, SonyEpaClient]):
    """Sony Easy Predictive Analytics (Prediction One): retraining models behind their API keys."""

    title = "Sony EPA"
    config_class = SonyEpaConfig
    jobs = (RETRAIN,)
    resource_types = by_name(Retrain(), Pin())
    data_sources = data_by_name(RetrainJobData())

    def spec_problems(
        self, resources: Mapping[str, ResourceSpec], providers: Mapping[str, ProviderSpec]
    ) -> list[SpecError]:
        return switch_conflicts(resources)

    def client(self, config: SonyEpaConfig, session: Session) -> SonyEpaClient:
        def uploader(size: int | None) -> HttpClient:
            # Storage behind a presigned URL: no API key, and a declared length (no chunked body);
            # None: a download.
            return session.http_client(
                service=f"Sony EPA storage ({session.instance})",
                headers={} if size is None else {"Content-Length": str(size)},
                auth_hint="the upload URL was refused (expired or altered); run apply again for a new one",
                timeout=300.0,
            )

        key_hint = session.refused or ""
        return SonyEpaClient(
            session.http,
            uploader=uploader,
            key_hint=key_hint,
            waiter=session.waiter,
            base_url=session.base_url,
        )
