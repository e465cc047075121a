"""The one base every emulator is a plugin on: store, statistics, counters, faults, job clock, variants.

A platform's emulator brings only what is its own: its routes (the
vendor's paths, bodies and words), its store tables, its world's rules, its
authentication and its job kinds (``plugins.py``).  Everything else is here
and written once:

- the SQLite store (``sqlite.py``) in ``DATA_DIR/NAME.sqlite3``, with the
  request-count table every emulator has;
- :class:`World`: the clock, the job durations, the faults, the variant and
  the token, the request and fault counters the gate writes, and
  ``/_emulator/stats`` (objects as the platform counts them, requests, faults);
- :func:`phase`: where a job is by the clock (nothing runs in the background:
  status is computed when read, so a fake clock sees what a served emulator
  shows on the wall clock);
- :class:`Problem`: any answer other than success, one exception handler;
- :func:`build_app`: the FastAPI app, its state, its routes, the stats
  routes and the gate (authentication, counting, faults) in front.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import KW_ONLY, dataclass
from pathlib import Path
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from reconciler.emulators import DEFAULT_VARIANT
from reconciler.emulators.faults import FaultInjector, Faults
from reconciler.emulators.gate import Authenticate, Gate
from reconciler.emulators.plugins import Plugin
from reconciler.emulators.sqlite import SqliteFile, Tables, world_file
from reconciler.emulators.stats import add_stats_routes

TablesT = TypeVar("TablesT", bound=Tables)
WorldT = TypeVar("WorldT", bound="World[Any]")

#: Fault counts share the request-count table under this prefix, which no ``METHOD /path`` route has.
FAULT = "fault "
#: The share of a job's duration it reads queued (``pending``) before it runs, where a platform shows that.
QUEUED_SHARE = 0.2

WAITING, QUEUED, RUNNING, ENDED = "waiting", "queued", "running", "ended"


def phase(started_at: float | None, duration: float, *, now: float, queued: float = 0.0) -> str:
    """Where a job started at ``started_at`` (None: not yet) is at ``now``: one of the four phases.

    ``queued`` is the share of its duration a job reads queued before running
    (0: it runs at once); a job has ended once its duration has passed.
    """
    if started_at is None:
        return WAITING
    elapsed = now - started_at
    if elapsed >= duration:
        return ENDED
    return QUEUED if elapsed < queued * duration else RUNNING


class Problem(Exception):
    """An answer other than success: an HTTP status and the JSON body to send."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(str(body))
        self.status = status
        self.body = body


class World(Generic[TablesT]):
    """The emulated platform, on top of its store, a clock, job durations, faults and a variant."""

    #: The store's transaction class (a subclass's own): its ``TABLES`` are the store's tables.
    transaction: ClassVar[type[Tables]]

    def __init__(
        self,
        store: SqliteFile[TablesT],
        *,
        clock: Callable[[], float],
        durations: Mapping[str, float],
        faults: Faults | None = None,
        variant: str = DEFAULT_VARIANT,
        token: str | None = None,
        data_dir: Path | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.durations = dict(durations)
        self.faults = faults or Faults()
        self.variant = variant
        self.token = token
        self.data_dir = data_dir if data_dir is not None else store.path.parent

    @property
    def strict(self) -> bool:
        """Refuse what the vendor's pages require but a lenient platform lets pass."""
        return self.variant == "strict"

    @property
    def documented(self) -> bool:
        """Serve only what the vendor's pages show (the ``documented`` and ``strict`` variants)."""
        return self.variant != "full"

    def duration(self, kind: str) -> float:
        """Seconds a job of ``kind`` takes."""
        return float(self.durations[kind])

    # -- statistics -------------------------------------------------------------
    def objects(self, db: TablesT) -> dict[str, Any]:
        """What ``/_emulator/stats`` reports beside requests and faults: ``objects`` per kind, and more."""
        raise NotImplementedError

    def stats(self) -> dict[str, Any]:
        """Objects as the platform counts them, requests per route, injected faults per kind."""
        with self.store.transaction() as db:
            shown = self.objects(db)
            logged = db.request_counts()
        return {
            **shown,
            "requests": {route: n for route, n in logged.items() if not route.startswith(FAULT)},
            "faults": {
                route.removeprefix(FAULT): n for route, n in logged.items() if route.startswith(FAULT)
            },
        }

    def count_request(self, route: str) -> None:
        with self.store.transaction() as db:
            db.count_request(route)

    def count_fault(self, kind: str) -> None:
        self.count_request(FAULT + kind)

    def reset_requests(self) -> None:
        with self.store.transaction() as db:
            db.reset_requests()


class Authenticator(Protocol):
    """Makes an emulator's authentication check from its token (None: any) and its clock."""

    def __call__(self, secret: str | None, /, *, clock: Callable[[], float]) -> Authenticate: ...


@dataclass(frozen=True)
class Emulator(Generic[WorldT]):
    """A platform's own part of its emulator: its world, store tables, routes and authentication."""

    title: str
    _: KW_ONLY
    #: The world's class; it is given the store, clock, durations, faults, variant, token and data dir.
    world: type[WorldT]
    #: Adds the vendor's routes (and any ``/_emulator`` ones of its own) to the app.
    routes: Callable[[FastAPI, WorldT], None]
    #: Given the token (None: any) and the clock, the check the gate makes before a route runs.
    authenticate: Authenticator
    #: Requests under this path are counted and faulted but not authenticated (their key is in the body).
    unauthenticated: str | None = None


def build_app(
    plugin: Plugin,
    *,
    data_dir: Path,
    durations: Mapping[str, float],
    token: str | None,
    clock: Callable[[], float],
    faults: Faults | None = None,
    variant: str = DEFAULT_VARIANT,
) -> FastAPI:
    """The app of ``plugin``'s emulator, its world kept in ``data_dir/NAME.sqlite3``."""
    emulator: Emulator[Any] = plugin.load()
    tables = emulator.world.transaction
    store = SqliteFile(world_file(data_dir, plugin.name), schema=tables.TABLES, tx=tables)
    world = emulator.world(
        store,
        clock=clock,
        durations=durations,
        faults=faults,
        variant=variant,
        token=token,
        data_dir=data_dir,
    )
    injector = None if faults is None else FaultInjector(faults, clock=clock)
    app = FastAPI(title=emulator.title)
    app.state.store = store
    app.state.world = world
    app.state.faults = injector
    app.state.variant = variant

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return JSONResponse(exc.body, status_code=exc.status)

    emulator.routes(app, world)
    add_stats_routes(app, world)
    app.add_middleware(
        Gate,
        log=world,
        authenticate=emulator.authenticate(token, clock=clock),
        routes=app.router.routes,
        faults=injector,
        fault_log=world,
        unauthenticated=emulator.unauthenticated,
    )
    return app
