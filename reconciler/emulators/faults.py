"""Deterministic faults for the emulators: the bad days a real platform has, on demand.

The reconciler promises that whatever the network or the platform does, the
next run converges and no expensive job is submitted twice.  Proving that
needs a platform that misbehaves *reproducibly*: the same seed must give the
same misbehaviour, so a failing run can be replayed.  Every decision here is
a pure function of the seed and a counter, drawn from SHA-256 rather than a
shared random generator, so it is the same in every process and on every
Python version:

- per request: the emulator numbers the platform requests it receives
  (0, 1, 2, … per process) and request ``n`` gets the decision
  ``decision(n)``.  Concurrent clients may reorder which request receives
  number ``n``, but the *sequence* of decisions is fixed by the seed.
- per job: whether a job ends ``failed`` is decided once, at creation, from
  (seed, job kind, team, project, object id), and stored with the object,
  so it is stable across reads, restarts and processes.

The fault kinds, equally likely among those enabled:

    500 / 502 / 503   answered before the route runs: nothing is created
                      (503 carries ``Retry-After: 1`` half the time)
    429               answered before the route runs, with ``Retry-After``
                      either in seconds or as an HTTP-date
    drop              the connection breaks before the route runs: nothing is created
    lost              the route runs and commits, then the connection breaks
                      before the answer arrives: the object exists, the client
                      cannot know it

Four more kinds garble a complete answer after the route ran and committed
(the object exists); they are never chosen unless named in ``kinds``:

    truncated         a 200 whose JSON body is cut short (a well-formed HTTP answer)
    empty             a 200 with an empty body
    noid              a 200 with ``{}``
    wrongtype         a 200 whose every value is wrapped in a list (``{"IId": [12]}``)

``only`` restricts faults to requests whose ``METHOD route-template`` contains
it (``only=POST`` for creating calls, ``only=/refit``).  An ``outage`` of N
seconds answers every GET (every request matching ``outage_on``) with 503 for
N seconds of the emulator's clock, starting at the first request matching
``outage_after`` (at once when empty): a platform whose status pages are down
right after a job was submitted.

This module is plain data and arithmetic (no ASGI, no FastAPI), so the
command line can build and validate :class:`Faults` cheaply; the gate
(``gate.py``) acts on the decisions.
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import logging
import math
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, fields
from http import HTTPStatus

from reconciler import errors

__all__ = [
    "ALL_KINDS",
    "ANSWER_KINDS",
    "KINDS",
    "NO_FAULT",
    "Decision",
    "FaultInjector",
    "Faults",
    "parse",
    "parse_kinds",
]

#: Every fault kind, in the order they are listed to a user.
KINDS: tuple[str, ...] = ("500", "502", "503", "429", "drop", "lost")
#: Kinds that garble a complete answer; chosen only when named.
ANSWER_KINDS: tuple[str, ...] = ("truncated", "empty", "noid", "wrongtype")
ALL_KINDS: tuple[str, ...] = KINDS + ANSWER_KINDS
NO_FAULT = "none"
CUT_KINDS = frozenset({"drop", "lost"})  # the client sees a broken connection
_MAX_LATENCY_MS = 60_000.0  # a minute per response is already a broken platform


def _unit(seed: int, *parts: object) -> float:
    """A number in [0, 1) that depends only on ``seed`` and ``parts``."""
    text = "\x1f".join(str(part) for part in ("faults/v1", seed, *parts))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") / 2.0**64


def _number(name: str, value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise errors.ReconcilerError(f"bad {name}: {value!r} is not a number") from None


def _fraction(name: str, value: object) -> float:
    number = _number(name, value)
    if not math.isfinite(number) or not 0.0 <= number <= 1.0:
        raise errors.ReconcilerError(f"bad {name}: {value} (must be a number between 0 and 1)")
    return number


@dataclass(frozen=True)
class Faults:
    """How badly an emulator behaves: fault rate, seed, latency and job failures."""

    rate: float = 0.0  # share of platform requests that meet a fault
    seed: int = 0
    latency_ms: float = 0.0  # mean delay added to every platform response
    job_failure_rate: float = 0.0  # share of created jobs that end "failed"
    kinds: tuple[str, ...] = KINDS  # a kind listed twice is twice as likely
    only: str = ""  # faults only for requests whose "METHOD template" contains this
    outage: float = 0.0  # seconds during which every GET answers 503
    outage_after: str = ""  # the outage starts at the first request whose "METHOD template" contains this
    outage_on: str = "GET "  # the outage hits requests whose "METHOD template" contains this

    def __post_init__(self) -> None:
        object.__setattr__(self, "rate", _fraction("fault rate", self.rate))
        object.__setattr__(self, "job_failure_rate", _fraction("job failure rate", self.job_failure_rate))
        latency = _number("latency", self.latency_ms)
        if not math.isfinite(latency) or not 0.0 <= latency <= _MAX_LATENCY_MS:
            raise errors.ReconcilerError(
                f"bad latency: {self.latency_ms} ms (must be between 0 and {_MAX_LATENCY_MS:.0f})"
            )
        object.__setattr__(self, "latency_ms", latency)
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise errors.ReconcilerError(f"bad fault seed: {self.seed!r} (must be a whole number)")
        kinds = tuple(self.kinds)
        unknown = [kind for kind in kinds if kind not in ALL_KINDS]
        if unknown:
            raise errors.ReconcilerError(
                f"unknown fault kind '{unknown[0]}'", hint=f"fault kinds: {', '.join(ALL_KINDS)}"
            )
        if not kinds:
            raise errors.ReconcilerError("no fault kinds given", hint=f"fault kinds: {', '.join(ALL_KINDS)}")
        outage = _number("outage", self.outage)
        if not math.isfinite(outage) or outage < 0.0:
            raise errors.ReconcilerError(f"bad outage: {self.outage} (must be a number of seconds >= 0)")
        object.__setattr__(self, "outage", outage)
        object.__setattr__(self, "kinds", kinds)

    def job_error(self, job: str, *key: object) -> str | None:
        """The failure message of the job ``job`` identified by ``key``, or None when it succeeds."""
        if self.job_failure_rate <= 0.0 or _unit(self.seed, "job", job, *key) >= self.job_failure_rate:
            return None
        return f"injected failure (seed {self.seed})"


def parse_kinds(text: str) -> tuple[str, ...]:
    """Parse ``"500,lost"`` (or ``"500+lost"``) into fault kinds; every kind when empty."""
    kinds = tuple(part.strip() for part in text.replace("+", ",").split(",") if part.strip())
    return Faults(kinds=kinds or KINDS).kinds


def parse(text: str) -> Faults:
    """Parse ``"rate=0.2,seed=7,latency_ms=20,job_failure_rate=0.1,kinds=500+lost"`` into :class:`Faults`.

    The form of ``$RECONCILER_EMULATOR_FAULTS``; unknown names and bad values are
    :class:`~reconciler.errors.ReconcilerError` with the expected form.
    """
    names = [item.name for item in fields(Faults)]
    given: dict[str, str] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        name, sep, value = (piece.strip() for piece in part.partition("="))
        name = name.replace("-", "_")
        if not sep or not value:
            raise errors.ReconcilerError(f"bad fault setting '{part.strip()}': expected NAME=VALUE")
        if name not in names:
            raise errors.ReconcilerError(
                f"unknown fault setting '{name}'", hint=f"settings: {', '.join(names)}"
            )
        given[name] = value
    try:
        rate = float(given.get("rate", 0.0))
        seed = int(given.get("seed", 0))
        latency_ms = float(given.get("latency_ms", 0.0))
        job_failure_rate = float(given.get("job_failure_rate", 0.0))
        outage = float(given.get("outage", 0.0))
    except ValueError as exc:
        raise errors.ReconcilerError(
            f"bad fault settings '{text.strip()}': {exc}",
            hint="rate, latency_ms, job_failure_rate and outage are numbers; seed is a whole number",
        ) from None
    kinds = parse_kinds(given["kinds"]) if "kinds" in given else KINDS
    return Faults(
        rate=rate,
        seed=seed,
        latency_ms=latency_ms,
        job_failure_rate=job_failure_rate,
        kinds=kinds,
        only=given.get("only", ""),
        outage=outage,
        outage_after=given.get("outage_after", ""),
        outage_on=given.get("outage_on", "GET "),
    )


@dataclass(frozen=True)
class Decision:
    """What happens to one platform request."""

    number: int  # the request's place in the sequence of decisions
    kind: str = NO_FAULT  # NO_FAULT or one of KINDS
    delay: float = 0.0  # seconds to wait before answering
    status: int | None = None  # for the status kinds: the answer, sent before the route runs
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def faulted(self) -> bool:
        return self.kind != NO_FAULT

    def body(self) -> dict[str, str]:
        """The JSON body of a status answer."""
        assert self.status is not None
        return {"detail": f"{HTTPStatus(self.status).phrase} (injected fault)"}


@dataclass
class FaultInjector:
    """Numbers the platform requests of one process and decides each one's fate from the seed."""

    faults: Faults
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    wall: Callable[[], float] = time.time  # for HTTP-dates: the client compares them with its own clock
    clock: Callable[[], float] = time.time  # the emulator's clock, for the outage window
    _next: int = field(default=0, init=False)
    _outage_from: float | None = field(default=None, init=False)
    _counts: dict[str, int] = field(default_factory=dict, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def decision(self, number: int) -> Decision:
        """The decision for request ``number``: a pure function of the seed and ``number``."""
        faults = self.faults
        delay = 0.0
        if faults.latency_ms > 0.0:
            delay = faults.latency_ms / 1000.0 * (0.5 + _unit(faults.seed, "latency", number))
        if faults.rate <= 0.0 or _unit(faults.seed, "fault", number) >= faults.rate:
            return Decision(number, delay=delay)
        pick = _unit(faults.seed, "kind", number)
        kind = faults.kinds[min(int(pick * len(faults.kinds)), len(faults.kinds) - 1)]
        if kind in CUT_KINDS or kind in ANSWER_KINDS:
            return Decision(number, kind, delay)
        status = int(kind)
        half = _unit(faults.seed, "retry-after", number) < 0.5
        headers: tuple[tuple[str, str], ...] = ()
        if status == 429:
            # Either form the standard allows; an HTTP-date a second or two ahead of now.
            retry_after = "1" if half else email.utils.formatdate(math.ceil(self.wall()) + 2, usegmt=True)
            headers = (("Retry-After", retry_after),)
        elif status == 503 and half:
            headers = (("Retry-After", "1"),)
        return Decision(number, kind, delay, status, headers)

    def next(self, route: str = "") -> Decision:
        """The decision for the next platform request of this process (``route``: "METHOD template")."""
        with self._lock:
            number = self._next
            self._next += 1
        if self._in_outage(route):
            return Decision(number, "outage", 0.0, 503, (("Retry-After", "1"),))
        if self.faults.only and self.faults.only not in route:
            return Decision(number)
        return self.decision(number)

    def _in_outage(self, route: str) -> bool:
        """Whether ``route`` falls in the outage window (which the first matching request opens)."""
        faults = self.faults
        if faults.outage <= 0.0:
            return False
        now = self.clock()
        with self._lock:
            if self._outage_from is None and (not faults.outage_after or faults.outage_after in route):
                self._outage_from = now
            start = self._outage_from
        return start is not None and faults.outage_on in route and now - start < faults.outage

    def record(self, kind: str) -> None:
        """Count a fault that was injected (kept in memory, for this process)."""
        with self._lock:
            self._counts[kind] = self._counts.get(kind, 0) + 1

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self._counts.items()))


# -- the served case: uvicorn reports every broken answer; a broken answer here is the point ------------

_CUT_MESSAGE = "ASGI callable returned without completing response."


class _QuietCuts(logging.Filter):
    """Drop uvicorn's error line for a response the emulator broke on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg != _CUT_MESSAGE


_quiet = _QuietCuts()


def quiet_cut_responses() -> None:
    """Silence uvicorn's report of deliberately broken responses (idempotent)."""
    logger = logging.getLogger("uvicorn.error")
    if _quiet not in logger.filters:
        logger.addFilter(_quiet)
