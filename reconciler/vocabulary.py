"""The words plans are made of, shared by the engine and the providers.

Providers decide what a resource needs (an :class:`Action` and the reasons);
the engine orders, renders and executes those decisions.  Both sides need the
same vocabulary, so it lives here, below both.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final

#: Metadata key marking a facts field that changes on every read: ``field(default=None, metadata=VOLATILE)``.
#:
#: ``decide`` may use such a field, but it is kept out of a change's ``basis``:
#: otherwise no saved plan of that resource could ever be applied, since the
#: fresh read that checks the plan always sees a new value.  What the field
#: leads ``decide`` to conclude is still checked, through the action and
#: fingerprint of the change.  A field that says where something is rather
#: than what it is (the absolute path a data file was read from) is marked too:
#: a plan saved in one checkout then applies in another, or from a moved one.
VOLATILE: Final[Mapping[str, bool]] = MappingProxyType({"reconciler.volatile": True})


class Action(StrEnum):
    """What apply will do to one resource."""

    NOOP = "no-op"
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    RESUME = "resume"
    FORGET = "forget"
    #: Record an object found on the platform that the state has no record of (nothing is sent).
    ADOPT = "adopt"

    @property
    def symbol(self) -> str:
        return _SYMBOLS[self]

    @property
    def mutates(self) -> bool:
        """Whether the action sends anything to a platform."""
        return self in (Action.CREATE, Action.UPDATE, Action.REPLACE, Action.RESUME)


_SYMBOLS: Final = {
    Action.NOOP: " ",
    Action.CREATE: "+",
    Action.UPDATE: "~",
    Action.REPLACE: "-/+",
    Action.RESUME: ">",
    Action.FORGET: "x",
    Action.ADOPT: "<=",
}


class KnownAfterApply:
    """A value that only exists once an upstream job has run."""

    _instance: KnownAfterApply | None = None

    def __new__(cls) -> KnownAfterApply:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "(known after apply)"

    def __reduce__(self) -> tuple[Any, ...]:
        return (KnownAfterApply, ())


KNOWN_AFTER_APPLY: Final = KnownAfterApply()


def is_known(value: Any) -> bool:
    """True unless ``value`` is, or contains, a value known only after apply."""
    if value is KNOWN_AFTER_APPLY:
        return False
    if isinstance(value, dict):
        return all(is_known(item) for item in value.values())
    if isinstance(value, list | tuple | set | frozenset):
        return all(is_known(item) for item in value)
    return True
