"""The providers of every platform in :mod:`reconciler.platforms`, and the spec registry built from them.

Both are lazy: a platform's provider package is imported the first time one of
its providers or resource types is asked for (by the type's prefix, ``alviss.``),
so a plan of an Alviss-only spec never imports the other platforms.  Only what
needs every platform (iterating the values, the "did you mean …" hints, the
JSON Schema) imports them all.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol

from pydantic import BaseModel

from reconciler import platforms
from reconciler.providers.base import DataSourceType, ResourceType
from reconciler.providers.platform import Platform, RemoteKind
from reconciler.spec.document import SpecCheck, SpecRegistry

__all__ = ["PLATFORMS", "data_source", "remote_kind", "resource_type", "spec_registry"]


class _Platforms(Mapping[str, "Platform[Any, Any]"]):
    """Every platform's provider by name; a platform's package is imported when it is first looked up."""

    def __init__(self, registered: tuple[platforms.Registered, ...]) -> None:
        self._registered = {platform.name: platform for platform in registered}
        self._loaded: dict[str, Platform[Any, Any]] = {}
        self._lock = threading.Lock()

    def __getitem__(self, name: str) -> Platform[Any, Any]:
        loaded = self._loaded.get(name)
        if loaded is not None:
            return loaded
        registered = self._registered[name]  # KeyError for a platform nobody registered
        with self._lock:
            if name not in self._loaded:
                found = registered.load_provider()
                self._loaded[name] = found() if isinstance(found, type) else found
            return self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._registered)

    def __len__(self) -> int:
        return len(self._registered)

    def __contains__(self, name: object) -> bool:
        return name in self._registered


PLATFORMS: Mapping[str, Platform[Any, Any]] = _Platforms(platforms.PLATFORMS)


def resource_type(type_name: str) -> ResourceType[Any, Any, Any]:
    platform = PLATFORMS[type_name.split(".", 1)[0]]
    return platform.resource_types[type_name]


def data_source(type_name: str) -> DataSourceType[Any, Any]:
    platform = PLATFORMS[type_name.split(".", 1)[0]]
    return platform.data_sources[type_name]


def remote_kind(kind: str) -> RemoteKind[Any] | None:
    """How the platform reads an object of ``kind`` (``alviss.model``) named by id; None if it does not."""
    platform = kind.split(".", 1)[0]
    if platform not in PLATFORMS:
        return None
    return PLATFORMS[platform].remote_kinds.get(kind)


class _ProviderModels(Mapping[str, type[BaseModel]]):
    """Each platform's provider configuration model; the names alone import nothing."""

    def __getitem__(self, name: str) -> type[BaseModel]:
        model: type[BaseModel] = PLATFORMS[name].config_class
        return model

    def __iter__(self) -> Iterator[str]:
        return iter(PLATFORMS)

    def __len__(self) -> int:
        return len(PLATFORMS)

    def __contains__(self, name: object) -> bool:
        return name in PLATFORMS


class _Configured(Protocol):
    @property
    def config_class(self) -> type[BaseModel]: ...


class _TypeModels(Mapping[str, type[BaseModel]]):
    """The configuration model of each type ``kinds`` lists of a platform (its resource types, or its
    data source types): a lookup imports the type's platform only (its prefix).

    Listing the types (``in`` aside) imports every platform: only messages and the schema need that.
    """

    def __init__(self, kinds: Callable[[Platform[Any, Any]], Mapping[str, _Configured]]) -> None:
        self._types = kinds

    def __getitem__(self, type_name: str) -> type[BaseModel]:
        platform = type_name.split(".", 1)[0]
        if platform not in PLATFORMS:
            raise KeyError(type_name)
        model: type[BaseModel] = self._types(PLATFORMS[platform])[type_name].config_class
        return model

    def __iter__(self) -> Iterator[str]:
        for platform in PLATFORMS.values():
            yield from self._types(platform)

    def __len__(self) -> int:
        return sum(len(self._types(platform)) for platform in PLATFORMS.values())

    def __contains__(self, type_name: object) -> bool:
        if not isinstance(type_name, str):
            return False
        try:
            self[type_name]
        except KeyError:
            return False
        return True


class _SpecChecks(Mapping[str, SpecCheck]):
    """Each platform's check across a spec's resources; a lookup imports that platform only."""

    def __getitem__(self, name: str) -> SpecCheck:
        return PLATFORMS[name].spec_problems

    def __iter__(self) -> Iterator[str]:
        return iter(PLATFORMS)

    def __len__(self) -> int:
        return len(PLATFORMS)


def spec_registry() -> SpecRegistry:
    return SpecRegistry(
        providers=_ProviderModels(),
        resources=_TypeModels(lambda platform: platform.resource_types),
        data=_TypeModels(lambda platform: platform.data_sources),
        checks=_SpecChecks(),
    )
