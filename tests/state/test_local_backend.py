"""What only the local file backend promises: the file's shape, its backup, atomic writes, the lock file."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler import errors
from reconciler.state import LocalBackend, ResourceState, StateDocument

from .support import Holder, local_setup

Spawn = Callable[[str, str], Holder]


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "deep" / "state" / "demo.json"


@pytest.fixture
def backend(path: Path) -> LocalBackend:
    return LocalBackend(path)


@pytest.fixture(autouse=True)
def cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Emergency copies land in the working directory: keep them inside the test's own directory."""
    directory = tmp_path / "cwd"
    directory.mkdir()
    monkeypatch.chdir(directory)
    return directory


def _add(document: StateDocument, address: str) -> StateDocument:
    document.resources[address] = ResourceState(type="alviss.upload", provider="alviss", outputs={"id": 7})
    return document


def _fail_replace_onto(target: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_replace = os.replace

    def replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        if Path(dst) == target:
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)


def test_describe_names_the_file() -> None:
    assert LocalBackend(Path("state/demo.json")).describe() == "local state file state/demo.json"


def test_the_file_is_readable_json_in_write_order(backend: LocalBackend, path: Path) -> None:
    document = _add(_add(backend.read(), "alviss.upload.z"), "alviss.upload.a")

    backend.write(document)

    text = path.read_text()
    assert text.endswith("}\n")
    assert text.startswith('{\n  "format_version": 1,\n')
    assert list(json.loads(text)["resources"]) == ["alviss.upload.z", "alviss.upload.a"]
    assert not list(path.parent.glob("*.tmp"))


def test_reading_creates_nothing(backend: LocalBackend, path: Path) -> None:
    backend.read()

    assert not path.parent.exists()


def test_the_backup_holds_the_previous_version(backend: LocalBackend, path: Path) -> None:
    backup = path.with_name("demo.json.backup")
    first = backend.write(_add(backend.read(), "alviss.upload.a"))
    assert not backup.exists()
    first_bytes = path.read_bytes()

    second = backend.write(_add(first, "alviss.upload.b"))
    assert backup.read_bytes() == first_bytes
    second_bytes = path.read_bytes()

    backend.write(_add(second, "alviss.upload.c"))
    assert backup.read_bytes() == second_bytes


def test_an_unchanged_write_touches_no_file(backend: LocalBackend, path: Path) -> None:
    stored = backend.write(_add(backend.read(), "alviss.upload.a"))
    backend.write(_add(stored, "alviss.upload.b"))
    before = os.stat(path)
    backup_before = os.stat(path.with_name("demo.json.backup"))

    LocalBackend(path).write(LocalBackend(path).read())
    backend.write(backend.read())

    after = os.stat(path)
    backup_after = os.stat(path.with_name("demo.json.backup"))
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert (backup_after.st_ino, backup_after.st_mtime_ns) == (
        backup_before.st_ino,
        backup_before.st_mtime_ns,
    )


def test_a_failed_replace_keeps_the_old_file_and_saves_an_emergency_copy(
    backend: LocalBackend, path: Path, cwd: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = backend.write(_add(backend.read(), "alviss.upload.a"))
    old_bytes = path.read_bytes()
    _fail_replace_onto(path, monkeypatch)

    with pytest.raises(errors.StateWriteFailed) as caught:
        backend.write(_add(stored, "alviss.upload.b"))

    error = caught.value
    emergency = cwd / f"reconciler-emergency-{stored.lineage}-2.json"
    assert error.emergency_path == str(emergency)
    assert path.read_bytes() == old_bytes
    saved = StateDocument.model_validate_json(emergency.read_bytes())
    assert (saved.serial, list(saved.resources)) == (2, ["alviss.upload.a", "alviss.upload.b"])
    assert "No space left on device" in error.message
    assert str(path) in error.message
    assert error.hint == (
        f"the disk is full: free some space there, then run again; then copy {emergency} to {path} "
        "(or run with that file as state)"
    )
    assert not list(path.parent.glob("*.tmp"))

    monkeypatch.undo()
    monkeypatch.chdir(cwd)
    assert backend.write(_add(stored, "alviss.upload.b")).serial == 2
    assert LocalBackend(path).read().serial == 2


def test_a_failed_backup_leaves_everything_in_place(
    backend: LocalBackend, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = backend.write(_add(backend.read(), "alviss.upload.a"))
    second = backend.write(_add(first, "alviss.upload.b"))
    backup = path.with_name("demo.json.backup")
    old_bytes, old_backup = path.read_bytes(), backup.read_bytes()
    _fail_replace_onto(backup, monkeypatch)

    with pytest.raises(errors.StateWriteFailed):
        backend.write(_add(second, "alviss.upload.c"))

    assert (path.read_bytes(), backup.read_bytes()) == (old_bytes, old_backup)


def test_the_emergency_copy_falls_back_to_the_temp_directory(
    backend: LocalBackend, path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = backend.write(_add(backend.read(), "alviss.upload.a"))
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cwd").rename(tmp_path / "gone")  # a working directory that no longer exists
    monkeypatch.setattr(Path, "cwd", classmethod(lambda cls: tmp_path / "cwd"))
    _fail_replace_onto(path, monkeypatch)

    with pytest.raises(errors.StateWriteFailed) as caught:
        backend.write(_add(stored, "alviss.upload.b"))

    emergency = temp / f"reconciler-emergency-{stored.lineage}-2.json"
    assert caught.value.emergency_path == str(emergency)
    assert emergency.exists()


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        (b'{\n  "format_version": 1,\n  "lin', "not valid JSON"),
        (b"", "not valid JSON"),
        (b"[1, 2]", "JSON object"),
        (b'{"format_version": 2, "lineage": "x", "serial": 1, "resources": {}}', "format_version 2"),
        (b'{"lineage": "x", "serial": 1, "resources": {}}', "format_version None"),
        (b'{"format_version": 1, "lineage": "x", "serial": "one", "resources": {}}', "serial"),
        (b'{"format_version": 1, "lineage": "x", "serial": 1, "resources": {}, "extra": 1}', "extra"),
    ],
)
def test_a_corrupt_file_is_reported_with_its_path(
    backend: LocalBackend, path: Path, content: bytes, detail: str
) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(content)

    with pytest.raises(errors.StateCorrupt) as caught:
        backend.read()

    assert str(path) in caught.value.message
    assert detail in caught.value.message
    assert caught.value.hint is not None
    assert f"no {path}.backup" in caught.value.hint


def test_a_corrupt_file_points_at_its_backup_and_is_not_overwritten(
    backend: LocalBackend, path: Path
) -> None:
    stored = backend.write(_add(backend.read(), "alviss.upload.a"))
    backend.write(_add(stored, "alviss.upload.b"))
    path.write_bytes(b"garbage")

    with pytest.raises(errors.StateCorrupt) as caught:
        LocalBackend(path).read()
    assert caught.value.hint is not None
    assert f"kept in {path}.backup" in caught.value.hint

    with pytest.raises(errors.StateCorrupt):
        backend.write(_add(stored, "alviss.upload.c"))
    assert path.read_bytes() == b"garbage"


def test_the_lock_file_holds_the_lock_info_and_goes_away(backend: LocalBackend, path: Path) -> None:
    lock_file = path.with_name("demo.json.lock")

    with backend.lock(operation="apply") as info:
        assert json.loads(lock_file.read_text()) == info.to_dict()
        assert info.path == str(path)

    assert not lock_file.exists()


def test_a_lock_file_left_behind_does_not_block(backend: LocalBackend, path: Path) -> None:
    path.parent.mkdir(parents=True)
    lock_file = path.with_name("demo.json.lock")
    lock_file.write_text('{"id": "stale", "operation": "apply", "who": "x", "host": "h", "pid": 1}')

    with backend.lock(operation="plan") as info:
        assert json.loads(lock_file.read_text())["id"] == info.id


def test_force_unlock_of_a_live_holder_removes_the_file_and_says_so(
    backend: LocalBackend, path: Path, holders: Spawn, caplog: pytest.LogCaptureFixture
) -> None:
    holder = holders(local_setup(path), "apply")
    lock_file = path.with_name("demo.json.lock")

    with caplog.at_level(logging.WARNING, logger="reconciler.state.lock"):
        backend.force_unlock(holder.info["id"])

    assert not lock_file.exists()
    assert "still holds it" in caplog.text
    assert f"pid {holder.info['pid']}" in caplog.text
    with backend.lock(operation="plan") as info:
        holder.release()
        # The old holder must not remove the lock file that now belongs to someone else.
        assert json.loads(lock_file.read_text())["id"] == info.id


def test_force_unlock_of_a_dead_holder_says_nothing(
    backend: LocalBackend, path: Path, holders: Spawn, caplog: pytest.LogCaptureFixture
) -> None:
    holder = holders(local_setup(path), "apply")
    holder.kill()
    assert path.with_name("demo.json.lock").exists()

    with caplog.at_level(logging.WARNING, logger="reconciler.state.lock"):
        backend.force_unlock(holder.info["id"])

    assert caplog.text == ""
    assert not path.with_name("demo.json.lock").exists()


def test_force_unlock_refuses_an_unreadable_lock_file(backend: LocalBackend, path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.with_name("demo.json.lock").write_text("")

    with pytest.raises(errors.StateError, match="no readable lock record"):
        backend.force_unlock("anything")
