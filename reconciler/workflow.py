"""The reconciler's workflows as library calls: validate, plan, apply, show.

This is the Python API the command line is a thin shell over.  A
:class:`Workspace` is one spec and its state; ``plan`` reads the live
platforms and returns a :class:`~reconciler.engine.plan.Plan`; ``apply``
takes the state lock, plans, asks ``approve`` (if given) and executes.
Endpoints written ``emulator://NAME`` are served in-process by the emulator of
that platform, its world kept under ``.reconciler/emulators/``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler import errors
from reconciler.emulators.faults import Faults
from reconciler.emulators.transport import EmulatorTransport
from reconciler.engine.executor import ApplyReport, Event, Executor
from reconciler.engine.journal import Checkpointer
from reconciler.engine.plan import Plan
from reconciler.engine.planner import make_plan, refresh
from reconciler.providers.base import ClientOptions, Connection
from reconciler.providers.registry import PLATFORMS, resource_type, spec_registry
from reconciler.spec import load_spec
from reconciler.spec.model import Spec
from reconciler.state import StateBackend, open_backend
from reconciler.state.model import StateDocument

EMULATOR_SCHEME = "emulator://"


@dataclass(frozen=True)
class Settings:
    """Everything about a run that is not in the spec."""

    environ: Mapping[str, str] | None = None
    emulator_dir: Path | None = None
    emulator_durations: Mapping[str, Mapping[str, float]] | None = None
    emulator_clock: Callable[[], float] | None = None
    emulator_faults: Faults | None = None
    client: ClientOptions = field(default_factory=ClientOptions)
    lock_timeout: float = 0.0
    per_provider: int = 4

    def env(self) -> Mapping[str, str]:
        return os.environ if self.environ is None else self.environ


@dataclass(frozen=True)
class PlanResult:
    """A plan and what it was made from."""

    spec: Spec
    state: StateDocument
    plan: Plan


@dataclass(frozen=True)
class ApplyResult:
    """What apply did: the plan it carried out, how each change ended, and the new state."""

    plan: Plan
    report: ApplyReport
    state: StateDocument
    approved: bool = True
    interrupted: bool = False


@contextlib.contextmanager
def interrupts(stop: asyncio.Event) -> Iterator[None]:
    """SIGINT once: set ``stop`` (no new work, waits end). Twice: cancel the running apply at once."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()

    def on_interrupt() -> None:
        if stop.is_set() and task is not None:
            task.cancel()
        stop.set()

    try:
        loop.add_signal_handler(signal.SIGINT, on_interrupt)
    except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or no signals here
        yield
        return
    try:
        yield
    finally:
        loop.remove_signal_handler(signal.SIGINT)


class Workspace:
    """One spec (a file, a directory or several files) and its state."""

    def __init__(self, source: str | Path | list[str | Path], *, settings: Settings | None = None) -> None:
        self.source = source
        self.settings = settings or Settings()
        self._spec: Spec | None = None
        self._apps: dict[str, Any] = {}

    # spec and state ----------------------------------------------------------
    def validate(self) -> Spec:
        """Load and check the spec; raises SpecErrors with file:line:col."""
        if self._spec is None:
            self._spec = load_spec(self.source, registry=spec_registry(), environ=self.settings.env())
        return self._spec

    def backend(self) -> StateBackend:
        """The spec's state backend: a local file (default ``state/<spec name>.json``) or PostgreSQL."""
        spec = self.validate()
        config = spec.state
        path = None
        if config.backend == "local":
            if config.path:
                path = Path(config.path).expanduser()
                if not path.is_absolute():
                    path = spec.base_dir / path
            else:
                path = Path("state") / f"{spec.files[0].stem}.json"
        return open_backend(
            backend=config.backend,
            path=path,
            dsn=config.dsn.get_secret_value() if config.dsn else None,
            workspace=config.workspace or spec.files[0].stem,
        )

    def state(self) -> StateDocument:
        return self.backend().read()

    # plan and apply ------------------------------------------------------------
    async def plan(self) -> PlanResult:
        """Read the live platforms and compare them with the spec and the state (no lock, no writes)."""
        spec = self.validate()
        state = self.backend().read()
        async with self._clients(spec) as clients:
            plan = await self._plan(spec, state, clients)
        return PlanResult(spec=spec, state=state, plan=plan)

    async def apply(
        self,
        *,
        approve: Callable[[Plan], bool] | None = None,
        on_event: Callable[[Event], None] | None = None,
        detach: bool = False,
        handle_interrupts: bool = False,
    ) -> ApplyResult:
        """Plan, ask ``approve``, then carry the plan out under the state lock.

        ``detach`` submits and records jobs without waiting for them (the next
        apply resumes). With ``handle_interrupts`` a first SIGINT stops starting
        new work and stops waiting (jobs stay recorded), a second one cancels
        at once; either way the state is already persisted and the lock released.
        """
        spec = self.validate()
        backend = self.backend()
        stop = asyncio.Event()
        options = dataclasses.replace(self.settings.client, detach=detach, stop=stop)
        with backend.lock(operation="apply", timeout=self.settings.lock_timeout):
            state = backend.read()
            async with self._clients(spec, options) as clients:
                plan = await self._plan(spec, state, clients)
                if plan.has_changes and approve is not None and not approve(plan):
                    return ApplyResult(plan=plan, report=ApplyReport(), state=state, approved=False)
                checkpointer = Checkpointer(state, backend)
                executor = Executor(
                    plan,
                    spec=spec,
                    types=resource_type,
                    clients=clients,
                    checkpointer=checkpointer,
                    on_event=on_event,
                    per_provider=self.settings.per_provider,
                    stop=stop,
                )
                with interrupts(stop) if handle_interrupts else contextlib.nullcontext():
                    report = await executor.run()
        return ApplyResult(plan=plan, report=report, state=checkpointer.document, interrupted=stop.is_set())

    async def _plan(self, spec: Spec, state: StateDocument, clients: Mapping[str, Any]) -> Plan:
        facts = await refresh(spec, state, types=resource_type, clients=clients)
        described = {
            name: PLATFORMS[provider.platform].describe(provider.config)
            for name, provider in spec.providers.items()
        }
        return make_plan(spec, state, facts, types=resource_type, providers=described)

    # connections ---------------------------------------------------------------
    @asynccontextmanager
    async def _clients(
        self, spec: Spec, options: ClientOptions | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        used = {resource.provider for resource in spec.resources.values()}
        async with AsyncExitStack() as stack:
            clients: dict[str, Any] = {}
            for name in sorted(used):
                provider = spec.providers[name]
                platform = PLATFORMS[provider.platform]
                connection = self._connection(
                    provider.name, platform.endpoint(provider.config), platform.api_path
                )
                clients[name] = await stack.enter_async_context(
                    platform.connect(
                        name, provider.config, connection=connection, options=options or self.settings.client
                    )
                )
            yield clients

    def _connection(self, instance: str, endpoint: str, api_path: str) -> Connection:
        if endpoint.startswith(EMULATOR_SCHEME):
            name = endpoint[len(EMULATOR_SCHEME) :].strip("/")
            app = self._emulator(instance, name)
            return Connection(
                base_url=f"http://{name}.emulator{api_path}", transport=EmulatorTransport(app), emulated=True
            )
        if endpoint.startswith(("http://", "https://")):
            return Connection(base_url=endpoint.rstrip("/"))
        raise errors.ReconcilerError(
            f"provider {instance}: endpoint {endpoint!r} is neither http(s):// nor emulator://",
            hint="write e.g. https://app.alviss.io/api/v1/api or emulator://alviss",
        )

    def _emulator(self, instance: str, name: str) -> Any:
        if name not in self._apps:
            from reconciler import emulators
            from reconciler.emulators import faults

            if name not in emulators.EMULATORS:
                raise errors.ReconcilerError(
                    f"provider {instance}: there is no emulator named {name!r}",
                    hint=f"emulators: {', '.join(emulators.EMULATORS)}",
                )
            env = self.settings.env()
            data_dir = self.settings.emulator_dir or Path(
                env.get("RECONCILER_EMULATOR_DIR", ".reconciler/emulators")
            )
            durations: Mapping[str, float] | None = None
            if self.settings.emulator_durations is not None:
                durations = self.settings.emulator_durations.get(name)
            elif env.get("RECONCILER_EMULATOR_DURATIONS"):
                durations = emulators.parse_durations(env["RECONCILER_EMULATOR_DURATIONS"], name=name)
            extra: dict[str, Any] = {}
            if self.settings.emulator_clock is not None:
                extra["clock"] = self.settings.emulator_clock
            if self.settings.emulator_faults is not None:
                extra["faults"] = self.settings.emulator_faults
            elif env.get("RECONCILER_EMULATOR_FAULTS"):
                extra["faults"] = faults.parse(env["RECONCILER_EMULATOR_FAULTS"])
            self._apps[name] = emulators.create_app(name, data_dir=data_dir, durations=durations, **extra)
        return self._apps[name]
