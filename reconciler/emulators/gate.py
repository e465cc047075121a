"""The front door every emulator shares: authentication, request counting and faults.

Each platform authenticates differently (a bearer token, an ``X-API-Key``
header, a signed JWT), so the check is a callable the emulator supplies; the
counting is the same everywhere: requests are counted per ``METHOD route
template`` into the emulator's store, so ``/_emulator/stats`` can prove across
processes that a client did not repeat an expensive call.  Paths under
``/_emulator`` are neither authenticated, counted nor faulted; an emulator may
name a prefix whose requests are counted and faulted but not authenticated
(Akkio's legacy API, whose key is in the body).

With :class:`~reconciler.emulators.faults.Faults`, the gate also misbehaves
on purpose, after counting (so a test sees the retries): it delays every
answer, answers some requests with 5xx or 429 before the route runs, and
breaks the connection of others, either before the route runs (``drop``:
nothing happened) or after it committed (``lost``: the object exists).  A
broken connection is an answer whose headers promise a body that never
comes: uvicorn then closes the socket, so an httpx client sees
``RemoteProtocolError`` exactly as on a real network, and in-process
:class:`~reconciler.emulators.transport.EmulatorTransport` turns the same
incomplete answer into the same error.  No exception is involved, so no
server or middleware can turn a broken connection into a clean 500.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reconciler.emulators.faults import (
    ANSWER_KINDS,
    NO_FAULT,
    Decision,
    FaultInjector,
    Faults,
    quiet_cut_responses,
)

EMULATOR_PREFIX = "/_emulator"


class RequestLog(Protocol):
    """Where an emulator keeps its request counts."""

    def count_request(self, route: str) -> None: ...


class FaultLog(Protocol):
    """Where an emulator keeps its counts of injected faults (per kind)."""

    def count_fault(self, kind: str) -> None: ...


@dataclass(frozen=True)
class Refusal:
    """An authentication failure, answered before the route runs."""

    status: int
    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)


#: Given the request's headers (lower-case names) and query parameters, a refusal or None.
Authenticate = Callable[[Mapping[str, str], Mapping[str, str]], Refusal | None]


def bearer(token: str | None) -> Authenticate:
    """FastAPI-style bearer authentication: any non-empty token, or only ``token``."""

    def check(headers: Mapping[str, str], query: Mapping[str, str]) -> Refusal | None:
        scheme, _, given = headers.get("authorization", "").partition(" ")
        challenge = {"WWW-Authenticate": "Bearer"}
        if scheme.lower() != "bearer" or not given.strip():
            return Refusal(401, {"detail": "Not authenticated"}, challenge)
        if token is not None and not same_secret(given.strip(), token):
            return Refusal(401, {"detail": "Invalid token"}, challenge)
        return None

    return check


def same_secret(given: str, expected: str) -> bool:
    """Constant-time comparison, so the emulator does not leak a token by timing either."""
    return hmac.compare_digest(given.encode(), expected.encode())


class Gate:
    """ASGI middleware: count every platform request by route template, inject faults, authenticate."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        log: RequestLog,
        authenticate: Authenticate,
        routes: Sequence[BaseRoute],
        faults: Faults | FaultInjector | None = None,
        fault_log: FaultLog | None = None,
        unauthenticated: str | None = None,
    ) -> None:
        self.app = app
        self.unauthenticated = unauthenticated  # a path prefix whose requests carry their key in the body
        self.log = log
        self.authenticate = authenticate
        self.routes = routes
        # An injector passed in keeps its sequence even if the middleware stack is rebuilt.
        self.faults = FaultInjector(faults) if isinstance(faults, Faults) else faults
        self.fault_log = fault_log
        if self.faults is not None and self.faults.faults.rate > 0.0:
            quiet_cut_responses()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope["path"]).startswith(EMULATOR_PREFIX):
            await self.app(scope, receive, send)
            return
        template = self._template(scope)
        route = f"{scope['method']} {template if template is not None else scope['path']}"
        if template is not None:
            self.log.count_request(route)
        decision = await self._decide(route)
        if decision.status is not None:
            response = JSONResponse(
                decision.body(), status_code=decision.status, headers=dict(decision.headers)
            )
            await response(scope, receive, send)
            return
        if decision.kind == "drop":
            await _cut(send, status=200)
            return
        refusal = None
        if self.unauthenticated is None or not str(scope["path"]).startswith(self.unauthenticated):
            refusal = self.authenticate(_headers(scope), _query(scope))
        if refusal is not None:
            response = JSONResponse(refusal.body, status_code=refusal.status, headers=dict(refusal.headers))
            await response(scope, receive, send)
            return
        if decision.kind == "lost":
            await self._lose_answer(scope, receive, send)
            return
        if decision.kind in ANSWER_KINDS:
            await self._garble_answer(decision.kind, scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _decide(self, route: str) -> Decision:
        """This request's fate, after its latency; lost and garbled answers count once the route ran."""
        if self.faults is None:
            return _CLEAN
        decision = self.faults.next(route)
        if decision.delay > 0.0:
            await self.faults.sleep(decision.delay)
        if decision.faulted and decision.kind != "lost" and decision.kind not in ANSWER_KINDS:
            self._record(decision.kind)
        return decision

    async def _garble_answer(self, kind: str, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the route to the end (it commits), then send a complete answer with a garbled body."""
        status = 200
        body = b""

        async def keep(message: Message) -> None:
            nonlocal status, body
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body":
                body += message.get("body", b"")

        await self.app(scope, receive, keep)
        self._record(kind)
        if status >= 400:  # only a success is garbled: an error answer is already the news
            await Response(body, status_code=status, media_type="application/json")(scope, receive, send)
            return
        await Response(garble(kind, body), status_code=200, media_type="application/json")(
            scope, receive, send
        )

    def _record(self, kind: str) -> None:
        assert self.faults is not None and kind != NO_FAULT
        self.faults.record(kind)
        if self.fault_log is not None:
            self.fault_log.count_fault(kind)

    async def _lose_answer(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the route to the end (it commits), then break the connection instead of answering."""
        status = 200

        async def swallow(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])

        await self.app(scope, receive, swallow)
        self._record("lost")
        await _cut(send, status=status)

    def _template(self, scope: Scope) -> str | None:
        for route in self.routes:
            match, _ = route.matches(scope)
            if match == Match.FULL:
                return str(getattr(route, "path", ""))
        return None


_CLEAN = Decision(-1)


async def _cut(send: Send, *, status: int) -> None:
    """Start an answer that promises a body, then end without it: the server closes the connection."""
    if not 200 <= status < 600 or status in (204, 304):  # statuses that may carry no body
        status = 200
    headers = [(b"content-type", b"application/json"), (b"content-length", b"64")]
    await send({"type": "http.response.start", "status": status, "headers": headers})


def garble(kind: str, body: bytes) -> bytes:
    """A complete answer's body, garbled as ``kind`` says."""
    if kind == "truncated":
        return body[: max(1, len(body) // 2)] if body else b"{"
    if kind == "empty":
        return b""
    if kind == "noid":
        return b"{}"
    try:
        value = json.loads(body)
    except ValueError:
        return body
    return json.dumps(_wrapped(value)).encode()


def _wrapped(value: object) -> object:
    if isinstance(value, dict):
        return {
            key: [item] if not isinstance(item, dict | list) else _wrapped(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_wrapped(item) for item in value]
    return [value]


def _headers(scope: Scope) -> dict[str, str]:
    return {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}


def _query(scope: Scope) -> dict[str, str]:
    from urllib.parse import parse_qsl

    raw = scope.get("query_string", b"").decode("latin-1")
    return dict(parse_qsl(raw, keep_blank_values=True))
