"""One platform call, answered through a model of its documented fields.

Every Akkio, Sony EPA and Datrics call goes through :func:`call`: the shared
retrying :class:`~reconciler.http.HttpClient` sends it and decodes the body
(bounded in size and nesting; not JSON is :class:`errors.MalformedAnswer`, or
:class:`errors.OutcomeUnknown` for a creating call), and the body is read
through :func:`reconciler.answers.parse` as a model of the documented fields.

:func:`misconfigured` turns a 404 on a configuration-level call (one whose
path the provider builds from its endpoint and the spec, not from an id the
state recorded) into an error that stops the plan, naming the URL tried and
what to check: a 404 there means a wrong endpoint or id, never "the object is
gone, create it again".

:class:`PlatformClient` is what every platform's client holds (its HTTP
client, its waiter, its base URL), how it waits for a job, and how it
reports such a 404.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload
from urllib.parse import urlsplit

from pydantic import BaseModel

from reconciler import errors
from reconciler.answers import parse
from reconciler.http import HttpClient
from reconciler.providers.base import Journal
from reconciler.providers.waiting import JobKind
from reconciler.wait import Waiter

M = TypeVar("M", bound=BaseModel)
AnswerT = TypeVar("AnswerT")


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
    body = await http.send_json(method, path, creates=creates, **kwargs)
    return parse(shape, body, service=http.service, call=call_name(method, path), creates=creates)


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


class PlatformClient:
    """What every platform's client holds: one HTTP client, the run's waiter and the base URL."""

    def __init__(self, http: HttpClient, *, waiter: Waiter | None = None, base_url: str = "") -> None:
        self.http = http
        self.waiter = waiter or Waiter()
        self.base_url = base_url

    async def wait(
        self, kind: JobKind[AnswerT], fetch: Callable[[], Awaitable[AnswerT]], *, what: str, journal: Journal
    ) -> AnswerT:
        """Wait for a job of ``kind`` on this client's waiter (see :meth:`JobKind.wait`); the last answer."""
        return await kind.wait(fetch, what=what, journal=journal, waiter=self.waiter)

    def wrong_endpoint(self, exc: errors.NotFound, path: str, *, check: str) -> errors.ProviderError:
        """A 404 of a configuration-level call to ``path``: stop, saying what to ``check``."""
        return misconfigured(exc, service=self.http.service, url=joined(self.base_url, path), check=check)
