"""A platform, declared: its configuration, credential, kinds of job and resource types.

Connecting is the same for every platform, so it is written once here:
the credential the provider block names (or an emulator's stand-in, see
:class:`~reconciler.providers.base.Auth`), signed where the platform wants a
signed token, goes into the one header the platform reads; the shared
retrying :class:`~reconciler.http.HttpClient` is built on the run's time and
randomness with every secret masked; the :class:`~reconciler.wait.Waiter`
carries the run's polling pace, ``--detach`` and the stop signal.  A platform
adds only what is its own: how its client is made from those (:meth:`Platform.client`)
and, where the plain ``Title (instance)`` does not say enough, how it names itself.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar
from urllib.parse import urlsplit

from reconciler.errors import SpecError
from reconciler.http import HttpClient
from reconciler.providers.base import (
    Auth,
    ClientOptions,
    Connection,
    DataSourceType,
    ProviderConfig,
    ResourceType,
)
from reconciler.providers.waiting import JobKind
from reconciler.redact import remember
from reconciler.spec.document import ProviderSpec, ResourceSpec
from reconciler.wait import Waiter

__all__ = ["Platform", "RemoteKind", "Session", "by_name", "data_by_name", "remote_kinds"]

ProviderConfigT = TypeVar("ProviderConfigT", bound=ProviderConfig)
ClientT = TypeVar("ClientT")


@dataclass(frozen=True)
class Session:
    """What connecting one provider instance made, for the platform's client."""

    instance: str
    connection: Connection
    options: ClientOptions
    http: HttpClient
    waiter: Waiter
    #: The credential as given (or the emulator's stand-in), for platforms that also send it elsewhere.
    secret: str
    #: The hint of an answer refusing the credential, when the platform declares one.
    refused: str | None
    #: Every value the HTTP clients mask (the secret and, when signed, what was signed from it).
    secrets: tuple[str, ...]
    #: The platform's name (``alviss``), which its HTTP clients' faults are counted under.
    platform: str = ""

    @property
    def base_url(self) -> str:
        return self.connection.base_url

    def http_client(self, *, service: str, headers: Mapping[str, str], **extra: Any) -> HttpClient:
        """Another HTTP client on the same connection, time and masked secrets (e.g. for storage)."""
        return http_client(
            self.connection,
            self.options,
            service=service,
            headers=headers,
            secrets=self.secrets,
            platform=self.platform,
            **extra,
        )


def http_client(
    connection: Connection,
    options: ClientOptions,
    *,
    service: str,
    headers: Mapping[str, str],
    secrets: tuple[str, ...],
    platform: str = "",
    **extra: Any,
) -> HttpClient:
    """The shared retrying HTTP client for one provider instance, on the run's time and randomness."""
    timing: dict[str, Any] = {}
    if options.on_fault is not None:
        timing["on_fault"] = functools.partial(options.on_fault, platform)
    if options.sleep is not None:
        timing["sleep"] = options.sleep
    if options.clock is not None:
        timing["clock"] = options.clock
    if options.random is not None:
        timing["random"] = options.random
    if options.max_answer_bytes is not None:
        timing["max_answer_bytes"] = options.max_answer_bytes
    client = HttpClient(
        base_url=connection.base_url,
        service=service,
        headers=headers,
        secrets=list(secrets),
        transport=connection.transport,
        **timing,
        **extra,
    )
    if not connection.emulated:  # an emulator's stand-in credentials are ordinary words, not secrets
        remember(*client.redact.secrets)  # for the command line's last words (errors, crash reports)
    return client


def by_name(*types: ResourceType[Any, Any, Any]) -> Mapping[str, ResourceType[Any, Any, Any]]:
    """A platform's resource types by name (``alviss.upload``)."""
    return {rtype.name: rtype for rtype in types}


def data_by_name(*types: DataSourceType[Any, Any]) -> Mapping[str, DataSourceType[Any, Any]]:
    """A platform's data source types by name (``alviss.model`` for ``data.alviss.model.NAME``)."""
    return {dtype.name: dtype for dtype in types}


@dataclass(frozen=True)
class RemoteKind(Generic[ClientT]):
    """A kind of object a spec may name by a literal id (``model: 3``), and how ``plan`` reads one.

    The config field holding such an id is marked ``RemoteId(name)``
    (:mod:`reconciler.spec.refs`).  ``read`` answers the object as the platform
    shows it, or None when the platform says there is no such object; any
    other failure is raised as it is.  ``noun`` names it in messages
    (``model 99 does not exist``).
    """

    name: str
    noun: str
    read: Callable[[ClientT, Any], Awaitable[Any | None]]


def remote_kinds(*kinds: RemoteKind[Any]) -> Mapping[str, RemoteKind[Any]]:
    """A platform's kinds of remotely named object by name (``alviss.model``)."""
    return {kind.name: kind for kind in kinds}


class Platform(ABC, Generic[ProviderConfigT, ClientT]):
    """A platform: what its provider blocks hold, how it is reached, its jobs and its resource types."""

    #: How messages name it (``Sony EPA (sony_epa.churn)``).
    title: ClassVar[str]
    #: What a provider block holds; its ``auth`` says how the credential is given and sent.
    config_class: ClassVar[type[ProviderConfig]]
    #: The kinds of job its resource types wait for (poll schedule, status words, deadline).
    jobs: ClassVar[tuple[JobKind[Any], ...]]
    resource_types: ClassVar[Mapping[str, ResourceType[Any, Any, Any]]]
    #: Its read-only lookups (``data:`` entries), by type name, read by ``plan`` first.
    data_sources: ClassVar[Mapping[str, DataSourceType[Any, Any]]] = {}
    #: The kinds of object its resource types may name by a literal id, checked by ``plan`` first.
    remote_kinds: ClassVar[Mapping[str, RemoteKind[Any]]] = {}

    @property
    def name(self) -> str:
        """The platform's name in specs (``alviss.upload``, ``emulator://alviss``): its configuration's."""
        return self.config_class.emulator

    @property
    def api_path(self) -> str:
        """Where the API lives under the host (an in-process emulator is served there too): the path of
        the configuration's default endpoint, the vendor's own."""
        return urlsplit(str(self.config_class.model_fields["endpoint"].default)).path

    @property
    def auth(self) -> Auth:
        auth = self.config_class.auth
        if auth is None:
            raise TypeError(f"{self.config_class.__name__} declares no auth")
        return auth

    def spec_problems(
        self, resources: Mapping[str, ResourceSpec], providers: Mapping[str, ProviderSpec]
    ) -> list[SpecError]:
        """What it finds wrong across a spec's resources (every one, by address), located; asked by
        ``validate`` and ``plan`` of a spec that uses the platform, with the spec's provider instances
        (by name).  The default finds nothing."""
        return []

    def endpoint(self, config: ProviderConfigT) -> str:
        """The endpoint the configuration names (``https://…`` or ``emulator://name``)."""
        return config.endpoint

    def describe(self, config: ProviderConfigT) -> str:
        """A short human description of an instance (no secrets)."""
        return self.endpoint(config)

    def service(self, instance: str, config: ProviderConfigT) -> str:
        """How messages about this instance's requests name it."""
        return f"{self.title} ({instance})"

    @abstractmethod
    def client(self, config: ProviderConfigT, session: Session) -> ClientT:
        """The platform's client over what connecting made."""

    @asynccontextmanager
    async def connect(
        self, instance: str, config: ProviderConfigT, *, connection: Connection, options: ClientOptions
    ) -> AsyncIterator[ClientT]:
        """An open client for one provider instance: credential, HTTP client, waiter, client."""
        auth = self.auth
        secret = auth.secret(config, instance=instance, emulated=connection.emulated)
        sent = secret if auth.sign is None else auth.sign(secret, config)
        refused = None if auth.refused is None else auth.refused.format(instance=instance)
        secrets = (secret,) if sent == secret else (secret, sent)
        http = http_client(
            connection,
            options,
            service=self.service(instance, config),
            headers={auth.header: auth.format.format(sent)},
            secrets=secrets,
            platform=self.name,
            **({} if refused is None else {"auth_hint": refused}),
        )
        session = Session(
            instance, connection, options, http, options.waiter(), secret, refused, secrets, self.name
        )
        async with http:
            yield self.client(config, session)
