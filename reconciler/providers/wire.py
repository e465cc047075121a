"""One platform call, answered through a model of its documented fields.

Every Akkio, Sony EPA and Datrics call goes through :func:`call`: the shared
retrying :class:`~reconciler.http.HttpClient` sends it, and the body is read
through :func:`reconciler.answers.parse`.  A body that is not JSON (an HTML
error page from a proxy, a cut answer) or nested too deeply is, like a body of
the wrong shape, :class:`errors.MalformedAnswer` naming the call, or, for a
creating call, :class:`errors.OutcomeUnknown` (the platform may have made the
object, so it is looked up before anything is sent again).

:func:`misconfigured` turns a 404 on a configuration-level call (one whose
path the provider builds from its endpoint and the spec, not from an id the
state recorded) into an error that stops the plan, naming the URL tried and
what to check: a 404 there means a wrong endpoint or id, never "the object is
gone, create it again".
"""

from __future__ import annotations

import json
from typing import Any, TypeVar, overload
from urllib.parse import urlsplit

from pydantic import BaseModel

from reconciler import errors
from reconciler.answers import parse
from reconciler.http import HttpClient

M = TypeVar("M", bound=BaseModel)


def call_name(method: str, path: str) -> str:
    """``"GET /models/train/x/status"``: the method and the path, never the query (it may hold a key)."""
    return f"{method.upper()} {urlsplit(path).path or path}"


@overload
async def call(
    http: HttpClient, method: str, path: str, shape: type[M], *, creates: bool = False, **kwargs: Any
) -> M: ...
@overload
async def call(
    http: HttpClient, method: str, path: str, shape: Any, *, creates: bool = False, **kwargs: Any
) -> Any: ...
async def call(
    http: HttpClient, method: str, path: str, shape: Any, *, creates: bool = False, **kwargs: Any
) -> Any:
    """Send one request and read its answer as ``shape``; a clean error for anything else."""
    response = await http.request(method, path, creates=creates, **kwargs)
    name = call_name(method, path)
    try:
        text = response.content.decode("utf-8")
        body = json.loads(text) if text.strip() else None
    except (ValueError, RecursionError):
        body = _Unreadable()
    if isinstance(body, _Unreadable):
        message = f"{http.service}: {name}: the answer is not JSON ({_snippet(http, response.content)})"
        if creates:
            raise errors.OutcomeUnknown(
                f"{message}; the platform may have created the object",
                hint="the call stays recorded; it is looked up before anything is sent again",
            )
        raise errors.MalformedAnswer(
            message,
            call=name,
            hint="the platform (or a proxy in front of it) answered with something other than JSON; "
            "check the endpoint; nothing was planned from it",
        )
    return parse(shape, body, service=http.service, call=name, creates=creates)


class _Unreadable:
    """Marks a body that did not decode."""


def _snippet(http: HttpClient, content: bytes) -> str:
    text = content[:80].decode("utf-8", "replace").replace("\n", " ").strip()
    text = http.redact(text)
    return f"begins {text!r}" if text else "empty"


def misconfigured(exc: errors.NotFound, *, service: str, url: str, check: str) -> errors.ProviderError:
    """A 404 on a configuration-level call: stop, name the URL tried (no query) and what to check."""
    parts = urlsplit(url)
    shown = f"{parts.scheme}://{parts.netloc}{parts.path}" if parts.scheme else parts.path
    return errors.ProviderError(
        f"{service}: {shown} answered 404 (not found); nothing was planned from it",
        hint=f"check {check}",
    )


def joined(base_url: str, path: str) -> str:
    """The absolute URL a client builds from its base URL and a relative ``path``."""
    if urlsplit(path).scheme:
        return path
    return base_url.rstrip("/") + "/" + path.lstrip("/")
