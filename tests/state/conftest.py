"""Fixtures for the state tests: ``case``/``backend`` run the contract suite against every backend."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from reconciler.state import StateBackend

from .pg_cluster import ClusterUnavailable, PgCluster, start_cluster
from .support import CASES, BackendCase, Holder


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """A throwaway PostgreSQL cluster for the whole session; skipped without binaries, except in CI."""
    try:
        cluster = start_cluster()
    except ClusterUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"the PostgreSQL backend tests must run in CI: {exc}", pytrace=False)
        pytest.skip(str(exc))
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(params=sorted(CASES))
def case(request: pytest.FixtureRequest, tmp_path: Path) -> BackendCase:
    return CASES[request.param](tmp_path, request.getfixturevalue)


@pytest.fixture
def backend(case: BackendCase) -> Iterator[StateBackend]:
    backend = case.make()
    yield backend
    close = getattr(backend, "close", None)
    if close is not None:
        close()


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
