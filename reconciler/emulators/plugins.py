"""What a platform's emulator declares, cheaply: its job kinds, where its app is, what its world holds.

Every emulator is a plugin on one base (``base.py``: the store, statistics,
request and fault counts, the fault injector, the job clock and the
variants).  Its package's ``__init__`` holds a :class:`Plugin`, which imports
neither FastAPI nor the emulator itself, so the command line can list job
kinds and check ``--durations`` without building an app; ``emulator`` names
the module whose ``EMULATOR`` (a :class:`~reconciler.emulators.base.Emulator`:
routes, store tables, world and authentication) is imported only when an app
is created.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reconciler.emulators.base import Emulator


@dataclass(frozen=True)
class Plugin:
    """One platform's emulator: its job kinds with their default seconds, and where its app is."""

    name: str
    #: Seconds each kind of job takes by default; short enough for demos, long enough to see a job run.
    durations: Mapping[str, float]
    #: The module holding the emulator's ``EMULATOR``, imported when an app is created.
    emulator: str
    #: The provider block's fields the seeded world answers to (``emulator serve`` prints them).
    seeded: Mapping[str, object] = field(default_factory=dict)

    @property
    def job_kinds(self) -> tuple[str, ...]:
        return tuple(self.durations)

    def load(self) -> Emulator[Any]:
        """The emulator itself (imports FastAPI and the emulator's modules)."""
        found: Emulator[Any] = importlib.import_module(self.emulator).EMULATOR
        return found
