"""Every platform the reconciler knows, one line each: the one list everything else reads.

The command line (``init --platform``, ``emulator serve``, completion), the
workflow (``emulator://NAME``), the spec registry (``providers/registry.py``),
the emulators' front door, the docs checks and the tests all take the platforms
from :data:`PLATFORMS`, so a new platform is one line here (with its provider
package, its emulator package, a docs page and an example spec).

A line names the platform and where its two halves live, as import paths
resolved only when asked for: the provider (what plans and applies) and the
emulator (what answers in the platform's place).  Providers and emulators
never import each other (``.importlinter``), and this module imports neither,
nor FastAPI: ``reconciler --version`` and ``--help`` stay as fast as before.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler import errors

__all__ = ["NAMES", "PLATFORMS", "Registered", "find"]


@dataclass(frozen=True)
class Registered:
    """A platform's name and where its two halves live (import paths below ``reconciler.``)."""

    #: The platform's name: its provider blocks' key, its types' prefix, ``emulator://NAME``.
    name: str
    #: ``module:attribute`` of the provider's platform; the module's package holds ``starter/``.
    provider: str
    #: The emulator's package, whose ``PLUGIN`` declares it.
    emulator: str

    @property
    def starter(self) -> Path:
        """What ``reconciler init`` writes: the provider package's ``starter/`` (``spec.yaml``, ``data/``)."""
        package = self.provider.partition(":")[0]
        return Path(__file__).parent.joinpath(*package.split("."), "starter")

    def load_provider(self) -> Any:
        """The provider's platform (its class or declaration), imported now."""
        module, _, attribute = self.provider.partition(":")
        return getattr(importlib.import_module(f"reconciler.{module}"), attribute)

    def load_emulator(self) -> Any:
        """The emulator package's ``PLUGIN`` (cheap: no FastAPI until an app is built), imported now."""
        return importlib.import_module(f"reconciler.{self.emulator}").PLUGIN


PLATFORMS: tuple[Registered, ...] = (
    Registered("alviss", provider="providers.alviss:Alviss", emulator="emulators.alviss"),
    Registered("akkio", provider="providers.akkio:Akkio", emulator="emulators.akkio"),
    Registered("sony_epa", provider="providers.sony_epa:SonyEpa", emulator="emulators.sony_epa"),
    Registered("datrics", provider="providers.datrics:Datrics", emulator="emulators.datrics"),
)
NAMES: tuple[str, ...] = tuple(platform.name for platform in PLATFORMS)


def find(name: str, *, what: str = "platform") -> Registered:
    """The platform named ``name``, or an error listing the known ones (``what``: how to call it)."""
    for platform in PLATFORMS:
        if platform.name == name:
            return platform
    raise errors.ReconcilerError(f"unknown {what} '{name}'", hint=f"known {what}s: {', '.join(NAMES)}")
