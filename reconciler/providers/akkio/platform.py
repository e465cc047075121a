"""The Akkio platform: configuration, resource types, and an open client per team key."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, ClassVar

from pydantic import BaseModel

from reconciler import errors
from reconciler.http import HttpClient
from reconciler.providers.akkio.client import AkkioClient
from reconciler.providers.akkio.config import AkkioConfig
from reconciler.providers.akkio.dataset import Dataset
from reconciler.providers.akkio.model import Model
from reconciler.providers.base import ClientOptions, Connection, Platform, ResourceType, make_waiter

#: Key sent to an emulator when the spec gives none (emulators accept any non-empty key).
EMULATOR_KEY = "emulator"


class Akkio(Platform):
    """Akkio: datasets and trained models."""

    name = "akkio"
    config_model = AkkioConfig
    api_path = "/api/v1"
    resource_types: ClassVar[dict[str, ResourceType[Any, Any, Any]]] = {
        Dataset.name: Dataset(),
        Model.name: Model(),
    }

    def endpoint(self, config: BaseModel) -> str:
        assert isinstance(config, AkkioConfig)
        return config.endpoint

    def connect(
        self, instance: str, config: BaseModel, *, connection: Connection, options: ClientOptions
    ) -> AbstractAsyncContextManager[AkkioClient]:
        assert isinstance(config, AkkioConfig)
        return self._connect(instance, config, connection=connection, options=options)

    @asynccontextmanager
    async def _connect(
        self, instance: str, config: AkkioConfig, *, connection: Connection, options: ClientOptions
    ) -> AsyncIterator[AkkioClient]:
        if config.api_key is not None:
            key = config.api_key.get_secret_value()
        elif connection.emulated:
            key = EMULATOR_KEY
        else:
            raise errors.ProviderError(
                f"provider {instance}: no api_key",
                hint="set api_key: ${env:AKKIO_API_KEY} in the provider block and export AKKIO_API_KEY",
            )
        extra: dict[str, Any] = {}
        if options.sleep is not None:
            extra["sleep"] = options.sleep
        if options.clock is not None:
            extra["clock"] = options.clock
        if options.random is not None:
            extra["random"] = options.random
        http = HttpClient(
            base_url=connection.base_url,
            service=f"Akkio ({instance})",
            headers={"X-API-Key": key},
            secrets=[key],
            transport=connection.transport,
            auth_hint="check the api_key the provider block reads from the environment",
            **extra,
        )
        waiter = make_waiter(options)
        async with http:
            yield AkkioClient(http, base_url=connection.base_url, api_key=key, waiter=waiter)
