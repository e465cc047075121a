"""An emulator served by a real uvicorn server on a free loopback port, for the length of a test."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import uvicorn

from reconciler.emulators import JOB_KINDS, create_app
from reconciler.emulators.faults import Faults


@contextmanager
def served_emulator(
    name: str,
    *,
    data_dir: Path,
    token: str | None = None,
    durations: Mapping[str, float] | None = None,
    faults: Faults | None = None,
    variant: str = "full",
) -> Iterator[str]:
    """Serve emulator ``name`` (jobs instant unless ``durations`` says otherwise); yields its base URL."""
    app = create_app(
        name,
        data_dir=data_dir,
        durations=durations if durations is not None else dict.fromkeys(JOB_KINDS[name], 0.0),
        token=token,
        faults=faults,
        variant=variant,
    )
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", ws="none", lifespan="off"))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline, "the emulator did not start"
            time.sleep(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        app.state.store.close()
