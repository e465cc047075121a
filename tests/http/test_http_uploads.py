"""Uploads stay streamed (never read whole into memory) and are resent from the start."""

from __future__ import annotations

import io
from collections.abc import Callable

import httpx
import pytest

from reconciler import errors
from reconciler.http import HttpClient, OutcomeUnknown

SIZE = 5 * 1024 * 1024


class RecordingFile(io.BytesIO):
    """A file whose reads are recorded, to prove nobody slurps it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.reads: list[int] = []

    def read(self, size: int | None = -1, /) -> bytes:
        chunk = super().read(size)
        self.reads.append(len(chunk))
        return chunk


def _payload() -> bytes:
    return bytes(range(256)) * (SIZE // 256)


class StreamingServer(httpx.AsyncBaseTransport):
    """Consumes each request body chunk by chunk; can fail an attempt part-way through."""

    def __init__(self, *, fail_first_with: type[httpx.TransportError] | None = None) -> None:
        self.fail_first_with = fail_first_with
        self.bodies: list[bytes] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.AsyncByteStream)
        received = bytearray()
        async for chunk in request.stream:
            received.extend(chunk)
            if self.fail_first_with is not None and not self.bodies and len(received) > SIZE // 3:
                self.bodies.append(bytes(received))
                raise self.fail_first_with("connection dropped", request=request)
        self.bodies.append(bytes(received))
        return httpx.Response(201, json={"Id": 11})


async def test_file_upload_is_streamed(make_client: Callable[..., HttpClient]) -> None:
    data = _payload()
    file = RecordingFile(data)
    server = StreamingServer()
    async with make_client(transport=server) as client:
        result = await client.send_json(
            "POST", "/datauploads", files={"file": ("sales.csv", file, "text/csv")}, creates=True
        )
    assert result == {"Id": 11}
    assert max(file.reads) < SIZE // 10
    assert sum(file.reads) == SIZE
    assert data in server.bodies[0]


async def test_upload_is_rewound_on_a_connect_error_retry(make_client: Callable[..., HttpClient]) -> None:
    data = _payload()
    file = RecordingFile(data)
    server = StreamingServer(fail_first_with=httpx.ConnectError)
    async with make_client(transport=server) as client:
        await client.request("POST", "/datauploads", files={"file": ("sales.csv", file)}, creates=True)
    assert len(server.bodies) == 2
    assert len(server.bodies[0]) < SIZE  # the first attempt stopped part-way through
    assert data in server.bodies[1]  # the retry sent the whole file from its first byte
    assert max(file.reads) < SIZE // 10


async def test_upload_cut_after_sending_is_outcome_unknown(make_client: Callable[..., HttpClient]) -> None:
    file = RecordingFile(_payload())
    server = StreamingServer(fail_first_with=httpx.ReadError)
    async with make_client(transport=server) as client:
        with pytest.raises(OutcomeUnknown):
            await client.request("POST", "/datauploads", files=[("file", ("sales.csv", file))], creates=True)
    assert len(server.bodies) == 1


async def test_a_file_object_is_found_in_every_files_shape(make_client: Callable[..., HttpClient]) -> None:
    for shape in ("bare", "pair", "list"):
        file = RecordingFile(_payload())
        server = StreamingServer(fail_first_with=httpx.ConnectError)
        files: object
        if shape == "bare":
            files = {"file": file}
        elif shape == "pair":
            files = {"file": ("a.csv", file)}
        else:
            files = [("file", ("a.csv", file, "text/csv"))]
        async with make_client(transport=server) as client:
            await client.request("POST", "/datauploads", files=files, creates=True)
        assert len(server.bodies) == 2, shape
        assert file.getvalue() in server.bodies[1], shape


async def test_exhausted_upload_reports_transport_error(make_client: Callable[..., HttpClient]) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    file = RecordingFile(b"a,b\n1,2\n")
    async with make_client(transport=httpx.MockTransport(refuse)) as client:
        with pytest.raises(errors.TransportError, match="gave up after 6 attempts"):
            await client.request("POST", "/datauploads", files={"file": file}, creates=True)
