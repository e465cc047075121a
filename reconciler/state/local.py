"""The local state backend: one JSON file that survives crashes, full disks and a second run.

State is the only record of jobs that took hours to run, so the file must
never be half written: every write goes to a temporary file in the same
directory, is flushed and fsynced, then renamed over the old one
(``os.replace`` is atomic on POSIX) and the directory is fsynced so the rename
itself is durable.  The version being replaced is kept as ``<path>.backup``,
written the same way.  When writing fails anyway, the new document is saved
as an emergency copy so that no job id recorded since the last write is lost.

The backend remembers the bytes it last read or wrote: comparing content,
choosing the next serial and writing the backup need no second read of the
file, so a write costs one serialisation and one file write (the backup is a
hard link to the version being replaced) however often the executor
checkpoints.  A cheap ``stat`` tells whether another process
rewrote the file since; only then is it read again, and a document older
than what is now stored is refused instead of silently overwriting newer work.

Rewriting the whole file at every checkpoint would make an apply of n
resources cost O(n²), so checkpoints go to the checkpoint log
``<path>.checkpoints`` instead (:meth:`LocalBackend.append`): one small line
per changed resource, appended and fdatasynced.  Each line names the lineage
and serial of the document it applies to; ``read`` replays the lines that
match the file and the next ``write`` folds them in and removes the log.
Earlier versions called the log ``<path>.journal``; one left by a run they
did not finish is replayed (before the current log) and removed the same way,
so upgrading in the middle of an interrupted apply loses no job id.  A line cut short by a crash
belongs to a checkpoint that never returned, so it is skipped; lines of an
older serial were already folded in (the crash came between the rename and
the removal), so they are skipped too.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from reconciler import errors
from reconciler.state.document import (
    ResourceState,
    StateDocument,
    parse_document,
)
from reconciler.state.emergency import write_emergency
from reconciler.state.lock import FileLock, LockInfo

# What identifies one version of the file without reading it.
_Signature = tuple[int, int, int, int, int]


@dataclass(frozen=True)
class _Stored:
    """The document the file holds (as far as this backend knows) and its exact bytes."""

    document: StateDocument
    data: bytes


class LocalBackend:
    """State kept in a local JSON file, with a backup, atomic writes and a lock file."""

    def __init__(
        self,
        path: Path,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        poll_interval: float = 0.05,
    ) -> None:
        self.path = Path(path)
        self.backup_path = self.path.with_name(self.path.name + ".backup")
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.log_path = self.path.with_name(self.path.name + ".checkpoints")
        #: Where earlier versions kept the checkpoint log: still replayed and removed, never written.
        self.legacy_log_path = self.path.with_name(self.path.name + ".journal")
        self._log_fd: int | None = None
        self._clock = clock
        self._sleep = sleep
        self._poll_interval = poll_interval
        self._lock = FileLock(self.lock_path, what=self.describe())
        # False until the file has been read or written once by this backend.
        self._known = False
        self._stored: _Stored | None = None
        self._signature: _Signature | None = None

    def describe(self) -> str:
        return f"local state file {self.path}"

    def read(self) -> StateDocument:
        stored = self._load()
        replayed = self._replay(stored.document if stored is not None else None)
        if replayed is not None:
            return replayed
        if stored is None:
            return StateDocument()
        return stored.document.model_copy(deep=True)

    def append(self, document: StateDocument, addresses: Sequence[str]) -> None:
        head = f'{{"lineage":{json.dumps(document.lineage)},"serial":{document.serial},"address":'
        lines = []
        for address in addresses:
            record = document.resources.get(address)
            body = "null" if record is None else record.model_dump_json()
            lines.append(f'{head}{json.dumps(address)},"record":{body}}}\n')
        data = "".join(lines).encode()
        try:
            fd = self._log_fd if self._log_fd is not None else self._open_log()
            while data:
                data = data[os.write(fd, data) :]
            os.fdatasync(fd)
        except OSError as exc:
            self._close_log()
            dump = (document.model_dump_json(indent=2) + "\n").encode()
            raise self._write_failed(exc, document, dump) from exc

    def write(self, document: StateDocument) -> StateDocument:
        stored = self._current_for_write(document)
        if stored is not None:
            if document.content_equal(stored.document):
                self._drop_log()
                return document
            if document.lineage != stored.document.lineage:
                raise errors.StateError(
                    f"refusing to write a state of lineage {document.lineage} over {self.describe()}, "
                    f"which has lineage {stored.document.lineage}",
                    hint="the document belongs to another workspace; check the state path in the spec",
                )
        serial = (stored.document.serial if stored is not None else document.serial) + 1
        new = document.model_copy(update={"serial": serial}, deep=True)
        data = (new.model_dump_json(indent=2) + "\n").encode()
        try:
            signature = self._persist(data, previous=None if stored is None else stored.data)
        except OSError as exc:
            # The file may or may not have been replaced: look at it afresh next time.
            self._known = False
            raise self._write_failed(exc, new, data) from exc
        self._remember(_Stored(new, data), signature)
        self._drop_log()
        return new.model_copy(deep=True)

    @contextmanager
    def lock(self, *, operation: str, timeout: float = 0.0) -> Iterator[LockInfo]:
        self._refuse_read_only(operation)
        info = LockInfo.create(operation, path=str(self.path), clock=self._clock)
        fd = self._lock.acquire(
            info, timeout=timeout, clock=self._clock, sleep=self._sleep, poll_interval=self._poll_interval
        )
        try:
            yield info
        finally:
            self._lock.release(fd)

    def force_unlock(self, lock_id: str) -> None:
        self._lock.force_unlock(lock_id)

    def _refuse_read_only(self, operation: str) -> None:
        """A state file nobody may write (``chmod a-w``) is read-only on purpose: writers stop here.

        The atomic rename would replace it regardless of its mode, so the
        mode is honoured here, for every user (root included).
        """
        try:
            mode = os.stat(self.path).st_mode
        except OSError:
            return  # absent (a first apply) or unreadable (reading it says so)
        if mode & 0o222 == 0:
            raise errors.StateError(
                f"{self.describe()} is read-only (mode {mode & 0o777:04o}), so {operation} cannot record "
                "anything; nothing was changed",
                hint=f"to let it be written: chmod u+w {self.path} (plan, drift and show only read it)",
            )

    def _load(self) -> _Stored | None:
        try:
            with open(self.path, "rb") as fh:
                signature = _signature(os.fstat(fh.fileno()))
                data = fh.read()
        except FileNotFoundError:
            self._remember(None, None)
            return None
        except OSError as exc:
            raise errors.StateError(
                f"cannot read {self.describe()}: {exc.strerror or exc}",
                hint="check that the file and its directory are readable",
            ) from exc
        stored = _Stored(parse_document(data, corrupt=self._corrupt), data)
        self._remember(stored, signature)
        return stored

    def _replay(self, base: StateDocument | None) -> StateDocument | None:
        """``base`` with the checkpoint log's lines for it applied, or ``None`` if there is no log."""
        logs = [_read_if_there(path) for path in (self.legacy_log_path, self.log_path)]
        if logs == [None, None]:
            return None
        data = b"\n".join(log for log in logs if log is not None)
        lineage = base.lineage if base is not None else None
        serial = base.serial if base is not None else 0
        resources = dict(base.resources) if base is not None else {}
        for line in data.splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # cut short by a crash: that checkpoint never returned
            if not isinstance(entry, dict):
                continue
            lineage = lineage or entry.get("lineage")
            if entry.get("lineage") != lineage or entry.get("serial") != serial:
                continue
            address, record = entry.get("address"), entry.get("record")
            if not isinstance(address, str):
                continue
            if record is None:
                resources.pop(address, None)
                continue
            try:
                resources[address] = ResourceState.model_validate(record)
            except ValidationError as exc:
                raise self._corrupt(
                    f"has a checkpoint log line for {address} that does not parse ({exc})"
                ) from exc
        if lineage is None:
            return None
        if base is None:
            return StateDocument(lineage=lineage, serial=serial, resources=resources)
        return base.model_copy(update={"resources": resources}, deep=True)

    def _open_log(self) -> int:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        existed = self.log_path.exists()
        fd = os.open(self.log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        try:
            size = os.fstat(fd).st_size
            if size:
                with open(self.log_path, "rb") as fh:
                    fh.seek(size - 1)
                    if fh.read(1) != b"\n":
                        os.write(fd, b"\n")  # end a line a crash cut short, so the next one parses
            if not existed:
                _fsync_directory(self.path.parent)
        except BaseException:
            os.close(fd)
            raise
        self._log_fd = fd
        return fd

    def _close_log(self) -> None:
        if self._log_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._log_fd)
            self._log_fd = None

    def _drop_log(self) -> None:
        """Remove the checkpoint log (and an earlier version's) once the document holding it is stored."""
        self._close_log()
        removed = False
        for path in (self.legacy_log_path, self.log_path):
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise errors.StateError(f"cannot remove {path}: {exc.strerror or exc}") from exc
            removed = True
        if removed:
            _fsync_directory(self.path.parent)

    def _current_for_write(self, document: StateDocument) -> _Stored | None:
        """What the file holds now, read again only if someone else may have changed it."""
        try:
            current: _Signature | None = _signature(os.stat(self.path))
        except FileNotFoundError:
            current = None
        except OSError as exc:
            raise errors.StateError(f"cannot inspect {self.describe()}: {exc.strerror or exc}") from exc
        if self._known and current == self._signature:
            return self._stored
        changed_elsewhere = self._known
        stored = self._load()
        if changed_elsewhere and stored is not None and document.serial < stored.document.serial:
            raise errors.StateError(
                f"{self.describe()} was changed by another run since this document was read "
                f"(it is now at serial {stored.document.serial}, the document at serial {document.serial})",
                hint="read the state again, under the lock, and redo the change on top of it",
            )
        return stored

    def _corrupt(self, detail: str) -> errors.StateCorrupt:
        if self.backup_path.exists():
            hint = (
                f"the previous version is kept in {self.backup_path}: check it and copy it over "
                f"{self.path} to go back one write, or repair {self.path} by hand"
            )
        else:
            hint = (
                f"there is no {self.backup_path} to go back to: repair {self.path} by hand, or move it "
                "away to start from an empty state (the reconciler then forgets what it made)"
            )
        return errors.StateCorrupt(f"{self.describe()} {detail}", hint=hint)

    def _persist(self, data: bytes, *, previous: bytes | None) -> _Signature:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if previous is not None:
            _keep_backup(self.path, self.backup_path, previous)
        atomic_write(self.path, data)
        _fsync_directory(self.path.parent)
        return _signature(os.stat(self.path))

    def _write_failed(self, exc: OSError, document: StateDocument, data: bytes) -> errors.StateWriteFailed:
        reason = exc.strerror or str(exc)
        cause = errors.os_hint(exc) or "fix the cause (disk full? permissions?)"
        emergency = write_emergency(document, data)
        if emergency is None:
            return errors.StateWriteFailed(
                f"could not write {self.describe()} ({reason}), and no emergency copy could be saved",
                emergency_path=None,
                hint=f"{cause}; do that before running anything else on this state",
            )
        return errors.StateWriteFailed(
            f"could not write {self.describe()} ({reason}); the new state (serial {document.serial}) "
            f"was saved to {emergency}",
            emergency_path=str(emergency),
            hint=f"{cause}; then copy {emergency} to {self.path} (or run with that file as state)",
        )

    def _remember(self, stored: _Stored | None, signature: _Signature | None) -> None:
        self._known = True
        self._stored = stored
        self._signature = signature


def _signature(st: os.stat_result) -> _Signature:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a reader sees the old bytes or the new, never a mix.

    Temp file beside it, fsync, rename: a full disk or a crash leaves the old
    file (or none) and no half-written one.  Saved plans are written this way too.
    """
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
    # os.open rather than mkstemp: the file gets the usual 0o666 & ~umask mode, not 0o600.
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with open(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        raise


def _keep_backup(path: Path, backup: Path, previous: bytes) -> None:
    """Make ``backup`` the version about to be replaced.

    The file at ``path`` holds exactly ``previous`` (the caller checked its
    signature) and was fsynced when written, so a hard link renamed over the
    backup keeps it without copying or syncing its bytes again: a checkpoint
    then writes one file, not two.  Where links are not possible the bytes
    are written out instead.
    """
    link = backup.with_name(f".{backup.name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        os.link(path, link)
        os.replace(link, backup)
    except OSError:
        with contextlib.suppress(OSError):
            link.unlink(missing_ok=True)
        atomic_write(backup, previous)


def _read_if_there(path: Path) -> bytes | None:
    """The bytes of ``path``, or None when there is no such file."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise errors.StateError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
