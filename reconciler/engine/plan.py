"""The plan as data: what apply will do to each resource, and why.

A :class:`Plan` is made by a pure function of (spec, state, live facts) and is
the only thing apply accepts.  It holds no secrets and no clients, so it can be
rendered, compared and saved (``engine/saved.py``).

Each change embeds the resource type's :class:`Decision` (action,
:class:`Reason` code, reasons, values, fingerprint) and adds what a saved plan
and a drift check need: ``basis``, a digest of the live facts it was decided
from (a saved plan is refused when it moved), and ``cause``, why the resource
is out of step, derived from the reason code: the spec asks for something not
yet applied (``spec``), the live platform changed outside the tool
(``live``), or a job is still running (``running``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

from reconciler.providers.base import Candidate, Decision
from reconciler.state.document import ResourceState
from reconciler.vocabulary import Action, Cause, Reason

__all__ = ["Cause", "Change", "DataSourceRead", "Move", "Plan"]

T = TypeVar("T")


class _FromDecision(Generic[T]):
    """A change's attribute read through from its decision: the decision is the one source of truth."""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    def __get__(self, change: Any, owner: type | None = None) -> T:
        return cast(T, getattr(change.decision, self._name))


@dataclass(frozen=True)
class Change:
    """One resource's planned :class:`Decision`, where it sits in the plan, and why it is out of step.

    The decision is embedded whole: apply carries out exactly what was planned
    (and a saved plan stores it), so the change reads its action, reason,
    reasons and values from it rather than keeping copies.
    """

    address: str
    type: str
    provider: str
    decision: Decision
    caused_by: tuple[str, ...] = ()
    basis: str | None = None
    cause: Cause | None = None
    #: Several objects on the platform match this unrecorded resource: the plan stops and names them.
    candidates: tuple[Candidate, ...] = ()

    action = _FromDecision[Action]()
    reason = _FromDecision[Reason]()
    summary = _FromDecision[str]()
    reasons = _FromDecision[tuple[str, ...]]()
    before = _FromDecision[Mapping[str, Any]]()
    after = _FromDecision[Mapping[str, Any]]()
    fingerprint = _FromDecision[str | None]()
    refreshed = _FromDecision[ResourceState | None]()


@dataclass(frozen=True)
class Move:
    """A record a ``moved`` block moves: from its recorded address to its address in the spec."""

    source: str
    to: str


@dataclass(frozen=True)
class DataSourceRead:
    """One data source as the plan read it: what references to it use, and what the plan shows."""

    address: str
    type: str
    provider: str
    summary: str
    outputs: Mapping[str, Any] = field(default_factory=dict)


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
    #: Records the spec's ``moved`` blocks move (apply writes them; nothing is sent).
    moved: tuple[Move, ...] = ()
    #: The data sources read to make it, in spec order (nothing to do for them: they are not changes).
    data: tuple[DataSourceRead, ...] = ()

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
    def rejected(self) -> tuple[Change, ...]:
        """The jobs kept ``rejected`` by their quality gates (no-ops: nothing is sent for them)."""
        return tuple(
            change
            for change in self.changes
            if change.action is Action.NOOP and change.reason is Reason.REJECTED
        )

    @property
    def has_changes(self) -> bool:
        return bool(self.actionable) or bool(self.moved)

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
