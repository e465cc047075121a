"""The state lock: one writer at a time, and a clear answer to "who holds it?".

An apply can run for hours; two of them against the same state would submit
the same expensive jobs twice.  The lock is an OS-level ``flock`` on
``<state>.lock``, held through a file descriptor kept open for the lock's whole
life: when the holder exits, crashes or is killed, the kernel frees the lock,
so a dead run never blocks the next one.  The file also carries the holder's
:class:`LockInfo` as JSON so that a refused run can say who holds the lock and
``reconciler force-unlock SPEC LOCK_ID`` can name what it removes.

A released lock file is unlinked.  A waiter may have opened that same file
just before, so after winning ``flock`` it checks that the path still names
the inode it locked, and starts again otherwise: two processes can never hold
locks on two different files for the same path by accident (only through
``force_unlock``, which is the user's explicit choice, as in Terraform).
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import getpass
import json
import logging
import os
import shlex
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reconciler import errors

logger = logging.getLogger(__name__)

# Bounded so that a path replaced over and over under our feet cannot spin forever.
_INODE_RETRIES = 50


@dataclass(frozen=True)
class LockInfo:
    """Who holds a state lock, for what, and since when."""

    id: str
    operation: str
    who: str
    host: str
    pid: int
    created: str
    path: str

    @classmethod
    def create(cls, operation: str, *, path: str, clock: Callable[[], float]) -> LockInfo:
        """Describe a lock about to be taken by this process."""
        created = datetime.fromtimestamp(clock(), tz=UTC).isoformat(timespec="seconds")
        return cls(
            id=str(uuid.uuid4()),
            operation=operation,
            who=_current_user(),
            host=socket.gethostname(),
            pid=os.getpid(),
            created=created,
            path=path,
        )

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: object) -> LockInfo | None:
        """The lock info in ``data``, or None when it is not a complete, well-typed record."""
        if not isinstance(data, dict):
            return None
        try:
            info = cls(**{field.name: data[field.name] for field in dataclasses.fields(cls)})
        except (KeyError, TypeError):
            return None
        texts = ("id", "operation", "who", "host", "created", "path")
        if not isinstance(info.pid, int) or not all(isinstance(getattr(info, name), str) for name in texts):
            return None
        return info

    def describe(self) -> str:
        return f"{self.who}@{self.host} (pid {self.pid}, operation '{self.operation}', since {self.created})"


def locked_error(holder: LockInfo | None, *, what: str) -> errors.StateLocked:
    """The error for a lock held by someone else; shared by every backend so they all read alike."""
    if holder is None:
        return errors.StateLocked(
            f"{what} is locked by another process that has not recorded who it is yet",
            hint="try again in a moment, or pass a lock timeout to wait for it",
        )
    lock_id = holder.id
    return errors.StateLocked(
        f"{what} is locked by {holder.describe()}; lock id {lock_id}",
        holder=holder.to_dict(),
        hint_for=lambda spec: (
            "wait for that run to finish (or pass a lock timeout); if it is gone for good, "
            f"run `{unlock_command(spec, lock_id)}`"
        ),
    )


def wrong_lock_id(holder: LockInfo, *, given: str, what: str) -> errors.StateLocked:
    """The error for ``force-unlock`` given an id that is not the holder's."""
    lock_id = holder.id
    return errors.StateLocked(
        f"{what} is locked under id {lock_id} by {holder.describe()}, not {given}",
        holder=holder.to_dict(),
        hint_for=lambda spec: f"check the id; to remove this lock run `{unlock_command(spec, lock_id)}`",
    )


def unlock_command(spec: str, lock_id: str) -> str:
    """The command that removes lock ``lock_id`` of the workspace of ``spec`` (quoted for a shell)."""
    return f"reconciler force-unlock {spec} {shlex.quote(lock_id)}"


class FileLock:
    """An exclusive ``flock`` on one lock file, with the holder's info written inside."""

    def __init__(self, path: Path, *, what: str) -> None:
        self.path = path
        self._what = what

    def acquire(
        self,
        info: LockInfo,
        *,
        timeout: float,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
        poll_interval: float,
    ) -> int:
        """Take the lock (polling until ``timeout``) and return the descriptor that holds it."""
        deadline = clock() + timeout
        while True:
            fd = self._try_acquire()
            if fd is not None:
                try:
                    _write_info(fd, info)
                except OSError as exc:
                    self.release(fd)
                    raise errors.StateError(
                        f"cannot write lock file {self.path}: {_reason(exc)}; nothing was changed",
                        hint=errors.os_hint(exc) or f"check {self.path.parent} and its disk",
                    ) from exc
                return fd
            now = clock()
            if now >= deadline:
                raise locked_error(self.read_info(), what=self._what)
            sleep(min(poll_interval, deadline - now))

    def release(self, fd: int) -> None:
        """Remove the lock file if it is still ours, then close the descriptor (which frees the flock)."""
        try:
            if _same_file(fd, self.path):
                self.path.unlink()
        except OSError as exc:
            logger.warning("could not remove lock file %s: %s", self.path, _reason(exc))
        finally:
            os.close(fd)

    def read_info(self) -> LockInfo | None:
        """The holder recorded in the lock file, or None if there is no readable record."""
        try:
            raw = self.path.read_bytes()
        except OSError:
            return None
        try:
            return LockInfo.from_dict(json.loads(raw))
        except ValueError:
            return None

    def force_unlock(self, lock_id: str) -> None:
        """Remove the lock file recorded under ``lock_id``, even if its holder still runs."""
        try:
            fd = os.open(self.path, os.O_RDWR)
        except FileNotFoundError:
            raise errors.StateError(f"{self._what} is not locked; there is nothing to unlock") from None
        except OSError as exc:
            raise errors.StateError(f"cannot open lock file {self.path}: {_reason(exc)}") from exc
        try:
            holder = self.read_info()
            if holder is None:
                raise errors.StateError(
                    f"lock file {self.path} holds no readable lock record, so lock id {lock_id} "
                    "cannot be checked",
                    hint=f"if no reconciler run is using {self._what}, remove {self.path} by hand",
                )
            if holder.id != lock_id:
                raise wrong_lock_id(holder, given=lock_id, what=self._what)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                alive = False
            except BlockingIOError:
                alive = True
            if _same_file(fd, self.path):
                self.path.unlink()
        except OSError as exc:
            raise errors.StateError(f"cannot remove lock file {self.path}: {_reason(exc)}") from exc
        finally:
            os.close(fd)
        if alive:
            logger.warning(
                "removed lock %s on %s although %s still holds it; that run is no longer protected",
                lock_id,
                self._what,
                holder.describe(),
            )

    def _try_acquire(self) -> int | None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            for _ in range(_INODE_RETRIES):
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    return None
                except BaseException:
                    os.close(fd)
                    raise
                if _same_file(fd, self.path):
                    return fd
                # The holder released (unlinked) the file we opened: lock the new one instead.
                os.close(fd)
        except OSError as exc:
            raise errors.StateError(
                f"cannot take lock file {self.path}: {_reason(exc)}; nothing was changed",
                hint=(errors.os_hint(exc) or f"check {self.path.parent}")
                + " (plan, drift and show only read the state; writing it needs that directory writable)",
            ) from exc
        return None


def _write_info(fd: int, info: LockInfo) -> None:
    data = (json.dumps(info.to_dict(), indent=2) + "\n").encode()
    os.ftruncate(fd, 0)
    os.pwrite(fd, data, 0)


def _same_file(fd: int, path: Path) -> bool:
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (on_disk.st_dev, on_disk.st_ino) == (held.st_dev, held.st_ino)


def _current_user() -> str:
    with contextlib.suppress(KeyError, OSError):
        return getpass.getuser()
    return f"uid{os.getuid()}"


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)
