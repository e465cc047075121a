"""The in-process wire to an emulator: httpx's ASGI transport, with broken connections.

Over a socket, an answer whose headers promise a body that never comes is a
broken connection: uvicorn closes it and httpx raises ``RemoteProtocolError``.
``httpx.ASGITransport`` has no socket to break; given the same incomplete
answer it fails an internal assertion instead.  :class:`EmulatorTransport`
watches the answer and turns an incomplete one into the error a real network
gives, so a client meets the same failures whether its emulator is served
over HTTP or runs in-process, and the retry policy is exercised the same way
in both.

The world an in-process emulator keeps (its SQLite file) is local storage,
like the state: a full disk or a read-only file there is not the platform
misbehaving, so it is not retried as a server error but raised as
:class:`~reconciler.errors.EmulatorWorldError`, naming the directory.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from reconciler import errors

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["EmulatorTransport"]


class _Broken(Exception):
    """The app ended without completing its answer."""

    def __init__(self, *, started: bool) -> None:
        super().__init__("incomplete answer")
        self.started = started


class _Watch:
    """Wraps an ASGI app; raises :class:`_Broken` when an HTTP answer ends incomplete."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = complete = False

        async def watched(message: Message) -> None:
            nonlocal started, complete
            if message["type"] == "http.response.start":
                started = True
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                complete = True
            await send(message)

        await self.app(scope, receive, watched)
        if scope["type"] == "http" and not complete:
            raise _Broken(started=started)


class EmulatorTransport(httpx.AsyncBaseTransport):
    """An ASGI transport to an emulator app on which a broken answer is a network error."""

    def __init__(self, app: ASGIApp, *, world: Path | None = None) -> None:
        self.app = app
        self.world = world
        self._inner = httpx.ASGITransport(app=_Watch(app))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await self._inner.handle_async_request(request)
        except sqlite3.Error as exc:
            raise self._world_failed(exc) from exc
        except OSError as exc:
            if not self._in_world(exc):  # e.g. the client's own data file, read while its upload streams
                raise
            raise self._world_failed(exc) from exc
        except _Broken as broken:
            # The messages httpx gives for the same failures on a real connection.
            if broken.started:
                message = "peer closed connection without sending complete message body"
            else:
                message = "Server disconnected without sending a response."
            raise httpx.RemoteProtocolError(message, request=request) from None

    def _in_world(self, exc: OSError) -> bool:
        """Whether ``exc`` is about the world: a file in it, or no file named (a write to an open one)."""
        if exc.filename is None or self.world is None:
            return True
        try:
            Path(exc.filename).absolute().relative_to(self.world.absolute())
        except (ValueError, TypeError):
            return False
        return True

    def _world_failed(self, exc: OSError | sqlite3.Error) -> errors.EmulatorWorldError:
        where = f"the emulator's world in {self.world}" if self.world is not None else "the emulator's world"
        hint = errors.os_hint(exc) if isinstance(exc, OSError) else None
        text = str(exc).lower()
        if hint is None and ("full" in text or "disk i/o" in text):
            hint = "the disk is full: free some space there, then run again"
        elif hint is None and "readonly" in text:
            hint = "make the world's files writable for this user (chmod, chown)"
        reason = (exc.strerror if isinstance(exc, OSError) else None) or str(exc)
        return errors.EmulatorWorldError(
            f"cannot write {where}: {reason}; the emulator's last change was rolled back",
            hint=(hint or "check that directory and its disk") + "; or name another directory with "
            "emulator_dir: in the provider block",
        )

    async def aclose(self) -> None:
        await self._inner.aclose()
