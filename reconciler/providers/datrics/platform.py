"""The Datrics platform: configuration, resource types, and an open client per user.

Every request carries ``authorization: Bearer <JWT>``, the JWT signed here
from the configured secret (see ``access.py``).  Both the secret and the JWT
are handed to the HTTP client as secrets, so neither can reach a message or
a log line.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, ClassVar

from pydantic import BaseModel

from reconciler import errors
from reconciler.http import HttpClient
from reconciler.providers.base import ClientOptions, Connection, Platform, ResourceType, make_waiter
from reconciler.providers.datrics.access import access_token
from reconciler.providers.datrics.client import DatricsClient
from reconciler.providers.datrics.config import DatricsConfig
from reconciler.providers.datrics.predictions import Predictions

#: Secret used with an emulator when the spec gives none (the embedded emulator accepts any HS256 JWT).
EMULATOR_SECRET = "emulator-secret-accepted-only-by-the-emulator"
AUTH_HINT = "check the JWT secret (secret: ${env:DATRICS_SECRET}), user_id and email of the provider block"


class Datrics(Platform):
    """Datrics: predictions of deployed AutoModel models."""

    name = "datrics"
    config_model = DatricsConfig
    api_path = "/api/v1"
    resource_types: ClassVar[dict[str, ResourceType[Any, Any, Any]]] = {
        Predictions.name: Predictions(),
    }

    def endpoint(self, config: BaseModel) -> str:
        assert isinstance(config, DatricsConfig)
        return config.endpoint

    def describe(self, config: BaseModel) -> str:
        assert isinstance(config, DatricsConfig)
        return f"{config.endpoint}, user {config.user_id}"

    def connect(
        self, instance: str, config: BaseModel, *, connection: Connection, options: ClientOptions
    ) -> AbstractAsyncContextManager[DatricsClient]:
        assert isinstance(config, DatricsConfig)
        return self._connect(instance, config, connection=connection, options=options)

    @asynccontextmanager
    async def _connect(
        self, instance: str, config: DatricsConfig, *, connection: Connection, options: ClientOptions
    ) -> AsyncIterator[DatricsClient]:
        if config.secret is not None:
            secret = config.secret.get_secret_value()
        elif connection.emulated:
            secret = EMULATOR_SECRET
        else:
            raise errors.ProviderError(
                f"provider {instance}: no secret",
                hint="set secret: ${env:DATRICS_SECRET} in the provider block and export DATRICS_SECRET",
            )
        token = access_token(secret, user_id=config.user_id, email=config.email)
        extra: dict[str, Any] = {}
        if options.sleep is not None:
            extra["sleep"] = options.sleep
        if options.clock is not None:
            extra["clock"] = options.clock
        if options.random is not None:
            extra["random"] = options.random
        http = HttpClient(
            base_url=connection.base_url,
            service=f"Datrics ({instance})",
            headers={"authorization": f"Bearer {token}"},
            secrets=[secret, token],
            transport=connection.transport,
            auth_hint=AUTH_HINT,
            **extra,
        )
        waiter = make_waiter(options)
        async with http:
            yield DatricsClient(http, waiter=waiter)
