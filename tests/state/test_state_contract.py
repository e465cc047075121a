"""The contract every state backend keeps: documents, serials, lineage and in-process locking."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime

import pytest

from reconciler import errors
from reconciler.state import (
    FORMAT_VERSION,
    LockInfo,
    PendingOperation,
    ResourceState,
    StateBackend,
    StateDocument,
)

from .support import BackendCase, FakeClock


def _resource(n: int = 0) -> ResourceState:
    return ResourceState(
        type="alviss.upload",
        provider="alviss",
        fingerprint=f"sha256:{n:04d}",
        inputs={"dataset_name": "Sales", "file": f"data/w{n}.csv"},
        outputs={"id": 1000 + n},
        display={"status": "complete"},
    )


def _document_with(backend: StateBackend, *addresses: str) -> StateDocument:
    document = backend.read()
    for n, address in enumerate(addresses):
        document.resources[address] = _resource(n)
    return document


def test_backend_implements_the_protocol(backend: StateBackend) -> None:
    assert isinstance(backend, StateBackend)
    assert backend.describe()


def test_reading_an_empty_store_gives_a_fresh_document(backend: StateBackend) -> None:
    document = backend.read()

    assert document.serial == 0
    assert document.resources == {}
    assert document.format_version == FORMAT_VERSION
    uuid.UUID(document.lineage)


def test_round_trip_keeps_everything_and_the_order(case: BackendCase, backend: StateBackend) -> None:
    document = _document_with(backend, "alviss.upload.z", "alviss.upload.a", "alviss.upload.m")
    document.resources["alviss.refit.sweden"] = ResourceState(
        type="alviss.refit",
        provider="alviss.se",
        status="pending",
        pending=PendingOperation(
            action="create",
            step="refit",
            fingerprint="abc",
            submitted_at=datetime(2024, 11, 18, 9, 30, tzinfo=UTC),
            job_id=42,
            detail={"split": [0.75, 0.25]},
        ),
    )

    stored = backend.write(document)
    again = case.make().read()

    assert stored.serial == 1
    assert again == stored
    assert list(again.resources) == [
        "alviss.upload.z",
        "alviss.upload.a",
        "alviss.upload.m",
        "alviss.refit.sweden",
    ]


def test_serial_bumps_once_per_change(case: BackendCase, backend: StateBackend) -> None:
    document = _document_with(backend, "alviss.upload.a")

    first = backend.write(document)
    second = backend.write(first)
    third = backend.write(document)

    assert first.serial == 1
    assert second is first
    assert third is document
    assert case.make().read().serial == 1

    first.resources["alviss.upload.b"] = _resource(2)
    assert backend.write(first).serial == 2
    assert case.make().read().serial == 2


def test_unchanged_document_read_by_another_instance_is_not_written_again(
    case: BackendCase, backend: StateBackend
) -> None:
    backend.write(_document_with(backend, "alviss.upload.a"))
    other = case.make()

    assert other.write(other.read()).serial == 1
    assert case.make().read().serial == 1


def test_returned_document_is_a_copy(backend: StateBackend) -> None:
    stored = backend.write(_document_with(backend, "alviss.upload.a"))

    stored.resources["alviss.upload.b"] = _resource(2)

    assert backend.write(stored).serial == 2


def test_caller_may_keep_mutating_its_own_document(case: BackendCase, backend: StateBackend) -> None:
    # The executor checkpoints one document over and over without taking the returned copy.
    document = backend.read()
    for n in range(3):
        document.resources[f"alviss.upload.u{n}"] = _resource(n)
        backend.write(document)

    stored = case.make().read()
    assert stored.serial == 3
    assert list(stored.resources) == ["alviss.upload.u0", "alviss.upload.u1", "alviss.upload.u2"]


def test_lineage_is_fixed_and_a_foreign_lineage_refused(case: BackendCase, backend: StateBackend) -> None:
    first = backend.write(_document_with(backend, "alviss.upload.a"))
    first.resources["alviss.upload.b"] = _resource(1)
    second = backend.write(first)
    foreign = StateDocument(resources={"alviss.upload.x": _resource(9)})

    with pytest.raises(errors.StateError, match="lineage") as caught:
        backend.write(foreign)

    assert second.lineage == first.lineage
    assert foreign.lineage in caught.value.message
    stored = case.make().read()
    assert stored.lineage == first.lineage
    assert stored.serial == 2
    assert list(stored.resources) == ["alviss.upload.a", "alviss.upload.b"]


def test_a_document_older_than_the_store_is_refused(case: BackendCase, backend: StateBackend) -> None:
    backend.write(_document_with(backend, "alviss.upload.a"))
    mine, theirs = case.make(), case.make()
    my_document, their_document = mine.read(), theirs.read()
    their_document.resources["alviss.upload.theirs"] = _resource(1)
    theirs.write(their_document)
    my_document.resources["alviss.upload.mine"] = _resource(2)

    with pytest.raises(errors.StateError, match="another run"):
        mine.write(my_document)

    assert list(case.make().read().resources) == ["alviss.upload.a", "alviss.upload.theirs"]


def test_lock_gives_its_info(case: BackendCase) -> None:
    clock = FakeClock(now=0.0)
    backend = case.make(clock=clock, sleep=clock.sleep)

    with backend.lock(operation="apply") as info:
        assert isinstance(info, LockInfo)
        assert (info.operation, info.pid) == ("apply", os.getpid())
        assert info.created == "1970-01-01T00:00:00+00:00"
        uuid.UUID(info.id)


def test_lock_is_exclusive_between_instances(case: BackendCase, backend: StateBackend) -> None:
    other = case.make()

    with backend.lock(operation="apply") as info:
        with pytest.raises(errors.StateLocked) as caught, other.lock(operation="plan"):
            pytest.fail("two holders at once")
        assert caught.value.holder["id"] == info.id
        assert caught.value.holder["pid"] == os.getpid()

    with other.lock(operation="plan"):
        pass


def test_lock_is_released_when_the_body_raises(case: BackendCase, backend: StateBackend) -> None:
    with pytest.raises(RuntimeError, match="boom"), backend.lock(operation="apply"):
        raise RuntimeError("boom")

    with case.make().lock(operation="apply"), pytest.raises(errors.StateLocked), backend.lock(operation="x"):
        pass


def test_waiting_for_a_lock_gives_up_at_the_timeout(case: BackendCase, backend: StateBackend) -> None:
    clock = FakeClock()
    waiter = case.make(clock=clock, sleep=clock.sleep)

    with (
        backend.lock(operation="apply"),
        pytest.raises(errors.StateLocked),
        waiter.lock(operation="plan", timeout=2),
    ):
        pass

    assert len(clock.sleeps) > 1
    assert sum(clock.sleeps) == pytest.approx(2.0)


def test_force_unlock_needs_a_lock_and_the_right_id(backend: StateBackend) -> None:
    with pytest.raises(errors.StateError, match="not locked"):
        backend.force_unlock("no-such-lock")

    with backend.lock(operation="apply") as info, pytest.raises(errors.StateError, match=info.id):
        backend.force_unlock("wrong-id")
