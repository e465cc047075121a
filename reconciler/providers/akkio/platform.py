"""The Akkio platform: configuration, resource types, and an open client per team key."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, ClassVar

from reconciler.providers.akkio.client import AkkioClient
from reconciler.providers.akkio.config import AkkioConfig
from reconciler.providers.akkio.dataset import Dataset
from reconciler.providers.akkio.model import Model
from reconciler.providers.base import (
    ClientOptions,
    Connection,
    Platform,
    ResourceType,
    credential,
    http_client,
    make_waiter,
)

#: Key sent to an emulator when the spec gives none (emulators accept any non-empty key).
EMULATOR_KEY = "emulator"


class Akkio(Platform[AkkioConfig, AkkioClient]):
    """Akkio: datasets and trained models."""

    name = "akkio"
    config_model = AkkioConfig
    api_path = "/api/v1"
    resource_types: ClassVar[dict[str, ResourceType[Any, Any, Any]]] = {
        Dataset.name: Dataset(),
        Model.name: Model(),
    }

    @asynccontextmanager
    async def connect(
        self, instance: str, config: AkkioConfig, *, connection: Connection, options: ClientOptions
    ) -> AsyncIterator[AkkioClient]:
        key = credential(
            config.api_key,
            connection=connection,
            emulator_value=EMULATOR_KEY,
            instance=instance,
            field="api_key",
            hint="set api_key: ${env:AKKIO_API_KEY} in the provider block and export AKKIO_API_KEY",
        )
        http = http_client(
            connection,
            options,
            service=f"Akkio ({instance})",
            headers={"X-API-Key": key},
            secrets=[key],
            auth_hint="check the api_key the provider block reads from the environment",
        )
        waiter = make_waiter(options)
        async with http:
            yield AkkioClient(http, base_url=connection.base_url, api_key=key, waiter=waiter)
