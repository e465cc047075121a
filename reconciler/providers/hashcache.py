"""Hashing each data file once: its sha256 remembered by what the file system says about it.

A plan reads every data file the spec names, to tell whether it is the one
a recorded upload was made from; 2,000 files cost 2,000 whole reads on every
plan.  While :func:`hash_cache` is open (the workspace opens it around a
plan's reads), :func:`file_facts` answers from a cache file for a file whose
(path, size, mtime_ns, inode, device, ctime_ns) are those it had when it was
hashed, and hashes (and remembers) the others.  ``--rehash`` hashes every file
again and rewrites what the cache holds.

A file changed within the file system's timestamp granularity of being
hashed could keep its size and mtime: an entry is trusted only when the file
was last modified :data:`SETTLED_NS` before it was hashed (as version-control
tools treat "racily clean" files), so such a file is hashed again next time.
The cache is only a shortcut: a cache file that cannot be read is ignored,
one that cannot be written is left as it was, and an apply hashes a file
again before it sends it (:func:`reconciler.providers.files.hash_file`).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

from reconciler.providers.files import LocalFile, hash_file

log = logging.getLogger(__name__)

#: How long before its hashing a file must have been last modified for its entry to be trusted.
SETTLED_NS: Final = 2_000_000_000
#: The cache file's format; another version is ignored (and replaced).
VERSION: Final = 1
#: Entries kept at most (the least recently hashed go first).
MAX_ENTRIES: Final = 100_000


def _key(info: os.stat_result) -> list[int]:
    return [info.st_size, info.st_mtime_ns, info.st_ino, info.st_dev, info.st_ctime_ns]


class HashCache:
    """The remembered hashes of one workspace's data files (thread-safe: files are hashed in threads)."""

    def __init__(self, path: Path | None, *, rehash: bool = False) -> None:
        self.path = path
        self.rehash = rehash
        self._entries: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._changed = False
        if path is not None and not rehash:
            self._entries = _load(path)

    def known(self, path: Path, info: os.stat_result) -> LocalFile | None:
        """The file as hashed before, when it has not changed since; else None."""
        if self.rehash:
            return None
        entry = self._entries.get(str(path))
        if entry is None or entry.get("key") != _key(info):
            return None
        hashed_at = entry.get("at")
        sha256 = entry.get("sha256")
        if not isinstance(hashed_at, int) or not isinstance(sha256, str):
            return None
        if info.st_mtime_ns > hashed_at - SETTLED_NS:  # changed too close to its hashing to tell
            return None
        return LocalFile(path=str(path), size=info.st_size, sha256=sha256)

    def hash(self, path: Path) -> LocalFile:
        """Hash the file and remember it, when it did not change while it was read."""
        hashed_at = time.time_ns()
        before = os.stat(path)
        local = hash_file(path)
        after = os.stat(path)
        if _key(before) == _key(after) and local.size == after.st_size:
            with self._lock:
                self._entries.pop(str(path), None)  # the newest last: the oldest go first when full
                self._entries[str(path)] = {"key": _key(after), "at": hashed_at, "sha256": local.sha256}
                self._changed = True
        return local

    def save(self) -> None:
        """Write the cache file when anything was hashed (atomically; a failure only logs)."""
        if self.path is None or not self._changed:
            return
        with self._lock:
            entries = dict(list(self._entries.items())[-MAX_ENTRIES:])
        text = json.dumps({"version": VERSION, "files": entries}, separators=(",", ":"))
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_text(text)
            os.replace(temporary, self.path)
        except OSError as exc:
            log.debug("the hash cache %s was not written: %s", self.path, exc)
            with contextlib.suppress(OSError):
                temporary.unlink()


def _load(path: Path) -> dict[str, dict[str, Any]]:
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError, RecursionError):
        return {}
    if not isinstance(document, dict) or document.get("version") != VERSION:
        return {}
    files = document.get("files")
    if not isinstance(files, dict):
        return {}
    return {str(name): entry for name, entry in files.items() if isinstance(entry, dict)}


_CURRENT: contextvars.ContextVar[HashCache | None] = contextvars.ContextVar("hash_cache", default=None)


@contextlib.contextmanager
def hash_cache(path: Path | None, *, rehash: bool = False) -> Iterator[HashCache]:
    """Remember data files' hashes in ``path`` (None: for this run only) inside this block."""
    cache = HashCache(path, rehash=rehash)
    token = _CURRENT.set(cache)
    try:
        yield cache
    finally:
        _CURRENT.reset(token)
        cache.save()


def hashed(path: Path) -> LocalFile:
    """:func:`file_facts` for code already in a worker thread (the cache open in the caller's context)."""
    cache = _CURRENT.get()
    if cache is None:
        return hash_file(path)
    known = cache.known(path, os.stat(path))
    return known if known is not None else cache.hash(path)


async def file_facts(path: Path) -> LocalFile:
    """Size and sha256 of a data file: from the open cache when the file is unchanged, else read.

    Raises what reading the file raises (``FileNotFoundError``, ``OSError``).
    """
    cache = _CURRENT.get()
    if cache is None:
        return await asyncio.to_thread(hash_file, path)
    known = cache.known(path, os.stat(path))
    if known is not None:
        return known
    return await asyncio.to_thread(cache.hash, path)
