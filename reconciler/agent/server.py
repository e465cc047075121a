"""The agent's HTTP endpoints: ``/metrics``, ``/healthz``, ``/readyz`` and the status page at ``/``.

Served by uvicorn inside the agent's own event loop (no thread, no second
process).  uvicorn's own signal handling is turned off: SIGTERM belongs to
the agent, which finishes its checkpoint and releases its claims before the
server is told to stop.

* ``/healthz``: 200 while the scheduler's loop turns (it ticks at least every
  few seconds), 503 when it has been stuck for longer than :data:`STUCK`.
* ``/readyz``: 200 once the agent has its workspaces and can take claims (its
  database answers), 503 otherwise, and from the moment it starts shutting down.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable, Generator

import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from reconciler import errors
from reconciler.agent.metrics import Metrics

#: Seconds without a scheduler tick after which ``/healthz`` says the agent is stuck.
STUCK = 120.0


class Health:
    """What ``/healthz`` and ``/readyz`` answer from, set by the scheduler."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self.last_tick = clock()
        self.ready = False
        self.reason = "starting"

    def tick(self) -> None:
        self.last_tick = self._clock()

    def alive(self) -> bool:
        return self._clock() - self.last_tick < STUCK

    def set_ready(self, ready: bool, reason: str = "") -> None:
        self.ready, self.reason = ready, reason


def make_app(metrics: Metrics, health: Health, page: Callable[[], str]) -> Starlette:
    async def get_metrics(request: Request) -> Response:
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    async def healthz(request: Request) -> Response:
        if health.alive():
            return PlainTextResponse("ok\n")
        return PlainTextResponse("stuck: the scheduler has not ticked\n", status_code=503)

    async def readyz(request: Request) -> Response:
        if health.ready:
            return PlainTextResponse("ready\n")
        return PlainTextResponse(f"not ready: {health.reason}\n", status_code=503)

    async def index(request: Request) -> Response:
        return HTMLResponse(page(), headers={"Cache-Control": "no-store"})

    routes = [
        Route("/", index),
        Route("/metrics", get_metrics),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
    ]
    return Starlette(routes=routes)


class _Server(uvicorn.Server):
    """uvicorn without its signal handlers: the agent handles SIGTERM and SIGINT itself."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


class Served:
    """The app served on ``host:port`` in the running loop until :meth:`stop`."""

    def __init__(self, app: Starlette, *, host: str, port: int) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._sock = socket.socket(family, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self._sock.bind((host, port))
        except OSError as exc:
            self._sock.close()
            raise errors.ReconcilerError(
                f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                hint="choose another --port (0 takes a free one) or --host",
            ) from exc
        self.host = host
        self.port = self._sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan="off", ws="none", access_log=False)
        self._server = _Server(config)
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        self._task = asyncio.create_task(self._server.serve(sockets=[self._sock]))
        while not self._server.started:
            if self._task.done():
                self._task.result()
                raise errors.ReconcilerError(f"the agent's HTTP server on {self.url} did not start")
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        self._server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._sock.close()
