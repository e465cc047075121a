"""An Alviss client whose server is a function of (method, path): canned and hostile answers."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from reconciler.http import HttpClient, RetryPolicy
from reconciler.providers.alviss.client import AlvissClient
from reconciler.wait import Waiter

BASE = "https://alviss.test/api/v1/api"
Answer = httpx.Response | Any


def respond(value: Answer) -> httpx.Response:
    """A JSON answer (200) for a plain value; a response as given."""
    if isinstance(value, httpx.Response):
        return value
    headers = {"content-type": "application/json"}
    return httpx.Response(200, content=json.dumps(value).encode(), headers=headers)


def client_answering(answer: Callable[[str, str], Answer]) -> AlvissClient:
    """A client for project 1/1 whose every request is answered by ``answer(method, path)``."""

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/api/v1/api")
        return respond(answer(request.method, path))

    http = HttpClient(
        base_url=BASE,
        service="Alviss (test, project 1/1)",
        transport=httpx.MockTransport(handler),
        policy=RetryPolicy(max_attempts=1),
    )
    return AlvissClient(http, team=1, project=1, waiter=Waiter())
