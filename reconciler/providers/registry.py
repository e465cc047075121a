"""The providers of every platform in :mod:`reconciler.platforms`, and the spec registry built from them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler import platforms
from reconciler.providers.base import ResourceType
from reconciler.providers.platform import Platform
from reconciler.spec.document import SpecRegistry


def _platform(registered: platforms.Registered) -> Platform[Any, Any]:
    found = registered.load_provider()
    platform: Platform[Any, Any] = found() if isinstance(found, type) else found
    return platform


PLATFORMS: Mapping[str, Platform[Any, Any]] = {
    registered.name: _platform(registered) for registered in platforms.PLATFORMS
}


def resource_type(type_name: str) -> ResourceType[Any, Any, Any]:
    platform = PLATFORMS[type_name.split(".", 1)[0]]
    return platform.resource_types[type_name]


def spec_registry() -> SpecRegistry:
    return SpecRegistry(
        providers={name: platform.config_class for name, platform in PLATFORMS.items()},
        resources={
            type_name: rtype.config_class
            for platform in PLATFORMS.values()
            for type_name, rtype in platform.resource_types.items()
        },
    )
