"""A change's basis digests the live facts, minus what changes on every read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from reconciler.engine.planner import basis
from reconciler.vocabulary import VOLATILE


@dataclass(frozen=True)
class Facts:
    status: str
    read_at: datetime | None = field(default=None, metadata=VOLATILE)


def test_a_volatile_field_is_not_part_of_the_basis() -> None:
    now = datetime(2026, 1, 5, tzinfo=UTC)
    assert basis(Facts("running", now)) == basis(Facts("running", now + timedelta(seconds=3)))
    assert basis(Facts("running", now)) == basis(Facts("running"))


def test_every_other_field_is() -> None:
    assert basis(Facts("running")) != basis(Facts("done"))
