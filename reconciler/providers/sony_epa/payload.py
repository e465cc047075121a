"""The bytes a retrain sends: the training file itself, or a zip of training and evaluation data.

Files are hashed and zipped from disk in chunks (the zip is written to a
temporary file), so memory stays flat however large the data is.  The upload
body is an async iterable that opens the file afresh each time it is
iterated, so a retried PUT sends the whole file again rather than what a
failed attempt left unread.
"""

from __future__ import annotations

import asyncio
import tempfile
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from reconciler.providers.files import CHUNK

_CHUNK = CHUNK


@dataclass(frozen=True)
class Payload:
    """What is PUT to the upload URL, and the file name announced for it."""

    path: Path
    filename: str
    size: int


def _zip(train: Path, evaluation: Path, destination: Path) -> None:
    with zipfile.ZipFile(destination, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.write(train, arcname=f"train_src/{train.name}")
        archive.write(evaluation, arcname=f"eval_src/{evaluation.name}")


class Prepared:
    """A payload ready to send; a zip lives in a temporary directory until ``close``."""

    def __init__(self) -> None:
        self._scratch: tempfile.TemporaryDirectory[str] | None = None
        self.payload: Payload | None = None

    async def open(self, train: Path, evaluation: Path | None) -> Payload:
        if evaluation is None:
            self.payload = Payload(path=train, filename=train.name, size=train.stat().st_size)
            return self.payload
        self._scratch = tempfile.TemporaryDirectory(prefix="reconciler-sony-epa-")
        filename = f"{train.stem}_retrain.zip"
        destination = Path(self._scratch.name) / filename
        await asyncio.to_thread(_zip, train, evaluation, destination)
        self.payload = Payload(path=destination, filename=filename, size=destination.stat().st_size)
        return self.payload

    def close(self) -> None:
        if self._scratch is not None:
            self._scratch.cleanup()
            self._scratch = None

    async def __aenter__(self) -> Prepared:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()


class FileBody:
    """An upload body read from disk chunk by chunk; every iteration starts from the beginning."""

    def __init__(self, path: Path, *, chunk: int = _CHUNK) -> None:
        self.path = path
        self.chunk = chunk

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._chunks()

    async def _chunks(self) -> AsyncIterator[bytes]:
        handle = await asyncio.to_thread(self.path.open, "rb")
        try:
            while chunk := await asyncio.to_thread(handle.read, self.chunk):
                yield chunk
        finally:
            handle.close()
