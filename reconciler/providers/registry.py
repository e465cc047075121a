"""Every platform the reconciler knows, and the spec registry built from them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.providers.akkio import Akkio
from reconciler.providers.alviss import Alviss
from reconciler.providers.base import ResourceType
from reconciler.providers.datrics import Datrics
from reconciler.providers.platform import Platform
from reconciler.providers.sony_epa import SonyEpa
from reconciler.spec.model import SpecRegistry

PLATFORMS: Mapping[str, Platform[Any, Any]] = {
    platform.name: platform for platform in (Alviss(), Akkio(), Datrics(), SonyEpa())
}


def resource_type(type_name: str) -> ResourceType[Any, Any, Any]:
    platform = PLATFORMS[type_name.split(".", 1)[0]]
    return platform.resource_types[type_name]


def spec_registry() -> SpecRegistry:
    return SpecRegistry(
        providers={name: platform.config_model for name, platform in PLATFORMS.items()},
        resources={
            type_name: rtype.config_model
            for platform in PLATFORMS.values()
            for type_name, rtype in platform.resource_types.items()
        },
    )
