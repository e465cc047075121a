"""The plan as data: what apply will do to each resource, and why.

A :class:`Plan` is made by a pure function of (spec, state, live facts) and is
the only thing apply accepts.  It holds no secrets and no clients, so it can be
rendered, compared and saved (``engine/saved.py``).

Each change also carries what a saved plan and a drift check need: ``basis``,
a digest of the live facts it was decided from (a saved plan is refused when
it moved), and ``cause``, why the resource is out of step: the spec asks for
something not yet applied (``spec``), the live platform changed outside the
tool (``live``), or a job is still running (``running``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from reconciler.providers.base import Candidate
from reconciler.state.model import ResourceState
from reconciler.vocabulary import Action

Cause = Literal["spec", "live", "running"]


@dataclass(frozen=True)
class Change:
    """One resource's planned action with its reasons and before/after values."""

    address: str
    type: str
    provider: str
    action: Action
    summary: str = ""
    reasons: tuple[str, ...] = ()
    caused_by: tuple[str, ...] = ()
    before: Mapping[str, Any] = field(default_factory=dict)
    after: Mapping[str, Any] = field(default_factory=dict)
    fingerprint: str | None = None
    refreshed: ResourceState | None = None
    basis: str | None = None
    cause: Cause | None = None
    #: Several objects on the platform match this unrecorded resource: the plan stops and names them.
    candidates: tuple[Candidate, ...] = ()


@dataclass(frozen=True)
class Plan:
    """Every resource's change, in dependency order, and the state it was based on."""

    changes: tuple[Change, ...]
    lineage: str
    serial: int
    providers: Mapping[str, str] = field(default_factory=dict)
    #: The selection it was made with (``--target``, ``--replace``): a saved plan is checked against
    #: a fresh plan of the same selection.
    targets: tuple[str, ...] = ()
    replace: tuple[str, ...] = ()

    def __getitem__(self, address: str) -> Change:
        for change in self.changes:
            if change.address == address:
                return change
        raise KeyError(address)

    @property
    def actionable(self) -> tuple[Change, ...]:
        """The changes that do something (everything but no-ops)."""
        return tuple(change for change in self.changes if change.action is not Action.NOOP)

    @property
    def has_changes(self) -> bool:
        return bool(self.actionable)

    def counts(self) -> Counter[Action]:
        return Counter(change.action for change in self.actionable)

    def chain(self, address: str) -> list[Change]:
        """The changes leading to this one, root cause first, this change last."""
        steps: list[Change] = []
        seen: set[str] = set()
        current: Change | None = self[address]
        while current is not None and current.address not in seen:
            seen.add(current.address)
            steps.append(current)
            current = self[current.caused_by[0]] if current.caused_by else None
        steps.reverse()
        return steps
