"""The local backend's checkpoint log: O(1) appends that a crash never loses, folded in on write."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler import errors
from reconciler.state.document import PendingOperation, ResourceState, StateDocument
from reconciler.state.local import LocalBackend


def record(job: int | None = None) -> ResourceState:
    pending = (
        None if job is None else PendingOperation(action="create", step="upload", fingerprint="f", job_id=job)
    )
    return ResourceState(type="alviss.upload", provider="alviss", status="pending", pending=pending)


@pytest.fixture
def stored(tmp_path: Path) -> tuple[LocalBackend, StateDocument]:
    backend = LocalBackend(tmp_path / "state.json")
    document = backend.write(StateDocument(resources={"alviss.upload.a": record()}))
    return backend, document


def test_appended_records_survive_a_crash(stored: tuple[LocalBackend, StateDocument], tmp_path: Path) -> None:
    backend, document = stored
    document.resources["alviss.upload.a"] = record(job=7)
    document.resources["alviss.upload.b"] = record(job=8)
    backend.append(document, ["alviss.upload.a", "alviss.upload.b"])
    # A new process (the old one was killed) reads the file and replays the checkpoint log.
    after = LocalBackend(tmp_path / "state.json").read()
    assert after.resources["alviss.upload.a"].pending is not None
    assert after.resources["alviss.upload.a"].pending.job_id == 7
    assert after.resources["alviss.upload.b"].pending is not None
    assert after.serial == document.serial and after.lineage == document.lineage
    # The state file itself still parses as the last whole document.
    assert json.loads((tmp_path / "state.json").read_text())["serial"] == document.serial


def test_removal_is_logged_too(stored: tuple[LocalBackend, StateDocument], tmp_path: Path) -> None:
    backend, document = stored
    del document.resources["alviss.upload.a"]
    backend.append(document, ["alviss.upload.a"])
    assert LocalBackend(tmp_path / "state.json").read().resources == {}


def test_a_line_cut_short_by_a_crash_is_skipped(
    stored: tuple[LocalBackend, StateDocument], tmp_path: Path
) -> None:
    backend, document = stored
    document.resources["alviss.upload.a"] = record(job=7)
    backend.append(document, ["alviss.upload.a"])
    log = tmp_path / "state.json.checkpoints"
    log.write_bytes(log.read_bytes() + b'{"lineage": "x", "serial": 1, "addr')
    after = LocalBackend(tmp_path / "state.json")
    assert after.read().resources["alviss.upload.a"].pending.job_id == 7  # type: ignore[union-attr]
    # Appending after the torn line still yields lines that parse.
    document.resources["alviss.upload.b"] = record(job=9)
    after.append(document, ["alviss.upload.b"])
    assert LocalBackend(tmp_path / "state.json").read().resources["alviss.upload.b"].pending.job_id == 9  # type: ignore[union-attr]


def test_write_folds_the_log_in_and_removes_it(
    stored: tuple[LocalBackend, StateDocument], tmp_path: Path
) -> None:
    backend, document = stored
    document.resources["alviss.upload.a"] = record(job=7)
    backend.append(document, ["alviss.upload.a"])
    written = backend.write(document)
    assert not (tmp_path / "state.json.checkpoints").exists()
    assert written.serial == document.serial + 1
    on_disk = json.loads((tmp_path / "state.json").read_text())
    assert on_disk["resources"]["alviss.upload.a"]["pending"]["job_id"] == 7


def test_lines_of_an_older_serial_are_not_replayed(
    stored: tuple[LocalBackend, StateDocument], tmp_path: Path
) -> None:
    backend, document = stored
    document.resources["alviss.upload.a"] = record(job=7)
    backend.append(document, ["alviss.upload.a"])
    stale = (tmp_path / "state.json.checkpoints").read_bytes()
    document.resources["alviss.upload.a"] = record(job=8)
    backend.write(document)
    # A crash between the rename and the log's removal leaves old lines behind.
    (tmp_path / "state.json.checkpoints").write_bytes(stale)
    assert LocalBackend(tmp_path / "state.json").read().resources["alviss.upload.a"].pending.job_id == 8  # type: ignore[union-attr]


def test_a_failed_append_leaves_an_emergency_copy(
    stored: tuple[LocalBackend, StateDocument], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend, document = stored
    monkeypatch.chdir(tmp_path)

    def no_space(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("os.fdatasync", no_space)
    document.resources["alviss.upload.a"] = record(job=7)
    with pytest.raises(errors.StateWriteFailed) as caught:
        backend.append(document, ["alviss.upload.a"])
    assert caught.value.emergency_path is not None
    saved = StateDocument.model_validate_json(Path(caught.value.emergency_path).read_text())
    assert saved.resources["alviss.upload.a"].pending is not None
    assert caught.value.hint


def test_a_log_an_earlier_version_left_is_replayed_and_removed(
    stored: tuple[LocalBackend, StateDocument], tmp_path: Path
) -> None:
    """Earlier versions named the log ``<state>.journal``: an apply they did not finish loses nothing."""
    backend, document = stored
    document.resources["alviss.upload.a"] = record(job=7)
    backend.append(document, ["alviss.upload.a"])
    (tmp_path / "state.json.checkpoints").rename(tmp_path / "state.json.journal")
    upgraded = LocalBackend(tmp_path / "state.json")
    assert upgraded.read().resources["alviss.upload.a"].pending.job_id == 7  # type: ignore[union-attr]
    # A checkpoint of this version goes to the current log, after the old one's lines.
    document.resources["alviss.upload.b"] = record(job=9)
    upgraded.append(document, ["alviss.upload.b"])
    replayed = LocalBackend(tmp_path / "state.json").read()
    assert {address: r.pending.job_id for address, r in replayed.resources.items() if r.pending} == {
        "alviss.upload.a": 7,
        "alviss.upload.b": 9,
    }
    upgraded.write(replayed)
    assert not (tmp_path / "state.json.journal").exists()
    assert not (tmp_path / "state.json.checkpoints").exists()
