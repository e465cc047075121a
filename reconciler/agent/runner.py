"""``reconciler agent``: keep many workspaces reconciled, sharing them with any number of replicas.

Each workspace (one spec) has its own schedule: it is due ``--interval`` after
its last run, moved at random by up to ``--jitter`` of the interval so that
replicas started together drift apart.  When it is due, a cycle
(:mod:`.cycle`) runs if, and only if:

1. this agent can take the workspace's claim (:mod:`.claims`) without
   waiting: another replica holding it is working on it now, and this one
   looks again after half an interval;
2. the workspace's run history (shared through the state backend) shows no
   run finished within the interval: another replica did it, and the
   schedule follows that run instead.

So each workspace is planned about once per interval whatever the number of
replicas, never by two at once, and a replica that dies (its claims die with
its database session) has its workspaces taken over by another within one
interval.  At most ``--concurrency`` cycles run at once.

SIGTERM (or SIGINT) stops the agent: no new cycle starts, running applies
stop as a first Ctrl-C stops ``apply`` (nothing new is submitted, waits end,
every job stays recorded, the state is checkpointed), claims are released, the
server stops, and the agent exits 0.  A second signal cancels what still runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import random as random_module
import signal
import socket
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from reconciler import errors
from reconciler.agent.claims import Claims, LocalClaims, PostgresClaims
from reconciler.agent.cycle import CycleSettings, run_cycle
from reconciler.agent.metrics import Metrics
from reconciler.agent.options import AgentOptions, Target, find_targets
from reconciler.agent.page import Seen, render
from reconciler.agent.server import Health, Served, make_app
from reconciler.spec.variables import VarInputs
from reconciler.state import StateBackend
from reconciler.state.runs import RunRecord, recent_runs, record_run
from reconciler.workflow import Settings, Workspace

logger = logging.getLogger("reconciler.agent")

#: The longest the scheduler sleeps between two looks at its workspaces.
TICK = 1.0
#: How many runs of a workspace the page shows.
PAGE_RUNS = 20
#: Seconds between two checks that the state database answers (``/readyz``).
READY_EVERY = 5.0


@dataclass
class Slot:
    """One workspace as the scheduler keeps it."""

    target: Target
    name: str
    due: float
    backend: Literal["local", "postgres"] | None = None
    key: str | None = None
    dsn: str | None = None
    running: bool = False
    cycles: int = 0
    seen: Seen | None = None
    said_local: bool = False


@dataclass
class Timing:
    """The agent's time and chance, injected by tests."""

    clock: Callable[[], float] = time.time
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    random: Callable[[], float] = random_module.random


@dataclass
class Agent:
    """The scheduler, its claims, its metrics and its HTTP endpoints."""

    options: AgentOptions
    settings: Settings = field(default_factory=Settings)
    timing: Timing = field(default_factory=Timing)
    cwd: Path | None = None
    #: Told the URL the endpoints are served at, once they are.
    on_serving: Callable[[str], None] | None = None

    def __post_init__(self) -> None:
        self.id = f"{socket.gethostname()}:{os.getpid()}"
        self.metrics = Metrics(agent=self.id, clock=self.timing.clock)
        self.health = Health(self.timing.clock)
        self.stop = asyncio.Event()
        self.slots: list[Slot] = []
        self._claims: dict[str, Claims] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._limit = asyncio.Semaphore(self.options.concurrency)
        self._forced = False
        self._checked = float("-inf")
        self._served: Served | None = None

    # -- the whole run ---------------------------------------------------------------------------

    async def run(self) -> int:
        """Run until stopped (or, with ``once``, until every workspace had one cycle); the exit code."""
        found = find_targets(self.options.specs, self.options.var_files, cwd=self.cwd)
        self.slots = [self._slot(target) for target in found.targets]
        self._refuse_shared_state()
        for slot in self.slots:
            if slot.backend is not None:
                self._claims_for(slot)  # so /readyz knows whether each state database answers
        self.metrics.watch(slot.name for slot in self.slots)
        for pattern, specs in found.matched.items():
            logger.info("var file pattern %s: %s", pattern, ", ".join(specs))
        if found.skipped:
            logger.info("not specs (no version: and resources: at the top): %s", ", ".join(found.skipped))
        self._say_sharing()
        app = make_app(self.metrics, self.health, self.page)
        self._served = Served(app, host=self.options.host, port=self.options.port)
        await self._served.start()
        logger.info(
            "agent %s: %d workspace(s), every %gs, apply %s, %d at once; serving %s (/metrics, /healthz, /)",
            self.id,
            len(self.slots),
            self.options.interval,
            self.options.apply,
            self.options.concurrency,
            self._served.url,
        )
        if self.on_serving is not None:
            self.on_serving(self._served.url)
        try:
            with self._signals():
                await self._schedule()
        finally:
            self.health.set_ready(False, "stopping")
            await self._drain()
            for claims in self._claims.values():
                claims.close()
            await self._served.stop()
        logger.info("agent %s stopped: claims released", self.id)
        return 130 if self._forced else 0

    async def _schedule(self) -> None:
        first = True
        while not self.stop.is_set():
            self.health.tick()
            self._check_ready()
            now = self.timing.clock()
            for slot in self.slots:
                if slot.running or slot.due > now:
                    continue
                if self.options.once and slot.cycles > 0:
                    continue
                self._start(slot)
            if self.options.once and not self._tasks and all(slot.cycles > 0 for slot in self.slots):
                return
            first = False
            waits = [slot.due - now for slot in self.slots if not slot.running]
            delay = min([TICK, *waits]) if waits else TICK
            await self._nap(max(delay, 0.01 if not first else 0.0))

    def _start(self, slot: Slot) -> None:
        slot.running = True
        task = asyncio.create_task(self._turn(slot), name=f"cycle {slot.name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _turn(self, slot: Slot) -> None:
        try:
            async with self._limit:
                if self.stop.is_set():
                    return
                await self._cycle(slot)
        except asyncio.CancelledError:
            raise
        except Exception:  # the agent outlives any one cycle's bug
            logger.exception("workspace %s: the cycle failed unexpectedly", slot.name)
            slot.due = self._next(self.options.interval)
        finally:
            slot.cycles += 1
            slot.running = False

    async def _cycle(self, slot: Slot) -> None:
        workspace = self._workspace(slot.target)
        try:
            self._identify(slot, workspace)
        except errors.ReconcilerError as error:
            self._failed_to_load(slot, error)
            return
        assert slot.key is not None
        claims = self._claims_for(slot)
        try:
            claimed = claims.try_claim(slot.key)
        except errors.ReconcilerError as error:
            logger.warning("workspace %s: %s", slot.name, _line(error))
            slot.due = self._next(self.options.interval / 2)
            return
        backend = workspace.backend()
        try:
            if not claimed:
                logger.debug("workspace %s: another agent is working on it; looking again later", slot.name)
                slot.due = self._next(self.options.interval / 2)
                self._look(slot, workspace, backend)
                return
            try:
                last = self._last_run(backend)
                if last is not None and self._recent(last):
                    # Another replica ran it within the interval: follow its schedule, show what it found.
                    slot.due = last.finished_at.timestamp() + self._jittered(self.options.interval)
                    self._look(slot, workspace, backend)
                    return
                await self._reconcile(slot, workspace, backend)
            finally:
                claims.release(slot.key)
        finally:
            _close(backend)
        slot.due = self._next(self.options.interval)

    async def _reconcile(self, slot: Slot, workspace: Workspace, backend: StateBackend) -> None:
        settings = CycleSettings(
            mode=self.options.apply,
            detach=self.options.detach,
            plan_dir=self.options.plan_dir,
            agent=self.id,
            now=self._now,
            on_job=self.metrics.observe_job,
        )
        result = await run_cycle(
            workspace, name=slot.name, spec_path=slot.target.spec, settings=settings, stop=self.stop
        )
        run = result.run
        try:
            run = record_run(backend, run)
        except errors.ReconcilerError as error:
            logger.warning("workspace %s: the run could not be recorded: %s", slot.name, _line(error))
        self.metrics.observe_run(run, ours=True)
        if result.state is not None:
            self.metrics.observe_state(slot.name, result.state)
        runs = self._runs(backend) or (run,)
        slot.seen = Seen(
            slot.name,
            slot.target.label,
            spec=result.spec,
            state=result.state,
            plan=result.plan,
            planned_at=result.planned_at,
            runs=runs,
            error=run.error if run.outcome == "error" else None,
        )
        _log_run(run)

    # -- looking without working -----------------------------------------------------------------

    def _look(self, slot: Slot, workspace: Workspace, backend: StateBackend) -> None:
        """Take in what another replica's runs found (metrics and page), reading only."""
        runs = self._runs(backend)
        for run in reversed(runs[:1]):
            self.metrics.observe_run(run, ours=False)
        state = None
        with contextlib.suppress(errors.ReconcilerError):
            state = backend.read()
            self.metrics.observe_state(slot.name, state)
        spec = None
        with contextlib.suppress(errors.ReconcilerError):
            spec = workspace.layout()
        old = slot.seen
        plan = old.plan if old is not None and runs and old.runs and old.runs[0] == runs[0] else None
        slot.seen = Seen(
            slot.name,
            slot.target.label,
            spec=spec,
            state=state,
            plan=plan,
            planned_at=old.planned_at if plan is not None and old is not None else None,
            runs=runs,
            error=runs[0].error if runs and runs[0].outcome == "error" else None,
        )

    def _runs(self, backend: StateBackend) -> tuple[RunRecord, ...]:
        try:
            return tuple(recent_runs(backend, limit=PAGE_RUNS))
        except errors.ReconcilerError as error:
            logger.warning("%s: the run history could not be read: %s", backend.describe(), _line(error))
            return ()

    def _last_run(self, backend: StateBackend) -> RunRecord | None:
        runs = recent_runs(backend, limit=1)
        return runs[0] if runs else None

    def _recent(self, run: RunRecord) -> bool:
        # Within the shortest wait a schedule makes: such a run is this interval's.
        shortest = self.options.interval * (1 - self.options.jitter) * 0.9
        return self.timing.clock() - run.finished_at.timestamp() < shortest

    # -- workspaces ------------------------------------------------------------------------------

    def _slot(self, target: Target) -> Slot:
        # Spread the first cycles over a tenth of the interval, so replicas do not all start at once.
        spread = 0.0 if self.options.once else min(self.options.interval * 0.1, 5.0)
        due = self.timing.clock() + self.timing.random() * spread
        slot = Slot(target=target, name=target.spec.stem, due=due)
        try:
            self._identify(slot, self._workspace(target))
        except errors.ReconcilerError as error:
            logger.error("workspace %s (%s): %s", slot.name, target.label, _line(error))
            slot.seen = Seen(slot.name, target.label, error=_line(error))
        return slot

    def _workspace(self, target: Target) -> Workspace:
        variables = VarInputs(files=target.var_files)
        client = dataclasses.replace(self.settings.client, on_fault=self.metrics.observe_fault)
        # No wait for a state lock someone holds (the wait would block the loop): that cycle is an
        # error on the record, and the next one tries again.
        settings = dataclasses.replace(self.settings, variables=variables, client=client, lock_timeout=0.0)
        return Workspace(target.spec, settings=settings)

    def _identify(self, slot: Slot, workspace: Workspace) -> None:
        """The workspace's name and claim key from its state block (read again each cycle)."""
        spec = workspace.layout()
        state = spec.state
        if state.backend == "postgres":
            slot.name = state.workspace or spec.files[0].stem
            slot.backend, slot.key = "postgres", slot.name
            slot.dsn = state.dsn.get_secret_value() if state.dsn else None
        else:
            path = workspace.state_path()
            assert path is not None
            slot.name = spec.files[0].stem
            slot.backend, slot.key, slot.dsn = "local", str(path), None
            if not slot.said_local:
                slot.said_local = True
                logger.info(
                    "workspace %s keeps its state in the local file %s: this agent works on it alone "
                    "(replicas share workspaces only through the postgres state backend)",
                    slot.name,
                    path,
                )

    def _refuse_shared_state(self) -> None:
        owners: dict[str, str] = {}
        for slot in self.slots:
            if slot.key is None:
                continue
            other = owners.setdefault(f"{slot.backend}:{slot.key}", slot.target.label)
            if other != slot.target.label:
                raise errors.ReconcilerError(
                    f"{other} and {slot.target.label} keep their state in the same place ({slot.name})",
                    hint="give each spec its own state (state.workspace for postgres, state.path for local)",
                )

    def _say_sharing(self) -> None:
        kinds = {slot.backend for slot in self.slots if slot.backend is not None}
        if kinds == {"local"}:
            logger.info(
                "every workspace has a local state: this agent runs alone; "
                "run replicas with the postgres state backend"
            )

    def _failed_to_load(self, slot: Slot, error: errors.ReconcilerError) -> None:
        logger.error("workspace %s (%s): %s", slot.name, slot.target.label, _line(error))
        now = self._now()
        run = RunRecord(
            workspace=slot.name, kind="plan", started_at=now, finished_at=now, outcome="error",
            error=_line(error), agent=self.id,
        )  # fmt: skip
        self.metrics.observe_run(run, ours=True)
        old = slot.seen
        slot.seen = Seen(slot.name, slot.target.label, runs=old.runs if old else (), error=_line(error))
        slot.due = self._next(self.options.interval)

    def _claims_for(self, slot: Slot) -> Claims:
        if slot.backend == "postgres":
            assert slot.dsn is not None
            key = f"postgres:{slot.dsn}"
            if key not in self._claims:
                self._claims[key] = PostgresClaims(slot.dsn)
            return self._claims[key]
        if "local" not in self._claims:
            self._claims["local"] = LocalClaims()
        return self._claims["local"]

    # -- the page, health, time --------------------------------------------------------------------

    def page(self) -> str:
        seen = [slot.seen or Seen(slot.name, slot.target.label) for slot in self.slots]
        refresh = max(5, min(int(self.options.interval), 60))
        return render(seen, refresh_seconds=refresh, now=self._now())

    def _check_ready(self) -> None:
        if self.stop.is_set():
            self.health.set_ready(False, "stopping")
            return
        now = self.timing.clock()
        if self.health.ready and now - self._checked < READY_EVERY:
            return
        self._checked = now
        for name, claims in list(self._claims.items()):
            if not claims.check():
                self.health.set_ready(False, f"the state database does not answer ({name.split(':')[0]})")
                return
        self.health.set_ready(True)

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.timing.clock(), UTC)

    def _jittered(self, seconds: float) -> float:
        spread = self.options.jitter
        return seconds * (1 - spread + 2 * spread * self.timing.random())

    def _next(self, seconds: float) -> float:
        return self.timing.clock() + self._jittered(seconds)

    async def _nap(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        napping = asyncio.ensure_future(self.timing.sleep(seconds))
        stopping = asyncio.ensure_future(self.stop.wait())
        try:
            await asyncio.wait({napping, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (napping, stopping):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _drain(self) -> None:
        """Let running cycles reach their checkpoint (they see the stop); a second signal cancels them."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    @contextlib.contextmanager
    def _signals(self) -> Iterator[list[signal.Signals]]:
        loop = asyncio.get_running_loop()

        def on_signal(name: str) -> None:
            if self.stop.is_set():
                logger.warning("%s again: cancelling what still runs (every job stays recorded)", name)
                self._forced = True
                for task in list(self._tasks):
                    task.cancel()
                return
            logger.info("%s: finishing the current checkpoints, then releasing claims and stopping", name)
            self.stop.set()

        installed = []
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                loop.add_signal_handler(sig, on_signal, sig.name)
                installed.append(sig)
            except (NotImplementedError, RuntimeError, ValueError):  # not the main thread
                pass
        try:
            yield installed
        finally:
            for sig in installed:
                loop.remove_signal_handler(sig)


def _close(backend: StateBackend) -> None:
    close = getattr(backend, "close", None)
    if close is not None:
        with contextlib.suppress(Exception):
            close()


def _line(error: errors.ReconcilerError) -> str:
    return " ".join(str(error).split())


def _log_run(run: RunRecord) -> None:
    parts = [f"workspace {run.workspace}: {run.kind} {run.outcome}"]
    if run.drift is not None:
        parts.append(f"drift {run.drift}")
    if run.plan_summary:
        parts.append("plan " + ", ".join(f"{n} {k}" for k, n in sorted(run.plan_summary.items())))
    if run.apply_summary:
        parts.append("apply " + ", ".join(f"{n} {k}" for k, n in sorted(run.apply_summary.items())))
    if run.plan_file:
        parts.append(f"waiting for: reconciler approve {run.plan_file}")
    parts.append(f"{run.duration:.1f}s")
    line = "; ".join(parts)
    if run.error:
        logger.warning("%s; error: %s", line, run.error)
    else:
        logger.info("%s", line)
    for address, message in sorted(run.failures.items()):
        logger.warning("workspace %s: %s: %s", run.workspace, address, message)
