"""Receiving and checking retrain data the way the platform does, one chunk at a time.

Training data can be large, so an upload is streamed to disk as it arrives
and checked from there: never held in memory.  A file the platform cannot
train on is still accepted by the upload (the PUT goes to storage, which
does not look inside); the problem surfaces later as the job's ``failed``
status and ``message``.  So a check returns a message, not an exception.

What a usable upload is (SEEN): one training file, or a zip holding
``train_src/<train file>`` and ``eval_src/<eval file>``.  What makes one
unusable (INFERRED, the emulator's words): an empty file, a zip that does not
open, a zip without exactly one file under each folder, or a data file with
no row below its header.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

_ZIP_MAGIC = b"PK\x03\x04"
_FOLDERS = ("train_src", "eval_src")

EMPTY = "The uploaded file is empty."
NOT_A_ZIP = "The uploaded file is not a valid zip file."
ZIP_LAYOUT = "The zip file must hold one file under train_src/ and one file under eval_src/."


@dataclass(frozen=True)
class Received:
    """An upload as written to disk."""

    size: int
    sha256: str


async def receive(chunks: AsyncIterator[bytes], destination: Path) -> Received:
    """Write ``chunks`` to ``destination`` as they come; size and digest in the same pass."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    with destination.open("wb") as out:
        async for chunk in chunks:
            out.write(chunk)
            digest.update(chunk)
            size += len(chunk)
    return Received(size=size, sha256=digest.hexdigest())


def problem(path: Path, *, filename: str) -> str | None:
    """Why the platform could not retrain on the file at ``path`` (None when it can)."""
    with path.open("rb") as handle:
        head = handle.read(len(_ZIP_MAGIC))
    if not head:
        return EMPTY
    if head == _ZIP_MAGIC or filename.lower().endswith(".zip"):
        return _zip_problem(path)
    with path.open("rb") as handle:
        return _data_problem(handle, name=filename)


def scores(path: Path, *, filename: str) -> tuple[float, float]:
    """The accuracy and AUC the results file reports (INFERRED: the vendor does not show the file).

    No model is fitted: the scores grow with the training rows, deterministically, so a test can
    make a retrain pass or miss a gate with the size of its data: ``0.6 + 0.35 × rows / (rows + 20)``
    (10 rows: 0.7167, 40 rows: 0.8333), and the AUC 0.05 above it (at most 0.99).
    """
    rows = _rows(path, filename=filename)
    accuracy = round(0.6 + 0.35 * rows / (rows + 20), 4)
    return accuracy, round(min(0.99, accuracy + 0.05), 4)


def _rows(path: Path, *, filename: str) -> int:
    """Data rows (below the header) of the training file: the file itself, or ``train_src/`` of a zip."""
    with path.open("rb") as handle:
        zipped = handle.read(len(_ZIP_MAGIC)) == _ZIP_MAGIC or filename.lower().endswith(".zip")
    if not zipped:
        with path.open("rb") as handle:
            return max(0, sum(1 for line in handle if line.strip()) - 1)
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if info.filename.startswith("train_src/") and not info.is_dir():
                with archive.open(info) as member:
                    return max(0, sum(1 for line in member if line.strip()) - 1)
    return 0


def _zip_problem(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as archive:
            members = [info for info in archive.infolist() if not info.is_dir()]
            found: dict[str, list[zipfile.ZipInfo]] = {folder: [] for folder in _FOLDERS}
            for info in members:
                folder, _, rest = info.filename.partition("/")
                if folder in found and rest and "/" not in rest:
                    found[folder].append(info)
            if any(len(infos) != 1 for infos in found.values()):
                return ZIP_LAYOUT
            for folder in _FOLDERS:
                info = found[folder][0]
                with archive.open(info) as member:
                    message = _data_problem(member, name=info.filename)
                if message is not None:
                    return message
    except (zipfile.BadZipFile, OSError, EOFError):
        return NOT_A_ZIP
    return None


def _data_problem(stream: IO[bytes], *, name: str) -> str | None:
    lines = 0
    for line in stream:
        if line.strip():
            lines += 1
            if lines >= 2:
                return None
    if lines == 0:
        return f"{name}: the file is empty."
    return f"{name}: there is no data row below the header."
