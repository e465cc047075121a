"""The Sony EPA platform: configuration, resource types, and an open client per model key."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, ClassVar

from pydantic import BaseModel

from reconciler import errors
from reconciler.http import HttpClient
from reconciler.providers.base import ClientOptions, Connection, Platform, ResourceType, make_waiter
from reconciler.providers.sony_epa.client import SonyEpaClient
from reconciler.providers.sony_epa.config import SonyEpaConfig
from reconciler.providers.sony_epa.retrain import Retrain

#: Key prefix sent to an emulator when the spec gives none: one key per instance, as one model per key.
EMULATOR_KEY = "emulator-"


class SonyEpa(Platform):
    """Sony Easy Predictive Analytics (Prediction One): retraining models behind their API keys."""

    name = "sony_epa"
    config_model = SonyEpaConfig
    api_path = "/v1/external"
    resource_types: ClassVar[dict[str, ResourceType[Any, Any, Any]]] = {Retrain.name: Retrain()}

    def endpoint(self, config: BaseModel) -> str:
        assert isinstance(config, SonyEpaConfig)
        return config.endpoint

    def connect(
        self, instance: str, config: BaseModel, *, connection: Connection, options: ClientOptions
    ) -> AbstractAsyncContextManager[SonyEpaClient]:
        assert isinstance(config, SonyEpaConfig)
        return self._connect(instance, config, connection=connection, options=options)

    @asynccontextmanager
    async def _connect(
        self, instance: str, config: SonyEpaConfig, *, connection: Connection, options: ClientOptions
    ) -> AsyncIterator[SonyEpaClient]:
        key_hint = (
            f"check the api_key of provider {instance} (for example ${{env:SONY_EPA_API_KEY}}): "
            "each model has its own API key"
        )
        if config.api_key is not None:
            key = config.api_key.get_secret_value()
        elif connection.emulated:
            key = EMULATOR_KEY + instance
        else:
            raise errors.ProviderError(f"provider {instance}: no api_key", hint=key_hint)
        extra: dict[str, Any] = {}
        if options.sleep is not None:
            extra["sleep"] = options.sleep
        if options.clock is not None:
            extra["clock"] = options.clock
        if options.random is not None:
            extra["random"] = options.random

        def uploader(size: int) -> HttpClient:
            # Storage behind a presigned URL: no API key, and a declared length (no chunked body).
            return HttpClient(
                base_url=connection.base_url,
                service=f"Sony EPA storage ({instance})",
                headers={"Content-Length": str(size)},
                secrets=[key],
                transport=connection.transport,
                auth_hint="the upload URL was refused (expired or altered); run apply again for a new one",
                timeout=300.0,
                **extra,
            )

        http = HttpClient(
            base_url=connection.base_url,
            service=f"Sony EPA ({instance})",
            headers={"x-api-key": key},
            secrets=[key],
            transport=connection.transport,
            auth_hint=key_hint,
            **extra,
        )
        waiter = make_waiter(options)
        async with http:
            yield SonyEpaClient(http, uploader=uploader, key_hint=key_hint, waiter=waiter)
