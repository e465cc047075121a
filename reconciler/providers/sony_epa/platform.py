"""The Sony EPA platform: configuration, resource types, and an open client per model key."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, ClassVar

from reconciler.http import HttpClient
from reconciler.providers.base import (
    ClientOptions,
    Connection,
    Platform,
    ResourceType,
    credential,
    http_client,
    make_waiter,
)
from reconciler.providers.sony_epa.client import SonyEpaClient
from reconciler.providers.sony_epa.config import SonyEpaConfig
from reconciler.providers.sony_epa.retrain import Retrain

#: Key prefix sent to an emulator when the spec gives none: one key per instance, as one model per key.
EMULATOR_KEY = "emulator-"


class SonyEpa(Platform[SonyEpaConfig, SonyEpaClient]):
    """Sony Easy Predictive Analytics (Prediction One): retraining models behind their API keys."""

    name = "sony_epa"
    config_model = SonyEpaConfig
    api_path = "/v1/external"
    resource_types: ClassVar[dict[str, ResourceType[Any, Any, Any]]] = {Retrain.name: Retrain()}

    @asynccontextmanager
    async def connect(
        self, instance: str, config: SonyEpaConfig, *, connection: Connection, options: ClientOptions
    ) -> AsyncIterator[SonyEpaClient]:
        key_hint = (
            f"check the api_key of provider {instance} (for example ${{env:SONY_EPA_API_KEY}}): "
            "each model has its own API key"
        )
        key = credential(
            config.api_key,
            connection=connection,
            emulator_value=EMULATOR_KEY + instance,
            instance=instance,
            field="api_key",
            hint=key_hint,
        )

        def uploader(size: int) -> HttpClient:
            # Storage behind a presigned URL: no API key, and a declared length (no chunked body).
            return http_client(
                connection,
                options,
                service=f"Sony EPA storage ({instance})",
                headers={"Content-Length": str(size)},
                secrets=[key],
                auth_hint="the upload URL was refused (expired or altered); run apply again for a new one",
                timeout=300.0,
            )

        http = http_client(
            connection,
            options,
            service=f"Sony EPA ({instance})",
            headers={"x-api-key": key},
            secrets=[key],
            auth_hint=key_hint,
        )
        waiter = make_waiter(options)
        async with http:
            yield SonyEpaClient(
                http, uploader=uploader, key_hint=key_hint, waiter=waiter, base_url=connection.base_url
            )
