"""The Datrics platform: configuration, resource types, and an open client per user.

Every request carries ``authorization: Bearer <JWT>``, the JWT signed here
from the configured secret (see ``access.py``).  Both the secret and the JWT
are handed to the HTTP client as secrets, so neither can reach a message or
a log line.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, ClassVar

from reconciler.providers.base import (
    ClientOptions,
    Connection,
    Platform,
    ResourceType,
    credential,
    http_client,
    make_waiter,
)
from reconciler.providers.datrics.access import access_token
from reconciler.providers.datrics.client import DatricsClient
from reconciler.providers.datrics.config import DatricsConfig
from reconciler.providers.datrics.predictions import Predictions

#: Secret used with an emulator when the spec gives none (the embedded emulator accepts any HS256 JWT).
EMULATOR_SECRET = "emulator-secret-accepted-only-by-the-emulator"
AUTH_HINT = "check the JWT secret (secret: ${env:DATRICS_SECRET}), user_id and email of the provider block"


class Datrics(Platform[DatricsConfig, DatricsClient]):
    """Datrics: predictions of deployed AutoModel models."""

    name = "datrics"
    config_model = DatricsConfig
    api_path = "/api/v1"
    resource_types: ClassVar[dict[str, ResourceType[Any, Any, Any]]] = {
        Predictions.name: Predictions(),
    }

    def describe(self, config: DatricsConfig) -> str:
        return f"{config.endpoint}, user {config.user_id}"

    @asynccontextmanager
    async def connect(
        self, instance: str, config: DatricsConfig, *, connection: Connection, options: ClientOptions
    ) -> AsyncIterator[DatricsClient]:
        secret = credential(
            config.secret,
            connection=connection,
            emulator_value=EMULATOR_SECRET,
            instance=instance,
            field="secret",
            hint="set secret: ${env:DATRICS_SECRET} in the provider block and export DATRICS_SECRET",
        )
        token = access_token(secret, user_id=config.user_id, email=config.email)
        http = http_client(
            connection,
            options,
            service=f"Datrics ({instance})",
            headers={"authorization": f"Bearer {token}"},
            secrets=[secret, token],
            auth_hint=AUTH_HINT,
        )
        waiter = make_waiter(options)
        async with http:
            yield DatricsClient(http, waiter=waiter, base_url=connection.base_url)
