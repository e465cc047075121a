"""Fixtures for the state tests: ``case``/``backend`` run the contract suite against every backend."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from reconciler.state import StateBackend

from .support import CASES, BackendCase, Holder


@pytest.fixture(params=sorted(CASES))
def case(request: pytest.FixtureRequest, tmp_path: Path) -> BackendCase:
    return CASES[request.param](tmp_path)


@pytest.fixture
def backend(case: BackendCase) -> StateBackend:
    return case.make()


@pytest.fixture
def holders() -> Iterator[Callable[[str, str], Holder]]:
    """Start holder processes (``setup``, ``operation``); any still running are killed at teardown."""
    holders: list[Holder] = []

    def spawn(setup: str, operation: str) -> Holder:
        holder = Holder(setup, operation)
        holders.append(holder)
        return holder

    yield spawn
    for holder in holders:
        holder.stop()
