"""Local data files as a plan sees them: what they are (size, sha256), not where they are.

Every platform uploads files named in the spec; whether the file is the one a
recorded object was made from is its content hash, read in chunks so memory
stays flat however large the file.  The path is marked volatile: a plan saved
in one checkout applies in another.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from reconciler.vocabulary import VOLATILE

#: How much of a file is read at a time.
CHUNK: Final = 1 << 20


@dataclass(frozen=True)
class LocalFile:
    """A data file as found on disk."""

    path: str = field(metadata=VOLATILE)  # where, not what: out of a saved plan's basis
    size: int
    sha256: str


def hash_file(path: Path) -> LocalFile:
    """Size and sha256 of a file, read in chunks so memory stays flat."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return LocalFile(path=str(path), size=size, sha256=digest.hexdigest())


def human_size(size: int) -> str:
    """``559 B``, ``1.2 KiB``, … ``3.0 GiB``."""
    value = float(size)
    for unit in ("B", "KiB", "MiB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


def write_atomically(path: Path, content: bytes) -> str:
    """Replace ``path`` with ``content`` all at once (a temporary file beside it, then a rename);
    returns the sha256 of what was written.  A run stopped half-way leaves the old file or none."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    directory = os.open(path.parent, os.O_RDONLY)  # the rename itself survives a crash too
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return hashlib.sha256(content).hexdigest()
