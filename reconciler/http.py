"""The one retrying HTTP layer every provider uses.

Every platform call goes through :meth:`HttpClient.request`, so the retry
policy of RELIABILITY.md lives in exactly one place:

    outcome                         idempotent (creates=False)   creating (creates=True)
    connect error / connect timeout retry                        retry (the request never left)
    read timeout, reset, protocol   retry                        OutcomeUnknown at once
    429                             retry after Retry-After      same (refused, not applied)
    502 / 503 / 504                 retry                        OutcomeUnknown at once
    500                             a few attempts               OutcomeUnknown at once
    401 / 403                       AuthError, never retried     same
    404                             NotFound                     same
    other 4xx                       ApiError                     same

A creating request whose outcome is unknown is never resent here: the platform
may already be running an expensive job for it.  :class:`OutcomeUnknown` tells
the caller to look the object up (journal, list endpoint, fingerprint) and
adopt it before deciding to send again.

Answers are bounded: a body larger than ``max_answer_bytes`` (8 MiB unless
configured) is refused before it is all in memory, one attempt's answer must
arrive within ``answer_deadline`` seconds however slowly it trickles in (a
slow answer is a read timeout, handled as above), and JSON nested deeper than
the interpreter can read is refused.  An answer to a creating call that cannot
be read (cut short, empty, not JSON, too big) is an unknown outcome, like a
lost one: the object may exist.

Sleeps use exponential backoff with full jitter, are clamped to the policy's
cap and never run past its deadline.  Sleep, randomness and both clocks are
injected so tests assert exact schedules without waiting.

Nothing from httpx escapes: every failure becomes an :mod:`reconciler.errors`
class chained to its cause.  Messages name the method and the path only (a
query string may carry an API key), and every piece of remote text is
redacted and cut before it reaches a message or a log line.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import json as jsonlib
import logging
import random as random_module
import ssl
import time
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import IO, Any, Self

import httpx

from reconciler import errors
from reconciler.errors import OutcomeUnknown
from reconciler.redact import Redactor, cut

__all__ = ["HttpClient", "OutcomeUnknown", "RetryPolicy", "parse_retry_after"]

log = logging.getLogger(__name__)

# Header names whose values are credentials, whatever the caller declared as secrets.
_SENSITIVE_HEADER_WORDS = ("authorization", "token", "key", "cookie", "secret", "password")
_RETRY_ALWAYS = frozenset({429})
_RETRY_IF_IDEMPOTENT = frozenset({502, 503, 504})
_SERVER_ERROR = 500
#: The largest answer read by default (configurable per client): platform answers are small objects.
MAX_ANSWER_BYTES = 8 * 1024 * 1024
#: Seconds one attempt's answer may take to arrive, however slowly it trickles in.
ANSWER_DEADLINE = 120.0


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long :class:`HttpClient` retries one request."""

    max_attempts: int = 8  # total attempts for retryable outcomes
    base: float = 0.5  # backoff base seconds
    cap: float = 30.0  # max single sleep (also the clamp for Retry-After)
    deadline: float = 300.0  # overall seconds for one request() including sleeps
    server_error_attempts: int = 4  # plain 500s get "a few" attempts (other faults do not use them up)

    def backoff(self, attempt: int, *, rand: float) -> float:
        """Full-jitter sleep after failed attempt number ``attempt`` (1-based)."""
        return rand * min(self.cap, self.base * 2.0 ** (attempt - 1))


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date), or None."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class _Outcome:
    """One retryable failed attempt: an HTTP status or a transport failure."""

    description: str
    response: httpx.Response | None = None
    exc: httpx.HTTPError | None = None

    def fault(self) -> str:
        """A short, bounded name of what went wrong: ``HTTP 503`` or the transport error's class."""
        if self.response is not None:
            return f"HTTP {self.response.status_code}"
        return type(self.exc).__name__ if self.exc is not None else "unknown"


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One TLS context per process: loading the CA bundle costs ~50 ms, and a spec with a
    hundred projects opens a hundred clients."""
    return ssl.create_default_context()


def _speaks_tls(base_url: str) -> bool:
    """Whether requests to ``base_url`` may use TLS: only plain ``http://`` never does (redirects are
    not followed, and every path is relative to the base URL)."""
    return not base_url.lower().startswith("http://")


@functools.cache
def _no_tls_context() -> ssl.SSLContext:
    """For an ``http://`` endpoint: a context that verifies certificates but trusts none, so it costs
    nothing to make (loading the CA bundle is most of a plain-HTTP plan's start-up) and any TLS it
    were ever asked for would fail closed."""
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


class HttpClient:
    """An httpx client for one platform endpoint, with the project's retry policy."""

    def __init__(
        self,
        *,
        base_url: str,
        service: str,
        headers: Mapping[str, str] | None = None,
        secrets: Iterable[str] = (),
        transport: httpx.AsyncBaseTransport | None = None,
        policy: RetryPolicy = RetryPolicy(),
        timeout: httpx.Timeout | float = 30.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        random: Callable[[], float] = random_module.random,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = _utc_now,
        limits: httpx.Limits | None = None,
        auth_hint: str | None = None,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
        answer_deadline: float = ANSWER_DEADLINE,
        on_fault: Callable[[str, bool], None] | None = None,
    ) -> None:
        self.service = service
        #: Told of every failed attempt: the fault (``HTTP 503``, ``ConnectError``) and whether it is retried.
        self._on_fault = on_fault
        self.policy = policy
        self.max_answer_bytes = max_answer_bytes
        self.answer_deadline = answer_deadline
        self.redact = Redactor(secrets)
        for name, value in (headers or {}).items():
            if any(word in name.lower() for word in _SENSITIVE_HEADER_WORDS):
                self.redact.add(value)
                scheme, _, credential = value.partition(" ")
                if credential and scheme.isalpha():
                    self.redact.add(credential)
        self._auth_hint = (
            auth_hint or "check the token the provider's configuration reads from the environment"
        )
        self._sleep = sleep
        self._random = random
        self._clock = clock
        self._now = now
        extra: dict[str, Any] = {} if limits is None else {"limits": limits}
        if transport is None:
            extra["verify"] = _ssl_context() if _speaks_tls(base_url) else _no_tls_context()
        self._client = httpx.AsyncClient(
            base_url=base_url, headers=dict(headers or {}), transport=transport, timeout=timeout, **extra
        )

    def __repr__(self) -> str:
        return f"HttpClient({self.service!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def get_json(self, path: str, *, params: Mapping[str, Any] | None = None) -> Any:
        """GET ``path`` and return its parsed JSON body."""
        response = await self.request("GET", path, params=params)
        return self._parse_json(response, method="GET", path=path)

    async def send_json(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        files: Any = None,
        creates: bool = False,
    ) -> Any:
        """Send a request and return its parsed JSON body (None for an empty body)."""
        response = await self.request(method, path, json=json, params=params, files=files, creates=creates)
        return self._parse_json(response, method=method, path=path, creates=creates)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        files: Any = None,
        content: bytes | str | Iterable[bytes] | AsyncIterable[bytes] | None = None,
        creates: bool = False,
    ) -> httpx.Response:
        """Send one logical request, retrying per the policy; ``creates`` marks a non-idempotent create."""
        route = f"{method.upper()} {_bare_path(path)}"
        where = f"{self.service}: {route}"
        uploads = _file_objects(files)
        started = self._clock()
        attempt = 0
        server_errors = 0
        while True:
            attempt += 1
            if attempt > 1:
                for upload in uploads:
                    # A resent upload must send the whole file, not what a failed attempt left unread.
                    upload.seek(0)
            try:
                response = await self._exchange(
                    method.upper(), path, params=params, json=json, files=files, content=content,
                    where=where, creates=creates,
                )  # fmt: skip
            except httpx.HTTPError as exc:
                try:
                    outcome = self._transport_outcome(exc, where=where, creates=creates)
                except errors.ReconcilerError:
                    self._fault(type(exc).__name__, retried=False)
                    raise
            except (httpx.InvalidURL, httpx.StreamError) as exc:
                raise errors.TransportError(f"{where}: {self._reason(exc)}") from exc
            else:
                if response.status_code < 400:
                    return response
                try:
                    outcome = self._status_outcome(response, route=route, where=where, creates=creates)
                except OutcomeUnknown:
                    self._fault(f"HTTP {response.status_code}", retried=False)
                    raise

            limit = self.policy.max_attempts
            fault = outcome.fault()
            if outcome.response is not None and outcome.response.status_code == _SERVER_ERROR:
                server_errors += 1
            if attempt >= limit or server_errors >= self.policy.server_error_attempts:
                self._fault(fault, retried=False)
                raise self._exhausted(outcome, where=where, reason=f"gave up after {attempt} attempts") from (
                    outcome.exc
                )

            delay = self._delay(attempt, outcome.response)
            elapsed = self._clock() - started
            if elapsed + delay > self.policy.deadline:
                self._fault(fault, retried=False)
                raise self._exhausted(
                    outcome,
                    where=where,
                    reason=f"gave up after {attempt} attempts: the next wait would pass the "
                    f"{self.policy.deadline:g}s deadline",
                ) from outcome.exc
            self._fault(fault, retried=True)
            log.info(
                "%s: %s; attempt %d of %d, retrying in %.1fs",
                where,
                outcome.description,
                attempt,
                limit,
                delay,
            )
            await self._sleep(delay)

    async def _exchange(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None,
        json: Any,
        files: Any,
        content: bytes | str | Iterable[bytes] | AsyncIterable[bytes] | None,
        where: str,
        creates: bool,
    ) -> httpx.Response:
        """One attempt: send, then read the answer within its size and time bounds.

        An upload may take as long as the file needs; the deadline then covers
        only the answer.  Any other request must be answered, headers and body,
        within the deadline.
        """
        request = self._client.build_request(
            method, path, params=params, json=json, files=files, content=content
        )
        whole = asyncio.timeout(None if files or content is not None else self.answer_deadline)
        try:
            async with whole:
                response = await self._client.send(request, stream=True)
                try:
                    async with asyncio.timeout(self.answer_deadline):
                        await self._read_bounded(response, where=where, creates=creates)
                finally:
                    await response.aclose()
        except TimeoutError:
            raise httpx.ReadTimeout(
                f"the answer did not arrive within {self.answer_deadline:g}s", request=request
            ) from None
        return response

    async def _read_bounded(self, response: httpx.Response, *, where: str, creates: bool) -> None:
        """Read the body into ``response``, refusing one larger than ``max_answer_bytes``."""
        limit = self.max_answer_bytes
        declared = response.headers.get("content-length", "")
        size = int(declared) if declared.isdigit() else 0
        chunks: list[bytes] = []
        if size <= limit:
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > limit:
                    break
                chunks.append(chunk)
        if size > limit:
            raise errors.unreadable_answer(
                f"{where}: the answer is larger than {limit / 1024 / 1024:g} MiB",
                call=where.partition(": ")[2],
                creates=creates,
                hint="an answer this large is not one the API documents",
            )
        # What ``Response.aread`` does, with the size bound it lacks.
        response._content = b"".join(chunks)

    def _delay(self, attempt: int, response: httpx.Response | None) -> float:
        delay = self.policy.backoff(attempt, rand=self._random())
        if response is not None:
            retry_after = parse_retry_after(response.headers.get("Retry-After"), now=self._now())
            if retry_after is not None:
                delay = max(delay, retry_after)
        return min(max(delay, 0.0), self.policy.cap)

    def _transport_outcome(self, exc: httpx.HTTPError, *, where: str, creates: bool) -> _Outcome:
        reason = self._reason(exc)
        if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
            return _Outcome(reason, exc=exc)
        unknown = (httpx.ReadTimeout, httpx.WriteTimeout, httpx.NetworkError, httpx.RemoteProtocolError)
        if isinstance(exc, unknown):
            if creates:
                raise OutcomeUnknown.may_exist(f"{where}: no response ({reason})") from exc
            return _Outcome(reason, exc=exc)
        raise errors.TransportError(f"{where}: {reason}") from exc

    def _status_outcome(self, response: httpx.Response, *, route: str, where: str, creates: bool) -> _Outcome:
        status = response.status_code
        if status in _RETRY_ALWAYS:
            return _Outcome(f"HTTP {status}", response=response)
        if status in _RETRY_IF_IDEMPOTENT or status == _SERVER_ERROR:
            if creates:
                raise OutcomeUnknown.may_exist(f"{where}: HTTP {status}{self._detail_suffix(response)}")
            return _Outcome(f"HTTP {status}", response=response)
        body = self._body(response)
        detail = self._detail_suffix(response)
        if status in (401, 403):
            raise errors.AuthError(
                f"{self.service}: token rejected (HTTP {status}) on {route}{detail}",
                status=status,
                body=body,
                hint=self._auth_hint,
            )
        if status == 404:
            raise errors.NotFound(f"{where}: not found (HTTP 404){detail}", status=status, body=body)
        raise errors.ApiError(f"{where}: HTTP {status}{detail}", status=status, body=body)

    def _fault(self, fault: str, *, retried: bool) -> None:
        if self._on_fault is not None:
            self._on_fault(fault, retried)

    def _exhausted(self, outcome: _Outcome, *, where: str, reason: str) -> errors.ProviderError:
        if outcome.response is not None:
            status = outcome.response.status_code
            return errors.ApiError(
                f"{where}: {reason}; last: HTTP {status}{self._detail_suffix(outcome.response)}",
                status=status,
                body=self._body(outcome.response),
            )
        return errors.TransportError(f"{where}: {reason}; last: {outcome.description}")

    def _reason(self, exc: Exception) -> str:
        text = self.redact(str(exc)).strip()
        name = type(exc).__name__
        return cut(f"{name}: {text}" if text else name, 200)

    def _body(self, response: httpx.Response) -> str:
        try:
            text = response.text
        except (httpx.HTTPError, UnicodeDecodeError, LookupError):
            return ""
        return cut(self.redact(text))

    def _detail_suffix(self, response: httpx.Response) -> str:
        """``: <detail>`` from a FastAPI-style body, else the cut body; empty when there is none."""
        raw = self._body(response)
        if not raw:
            return ""
        try:
            payload = jsonlib.loads(response.text)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return f": {raw}"
        detail = _extract_detail(payload)
        if detail is None:
            return f": {raw}"
        return f": {cut(self.redact(detail))}"

    def _parse_json(self, response: httpx.Response, *, method: str, path: str, creates: bool = False) -> Any:
        call = f"{method.upper()} {_bare_path(path)}"
        problem = ""
        if not response.content.strip():
            if not creates:
                return None
            problem = "the answer is empty"
        else:
            try:
                return response.json()
            except (ValueError, UnicodeDecodeError):
                problem = f"the answer is not JSON: {self._body(response)}"
            except RecursionError:
                problem = "the answer is nested too deeply to read"
        raise errors.unreadable_answer(f"{self.service}: {call}: {problem}", call=call, creates=creates)


def _extract_detail(payload: Any) -> str | None:
    if not isinstance(payload, dict):
        return None
    for key in ("detail", "message", "error"):
        value = payload.get(key)
        if isinstance(value, str) and value:
            return value
        if key == "detail" and isinstance(value, list) and value:
            return "; ".join(_validation_item(item) for item in value)
    return None


def _validation_item(item: Any) -> str:
    if isinstance(item, dict) and "msg" in item:
        loc = item.get("loc")
        where = ".".join(str(part) for part in loc) if isinstance(loc, list | tuple) else ""
        return f"{where}: {item['msg']}" if where else str(item["msg"])
    return str(item)


def _bare_path(path: str) -> str:
    """The path without its query string, which may carry an API key."""
    return path.split("?", 1)[0]


def _file_objects(files: Any) -> list[IO[Any]]:
    if not files:
        return []
    items = files.values() if isinstance(files, Mapping) else (value for _, value in files)
    found: list[IO[Any]] = []
    for value in items:
        candidate = value[1] if isinstance(value, tuple) and len(value) >= 2 else value
        if hasattr(candidate, "read") and hasattr(candidate, "seek"):
            found.append(candidate)
    return found
