"""The Alviss platform: configuration, resource types, and an open client per project."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, ClassVar

from reconciler.providers.alviss.active_dataset import ActiveDataset
from reconciler.providers.alviss.attribution import Attribution
from reconciler.providers.alviss.attribution_set import ActiveAttributionSet
from reconciler.providers.alviss.client import AlvissClient
from reconciler.providers.alviss.config import AlvissConfig
from reconciler.providers.alviss.model import Model
from reconciler.providers.alviss.refit import Refit
from reconciler.providers.alviss.upload import Upload
from reconciler.providers.base import (
    ClientOptions,
    Connection,
    Platform,
    ResourceType,
    credential,
    http_client,
    make_waiter,
)

#: Token sent to an emulator when the spec gives none (emulators accept any non-empty token).
EMULATOR_TOKEN = "emulator"


class Alviss(Platform[AlvissConfig, AlvissClient]):
    """Alviss AI: uploads, datasets, models, attributions."""

    name = "alviss"
    config_model = AlvissConfig
    api_path = "/api/v1/api"
    resource_types: ClassVar[dict[str, ResourceType[Any, Any, Any]]] = {
        Upload.name: Upload(),
        ActiveDataset.name: ActiveDataset(),
        Refit.name: Refit(),
        Model.name: Model(),
        Attribution.name: Attribution(),
        ActiveAttributionSet.name: ActiveAttributionSet(),
    }

    def describe(self, config: AlvissConfig) -> str:
        return f"{config.endpoint}, project {config.team}/{config.project}"

    @asynccontextmanager
    async def connect(
        self, instance: str, config: AlvissConfig, *, connection: Connection, options: ClientOptions
    ) -> AsyncIterator[AlvissClient]:
        token = credential(
            config.token,
            connection=connection,
            emulator_value=EMULATOR_TOKEN,
            instance=instance,
            field="token",
            hint="set token: ${env:ALVISS_TOKEN} in the provider block and export ALVISS_TOKEN",
        )
        http = http_client(
            connection,
            options,
            service=f"Alviss ({instance}, project {config.team}/{config.project})",
            headers={"Authorization": f"Bearer {token}"},
            secrets=[token],
        )
        waiter = make_waiter(options)
        async with http:
            yield AlvissClient(
                http, team=config.team, project=config.project, waiter=waiter, endpoint=connection.base_url
            )
