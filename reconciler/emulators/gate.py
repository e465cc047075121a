"""The front door every emulator shares: authentication and request counting.

Each platform authenticates differently (a bearer token, an ``X-API-Key``
header, a signed JWT), so the check is a callable the emulator supplies; the
counting is the same everywhere: requests are counted per ``METHOD route
template`` into the emulator's store, so ``/_emulator/stats`` can prove across
processes that a client did not repeat an expensive call.  Paths under
``/_emulator`` are neither authenticated nor counted.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

EMULATOR_PREFIX = "/_emulator"


class RequestLog(Protocol):
    """Where an emulator keeps its request counts."""

    def count_request(self, route: str) -> None: ...


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
    """ASGI middleware: count every platform request by route template, then authenticate it."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        log: RequestLog,
        authenticate: Authenticate,
        routes: Sequence[BaseRoute],
    ) -> None:
        self.app = app
        self.log = log
        self.authenticate = authenticate
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope["path"]).startswith(EMULATOR_PREFIX):
            await self.app(scope, receive, send)
            return
        template = self._template(scope)
        if template is not None:
            self.log.count_request(f"{scope['method']} {template}")
        refusal = self.authenticate(_headers(scope), _query(scope))
        if refusal is not None:
            response = JSONResponse(refusal.body, status_code=refusal.status, headers=dict(refusal.headers))
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _template(self, scope: Scope) -> str | None:
        for route in self.routes:
            match, _ = route.matches(scope)
            if match == Match.FULL:
                return str(getattr(route, "path", ""))
        return None


def _headers(scope: Scope) -> dict[str, str]:
    return {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}


def _query(scope: Scope) -> dict[str, str]:
    from urllib.parse import parse_qsl

    raw = scope.get("query_string", b"").decode("latin-1")
    return dict(parse_qsl(raw, keep_blank_values=True))
