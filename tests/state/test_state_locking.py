"""The lock against a real second process: refused, waited for, freed by death, force-unlocked."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable

import pytest

from reconciler import errors
from reconciler.state import StateBackend

from .support import BackendCase, FakeClock, Holder

Spawn = Callable[[str, str], Holder]


def test_a_lock_held_by_another_process_is_refused_and_names_the_holder(
    case: BackendCase, backend: StateBackend, holders: Spawn
) -> None:
    holder = holders(case.child_setup, "apply")

    with pytest.raises(errors.StateLocked) as caught, backend.lock(operation="plan"):
        pytest.fail("the lock was taken twice")

    error = caught.value
    assert holder.info["pid"] != os.getpid()
    assert error.holder["pid"] == holder.info["pid"]
    assert error.holder["operation"] == "apply"
    text = str(error)
    assert f"pid {holder.info['pid']}" in text
    assert "'apply'" in text
    assert f"@{socket.gethostname()}" in text
    assert holder.info["created"] in text
    assert holder.info["id"] in error.message
    assert error.hint is not None
    assert f"reconciler force-unlock SPEC {holder.info['id']}" in error.hint


def test_a_waiter_gets_the_lock_once_the_holder_releases(case: BackendCase, holders: Spawn) -> None:
    holder = holders(case.child_setup, "apply")
    clock = FakeClock()
    # The first poll that finds the lock busy lets the holder go.
    clock.on_sleep = holder.release
    waiter = case.make(clock=clock, sleep=clock.sleep)

    with waiter.lock(operation="plan", timeout=30.0) as info:
        assert info.pid == os.getpid()

    assert len(clock.sleeps) == 1
    assert holder.process.returncode == 0


def test_a_killed_holder_frees_the_lock(case: BackendCase, backend: StateBackend, holders: Spawn) -> None:
    holder = holders(case.child_setup, "apply")
    with pytest.raises(errors.StateLocked), backend.lock(operation="plan"):
        pass

    holder.kill()

    with backend.lock(operation="plan") as info:
        assert info.pid == os.getpid()


def test_force_unlock_removes_a_dead_holders_lock(
    case: BackendCase, backend: StateBackend, holders: Spawn
) -> None:
    holder = holders(case.child_setup, "apply")
    with pytest.raises(errors.StateError, match=holder.info["id"]):
        backend.force_unlock("not-the-id")
    holder.kill()

    backend.force_unlock(holder.info["id"])

    with pytest.raises(errors.StateError, match="not locked"):
        backend.force_unlock(holder.info["id"])
    with backend.lock(operation="plan"):
        pass
