"""The reconciler's workflows as library calls: validate, plan, apply, drift, state commands.

This is the Python API the command line is a thin shell over.  A
:class:`Workspace` is one spec and its state; ``plan`` reads the live
platforms and returns a :class:`~reconciler.engine.plan.Plan` (and may save
it); ``apply`` takes the state lock, plans (or checks a saved plan against
a fresh read), asks ``approve`` (if given) and executes; ``drift`` plans
without lock or writes and classifies what differs.  The state commands
(list, show, rm, mv, import, force-unlock, migrate) take the lock whenever
they write, waiting ``Settings.lock_timeout`` seconds for it.
Endpoints written ``emulator://NAME`` are served in-process by the emulator of
that platform, its world kept beside the state (:meth:`Workspace.emulator_dir`),
so every command gives the same answer whatever directory it runs from.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import shlex
import signal
import tempfile
from collections.abc import AsyncIterator, Callable, Collection, Iterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from reconciler import errors
from reconciler.engine import saved
from reconciler.engine.adopt import adopt
from reconciler.engine.checkpoint import Checkpointer
from reconciler.engine.drift import DriftReport
from reconciler.engine.early import EarlyApply, branches
from reconciler.engine.executor import ApplyReport, Event, Executor
from reconciler.engine.graph import Graph
from reconciler.engine.lifecycle import refused_replacements
from reconciler.engine.moves import AlreadyThere, NothingThere, apply_moves, move_records
from reconciler.engine.outputs import OutputNote, record_outputs
from reconciler.engine.plan import Plan
from reconciler.engine.planner import (
    ambiguity,
    check_addresses,
    expand_addresses,
    look_up,
    refresh,
    select,
)
from reconciler.engine.remote import check_named, data_named, plan_reads, raise_all, read_data, read_named
from reconciler.providers.base import ClientOptions, Connection, emulator_name, endpoint_problem
from reconciler.providers.hashcache import hash_cache
from reconciler.providers.platform import Platform
from reconciler.providers.registry import PLATFORMS, data_source, remote_kind, resource_type, spec_registry
from reconciler.spec import load_spec
from reconciler.spec.document import Spec
from reconciler.spec.names import resource_of, type_of
from reconciler.spec.variables import VarInputs
from reconciler.state import StateBackend, open_backend
from reconciler.state.document import ResourceState, StateDocument

if TYPE_CHECKING:
    from reconciler.emulators.faults import Faults

#: Where an ``emulator://`` world is kept, in the state file's directory (see ``Workspace.emulator_dir``).
WORLD_DIR = Path(".reconciler") / "emulators"
#: The data files' remembered hashes (:mod:`reconciler.providers.hashcache`), beside the worlds.
HASH_CACHE = Path(".reconciler") / "file-hashes.json"


@dataclass(frozen=True)
class Settings:
    """Everything about a run that is not in the spec."""

    environ: Mapping[str, str] | None = None
    emulator_dir: Path | None = None
    emulator_durations: Mapping[str, Mapping[str, float]] | None = None
    emulator_clock: Callable[[], float] | None = None
    emulator_faults: Faults | None = None
    emulator_variant: str | None = None  # None: $RECONCILER_EMULATOR_VARIANT, else "full"
    client: ClientOptions = field(default_factory=ClientOptions)
    lock_timeout: float = 0.0
    per_provider: int = 4
    rehash: bool = False  # hash every data file again rather than trust the remembered hashes
    variables: VarInputs = field(default_factory=VarInputs)

    def env(self) -> Mapping[str, str]:
        return os.environ if self.environ is None else self.environ


class _Brief:
    """A result's repr names only its plan's size: ``asyncio.run`` reprs the value its task returned
    when it puts SIGINT's handler back, and the whole spec, state and plan of 2,000 resources took a
    tenth of a second to write out."""

    plan: Plan

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self.plan.changes)} changes)"


@dataclass(frozen=True, repr=False)
class PlanResult(_Brief):
    """A plan and what it was made from."""

    spec: Spec
    state: StateDocument
    plan: Plan


@dataclass(frozen=True, repr=False)
class DriftResult(_Brief):
    """A read-only plan and, per resource, why it differs (exit code included)."""

    plan: Plan
    report: DriftReport


@dataclass(frozen=True, repr=False)
class ApplyResult(_Brief):
    """What apply did: the plan it carried out, how each change ended, and the new state."""

    plan: Plan
    report: ApplyReport
    state: StateDocument
    approved: bool = True
    interrupted: bool = False
    #: Outputs this apply could not compute (each kept its earlier value, if any).
    output_notes: tuple[OutputNote, ...] = ()


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
        self._layout: Spec | None = None  # the spec loaded without its data files checked
        self._apps: dict[str, Any] = {}

    # spec and state ----------------------------------------------------------
    def validate(self) -> Spec:
        """Load and check the spec; raises SpecErrors with file:line:col."""
        if self._spec is None:
            self._spec = load_spec(
                self.source,
                registry=spec_registry(),
                environ=self.settings.env(),
                variables=self.settings.variables,
            )
        return self._spec

    def layout(self) -> Spec:
        """The spec, checked in everything but its data files: enough to find and edit the state.

        ``state …``, ``show SPEC`` and ``force-unlock`` use it, so a data file
        missing for a while (a CSV not yet exported) does not lock anyone out
        of the state; ``validate``, ``plan`` and ``apply`` check the files too.
        """
        if self._spec is not None:
            return self._spec
        if self._layout is None:
            self._layout = load_spec(
                self.source,
                registry=spec_registry(),
                environ=self.settings.env(),
                data_files=False,
                variables=self.settings.variables,
            )
        return self._layout

    def state_path(self) -> Path | None:
        """Where a local state is kept (None for PostgreSQL), whatever the working directory.

        ``state.path`` is relative to the spec file; without it the state is
        ``state/<spec name>.json`` beside the spec.
        """
        spec = self.layout()
        if spec.state.backend != "local":
            return None
        if spec.state.path:
            path = Path(spec.state.path).expanduser()
            return (spec.base_dir / path).resolve()
        path = (spec.base_dir / "state" / f"{spec.files[0].stem}.json").resolve()
        _refuse_stray_state(path, Path("state") / path.name)
        return path

    def backend(self) -> StateBackend:
        """The spec's state backend: a local file (default ``state/<spec name>.json``) or PostgreSQL."""
        spec = self.layout()
        config = spec.state
        return open_backend(
            backend=config.backend,
            path=self.state_path(),
            dsn=config.dsn.get_secret_value() if config.dsn else None,
            workspace=config.workspace or spec.files[0].stem,
        )

    def emulator_dir(self, provider: str) -> Path:
        """The directory of the world of an ``emulator://`` provider instance.

        In order: ``Settings.emulator_dir``, ``$RECONCILER_EMULATOR_DIR``, the
        provider block's ``emulator_dir`` (relative to the spec file), else
        ``.reconciler/emulators/`` in the local state file's directory (for
        a PostgreSQL state, in the spec's directory).  Never the working
        directory: any directory a command runs from sees the same world.
        """
        if self.settings.emulator_dir is not None:
            return self.settings.emulator_dir
        env = self.settings.env().get("RECONCILER_EMULATOR_DIR")
        if env:
            return Path(env).expanduser()
        spec = self.layout()
        named = getattr(spec.providers[provider].config, "emulator_dir", None)
        if named:
            return (spec.base_dir / Path(named).expanduser()).resolve()
        state = self.state_path()
        return (state.parent if state is not None else spec.base_dir) / WORLD_DIR

    def state(self) -> StateDocument:
        return self.backend().read()

    # plan and apply ------------------------------------------------------------
    async def plan(
        self, *, targets: Collection[str] = (), replace: Collection[str] = (), out: Path | None = None
    ) -> PlanResult:
        """Read the live platforms and compare them with the spec and the state (no lock).

        ``out`` saves the plan for a later ``apply`` of that file.
        """
        spec = self.validate()
        state = self.backend().read()
        async with self._clients(spec, state=state) as clients:
            plan = await self._plan(spec, state, clients, targets=targets, replace=replace)
        if out is not None:
            saved.write(out, plan, spec=spec, sources=self._sources())
        return PlanResult(spec=spec, state=state, plan=plan)

    async def drift(self) -> DriftResult:
        """What differs from the spec and why: no lock, no state write, GET requests only."""
        result = await self.plan()
        return DriftResult(plan=result.plan, report=DriftReport.from_plan(result.plan))

    @classmethod
    def from_plan_file(cls, path: Path, *, settings: Settings | None = None) -> tuple[Workspace, Path]:
        """The workspace a saved plan was made for (its recorded spec files), and the plan's path."""
        document = saved.read(path)
        if not document.sources:
            raise errors.PlanError(f"{path} does not name its spec", hint="apply it with --spec SPEC")
        sources: list[str | Path] = list(saved.spec_sources(document, plan_file=path))
        return cls(sources if len(sources) > 1 else sources[0], settings=settings), path

    @classmethod
    def here(cls, directory: Path | None = None, *, settings: Settings | None = None) -> Workspace:
        """The workspace of the one spec in ``directory`` (default: the current one) or its ``specs/``.

        What counts as a spec file, and where it is looked for, is
        :mod:`reconciler.spec.discover`'s rule; none or several is an error
        listing what was found.
        """
        from reconciler.spec.discover import find_specs

        where = directory if directory is not None else Path()
        found = find_specs(where)
        shown = "the current directory" if directory is None else str(directory)
        if not found:
            raise errors.ReconcilerError(
                f"no spec in {shown} or its specs/ (a .yaml file with version: and resources: at its top)",
                hint="name one: reconciler show SPEC (or a saved plan: reconciler show PLANFILE)",
            )
        if len(found) > 1:
            names = ", ".join(str(path) for path in found)
            raise errors.ReconcilerError(
                f"{len(found)} specs in {shown} and its specs/: {names}; which one?",
                hint=f"name one: reconciler show {found[0]}",
            )
        return cls(found[0], settings=settings)

    def _sources(self) -> list[str]:
        source = self.source if isinstance(self.source, list) else [self.source]
        return [str(item) for item in source]

    async def apply(
        self,
        *,
        approve: Callable[[Plan], bool] | None = None,
        on_event: Callable[[Event], None] | None = None,
        detach: bool = False,
        handle_interrupts: bool = False,
        targets: Collection[str] = (),
        replace: Collection[str] = (),
        plan_file: Path | None = None,
        early: bool = False,
        stop: asyncio.Event | None = None,
    ) -> ApplyResult:
        """Plan, ask ``approve``, then carry the plan out under the state lock.

        ``detach`` submits and records jobs without waiting for them (the next
        apply resumes). With ``handle_interrupts`` a first SIGINT stops starting
        new work and stops waiting (jobs stay recorded), a second one cancels
        at once; either way the state is already persisted and the lock released.

        With ``plan_file`` the saved plan is carried out exactly, after checking
        that the state and every live object it was based on are unchanged
        (otherwise :class:`errors.PlanError` names each difference).

        ``early`` (``apply --auto-approve``: every plan is approved) starts each
        branch of the spec as soon as its own reads are done, rather than after
        the whole refresh (:mod:`reconciler.engine.early`); ``approve`` is still
        given the whole plan (to show it) before any progress is reported.  It
        applies without a saved plan, ``--target`` or moved blocks to apply.

        ``stop``, when given and set (the agent's SIGTERM), ends the run as a
        first SIGINT does: nothing new starts, waits end, every job stays recorded.
        """
        stored = saved.read(plan_file) if plan_file is not None else None
        if stored is not None and stored.variables:
            self.use_recorded_variables(stored.variables)
        spec = self.validate()
        backend = self.backend()
        stop = stop if stop is not None else asyncio.Event()
        options = dataclasses.replace(self.settings.client, detach=detach, stop=stop)
        with self._lock(backend, operation="apply"):
            state = backend.read()
            async with self._clients(spec, options, state=state) as clients:
                graph = Graph.from_spec(spec)

                def executor(
                    plan: Plan, checkpointer: Checkpointer, report: Callable[[Event], None] | None
                ) -> Executor:
                    return Executor(
                        plan,
                        spec=spec,
                        types=resource_type,
                        clients=clients,
                        checkpointer=checkpointer,
                        on_event=report,
                        per_provider=self.settings.per_provider,
                        stop=stop,
                        graph=graph,
                    )

                sooner = (
                    early
                    and stored is None
                    and not targets
                    and not apply_moves(spec, state)[1]
                    and len(branches(spec, graph)) > 1
                )
                # The one checkpointer of this apply (made anew once moved records are written, see
                # _apply_planned): whatever ends the apply, it is closed, folding its log into the state.
                made = [Checkpointer(state, backend)]
                stoppable = interrupts(stop) if handle_interrupts else contextlib.nullcontext()
                try:
                    if sooner:
                        with stoppable:  # jobs may start while other branches are still being read
                            plan, report, approved = await self._apply_early(
                                spec, state, clients, made[0], executor,
                                approve=approve, on_event=on_event, replace=replace, stop=stop,
                            )  # fmt: skip
                        if not approved:
                            made[0].close()
                            document = made[0].document
                            return ApplyResult(plan=plan, report=report, state=document, approved=False)
                    else:
                        outcome = await self._apply_planned(
                            spec, state, backend, clients, executor,
                            approve=approve, on_event=on_event, targets=targets, replace=replace,
                            stored=stored, plan_file=plan_file, stoppable=stoppable, made=made,
                        )  # fmt: skip
                        if isinstance(outcome, ApplyResult):
                            return outcome
                        plan, report = outcome
                except BaseException:
                    # Everything recorded is durable in the checkpoint log already; fold it in if possible.
                    with contextlib.suppress(errors.StateError):
                        made[0].close()
                    raise
                checkpointer = made[0]
                checkpointer.close()
                read = {source.address: source.outputs for source in plan.data}
                document, notes = record_outputs(spec, checkpointer.document, data=read)
                if document is not checkpointer.document:
                    document = backend.write(document)
        report.moved = len(plan.moved)
        return ApplyResult(
            plan=plan, report=report, state=document, interrupted=stop.is_set(), output_notes=notes
        )

    async def _apply_planned(
        self,
        spec: Spec,
        state: StateDocument,
        backend: StateBackend,
        clients: Mapping[str, Any],
        executor: Callable[[Plan, Checkpointer, Callable[[Event], None] | None], Executor],
        *,
        approve: Callable[[Plan], bool] | None,
        on_event: Callable[[Event], None] | None,
        targets: Collection[str],
        replace: Collection[str],
        stored: saved.SavedPlan | None,
        plan_file: Path | None,
        stoppable: contextlib.AbstractContextManager[None],
        made: list[Checkpointer],
    ) -> ApplyResult | tuple[Plan, ApplyReport]:
        """The whole plan made (or a saved one checked), approved, then carried out (``made`` holds the
        checkpointer it records through)."""
        if stored is not None:  # planned again with the saved plan's own selection
            targets, replace = stored.plan.targets, stored.plan.replace
        plan = await self._plan(spec, state, clients, targets=targets, replace=replace)
        if stored is not None:
            stale = saved.stale_reasons(stored, state=state, spec=spec, fresh=plan)
            if stale:
                raise errors.PlanError(
                    f"the saved plan {plan_file} no longer matches what it was based on:\n  - "
                    + "\n  - ".join(stale),
                    hint="make a new plan (plan -out FILE) and review it",
                )
            # The fresh plan is the saved one change for change (checked above); carrying it
            # out rather than the file's copy means nothing read from the file reaches a platform.
        if plan.has_changes and approve is not None and not approve(plan):
            return ApplyResult(plan=plan, report=ApplyReport(), state=state, approved=False)
        if plan.moved:  # recorded first, as `state mv` would: nothing is sent
            state = backend.write(apply_moves(spec, state)[0])
            made[0] = Checkpointer(state, backend)
        with stoppable:
            report = await executor(plan, made[0], on_event).run()
        return plan, report

    async def _apply_early(
        self,
        spec: Spec,
        state: StateDocument,
        clients: Mapping[str, Any],
        checkpointer: Checkpointer,
        executor: Callable[[Plan, Checkpointer, Callable[[Event], None] | None], Executor],
        *,
        approve: Callable[[Plan], bool] | None,
        on_event: Callable[[Event], None] | None,
        replace: Collection[str],
        stop: asyncio.Event,
    ) -> tuple[Plan, ApplyReport, bool]:
        """Each branch started as soon as it is planned; the whole plan shown once made, then progress.
        Also whether ``approve`` said yes."""
        start = EarlyApply(
            spec,
            executor=lambda plan, report: executor(plan, checkpointer, report),
            on_event=on_event,
            stop=stop,
        )
        plan, running = await self._plan_early(spec, state, clients, replace=replace, start=start)
        if plan.has_changes and approve is not None and not approve(plan):
            # Only an approval that says yes to every plan may start work early: stop what runs.
            stop.set()
            report = await start.settle(running)
            start.shown()
            return plan, report, False
        start.shown()
        forgotten = dataclasses.replace(
            plan, changes=tuple(c for c in plan.changes if c.address not in spec.resources)
        )
        if forgotten.changes:
            running.append(asyncio.ensure_future(executor(forgotten, checkpointer, on_event).run()))
        return plan, await start.settle(running), True

    def use_recorded_variables(self, values: Mapping[str, Any]) -> None:
        """Load the spec with the variable values a saved plan was made with (they win over any given)."""
        variables = dataclasses.replace(self.settings.variables, recorded=dict(values))
        self.settings = dataclasses.replace(self.settings, variables=variables)
        self._spec = self._layout = None

    def hash_cache_path(self) -> Path:
        """Where the data files' hashes are remembered: ``.reconciler/file-hashes.json`` beside the local
        state file (for a PostgreSQL state, in the spec's directory), as the emulators' worlds are."""
        state = self.state_path()
        return (state.parent if state is not None else self.layout().base_dir) / HASH_CACHE

    async def _plan(
        self,
        spec: Spec,
        state: StateDocument,
        clients: Mapping[str, Any],
        *,
        targets: Collection[str] = (),
        replace: Collection[str] = (),
    ) -> Plan:
        # Each data file is hashed once, then remembered until it changes (--rehash: all again).
        with hash_cache(self.hash_cache_path(), rehash=self.settings.rehash):
            return await self._planned(spec, state, clients, targets=targets, replace=replace)

    async def _planned(
        self,
        spec: Spec,
        state: StateDocument,
        clients: Mapping[str, Any],
        *,
        targets: Collection[str],
        replace: Collection[str],
    ) -> Plan:
        # The spec's moved blocks first: each moved record is decided at its new address.
        state, moves = apply_moves(spec, state)
        described, data = await self._read_first(spec, state, clients)
        plan = await self._decide(spec, state, clients, described=described, data=data, replace=replace)
        plan = dataclasses.replace(select(plan, spec, targets), moved=moves)
        _check(plan, spec)
        return plan

    async def _read_first(
        self, spec: Spec, state: StateDocument, clients: Mapping[str, Any]
    ) -> tuple[dict[str, str], dict[str, Any]]:
        """The providers' descriptions, and the data sources read (with every id the spec names checked)."""
        described = {
            name: PLATFORMS[provider.platform].describe(provider.config)
            for name, provider in spec.providers.items()
        }
        # The data sources and every id the spec names are read first: one that finds or names nothing
        # stops the plan at its field, before anything is decided or sent.
        (found, missing), (named, problems) = await asyncio.gather(
            read_data(spec, state, types=data_source, clients=clients, resources=resource_type),
            read_named(spec, kinds=remote_kind, clients=clients, providers=described),
        )
        data_named(spec, found, named)
        problems.extend(missing)
        problems.extend(check_named(spec, named, types=resource_type))
        raise_all(problems, order={str(path): index for index, path in enumerate(spec.files)})
        return described, plan_reads(spec, found)

    async def _decide(
        self,
        spec: Spec,
        state: StateDocument,
        clients: Mapping[str, Any],
        *,
        described: Mapping[str, str],
        data: Mapping[str, Any],
        replace: Collection[str],
    ) -> Plan:
        """Read the live facts of ``spec``'s resources, look up what the state lacks, and decide."""
        facts = await refresh(spec, state, types=resource_type, clients=clients)
        return await look_up(
            spec,
            state,
            facts,
            types=resource_type,
            clients=clients,
            providers=described,
            replace=replace,
            data=data,
        )

    async def _plan_early(
        self,
        spec: Spec,
        state: StateDocument,
        clients: Mapping[str, Any],
        *,
        replace: Collection[str],
        start: EarlyApply,
    ) -> tuple[Plan, list[asyncio.Task[ApplyReport]]]:
        """As :meth:`_plan`, each branch of the spec planned alone and started by ``start`` once it is."""
        check_addresses(spec, replace, option="--replace")

        async def plan_branch(branch: Spec, chosen: Collection[str]) -> Plan:
            return await self._decide(branch, state, clients, described=described, data=data, replace=chosen)

        # One hash cache for every branch (as in _plan): each data file hashed once, remembered after.
        with hash_cache(self.hash_cache_path(), rehash=self.settings.rehash):
            described, data = await self._read_first(spec, state, clients)
            chosen = expand_addresses(spec, replace)
            plan, running = await start.plan(
                plan_branch, state=state, replace=chosen, check=lambda p: _check(p, spec)
            )
        _check(plan, spec)  # as a whole (the branches passed one by one)
        return plan, running

    # state commands --------------------------------------------------------------
    def state_record(self, address: str) -> ResourceState:
        """One resource's record (``state show``)."""
        document = self.state()
        if address not in document.resources:
            raise errors.StateError(f"{address} is not in the state", hint="see `reconciler state list`")
        return document.resources[address]

    def state_rm(self, addresses: Collection[str]) -> StateDocument:
        """Forget records (the remote objects stay); the next plan creates them anew if still in the spec."""
        backend = self.backend()
        with self._lock(backend, operation="state rm"):
            document = backend.read()
            chosen: set[str] = set()
            missing = []
            for address in addresses:
                # A resource with for_each stands for all of its recorded instances.
                found = [k for k in document.resources if k == address or _instance_of(k, address)]
                chosen.update(found)
                if not found:
                    missing.append(address)
            if missing:
                raise errors.StateError(f"not in the state: {', '.join(missing)}", hint="nothing was removed")
            resources = {k: v for k, v in document.resources.items() if k not in chosen}
            return backend.write(document.model_copy(update={"resources": resources}))

    def state_mv(self, old: str, new: str) -> StateDocument:
        """Move a record to another address (a resource renamed in the spec), keeping its remote objects.

        As a ``moved`` block does: ``old`` may name every instance of a resource
        (``alviss.refit.weekly``) or a module (``module.market``), the rest of
        each address kept.
        """
        backend = self.backend()
        with self._lock(backend, operation="state mv"):
            document = backend.read()
            try:
                resources, taken = move_records(document.resources, old, new)
            except NothingThere as exc:
                raise errors.StateError(str(exc), hint="see `reconciler state list`") from exc
            except AlreadyThere as exc:
                raise errors.StateError(str(exc), hint=f"state rm {exc.address} first") from exc
            for before, after in taken.items():
                record = document.resources[before]
                try:
                    new_type = type_of(after)
                except ValueError as exc:
                    raise errors.StateError(str(exc)) from exc
                if new_type != record.type:
                    raise errors.StateError(
                        f"{after} is not a {record.type} address; a record keeps its type"
                    )
            return backend.write(document.model_copy(update={"resources": resources}))

    async def import_(self, address: str, object_id: str) -> ResourceState:
        """Adopt an existing remote object as ``address`` (read through its resource type; nothing sent)."""
        spec = self.validate()
        check_addresses(spec, [address], option="import")
        backend = self.backend()
        options = dataclasses.replace(self.settings.client, detach=True)
        with self._lock(backend, operation="import"):
            state = backend.read()
            async with self._clients(spec, options, state=state) as clients:
                found, problems = await read_data(
                    spec,
                    state,
                    types=data_source,
                    clients=clients,
                    resources=resource_type,
                    importing=(address, object_id.strip()),
                )
                raise_all(problems, order={str(path): index for index, path in enumerate(spec.files)})
                data = plan_reads(spec, found)
                record = await adopt(
                    spec, state, address, object_id, types=resource_type, clients=clients, data=data
                )
            resources = {**state.resources, address: record}
            backend.write(state.model_copy(update={"resources": resources}))
        return record

    def force_unlock(self, lock_id: str) -> None:
        """Remove a lock whose holder is gone (the caller vouches for that)."""
        backend = self.backend()
        try:
            backend.force_unlock(lock_id)
        except errors.StateLocked as error:  # another id: the hint's command names this spec
            error.name_spec(self.spec_argument())
            raise

    def spec_argument(self) -> str:
        """The spec as a command line names it (quoted for a shell): what the user gave, as given.

        A workspace of several spec files has no single argument: ``SPEC`` stands for it.
        """
        sources = self._sources()
        return shlex.quote(sources[0]) if len(sources) == 1 else "SPEC"

    @contextlib.contextmanager
    def _lock(self, backend: StateBackend, *, operation: str, timeout: float | None = None) -> Iterator[None]:
        """``backend``'s lock for the block; refused, the error's ``force-unlock`` names this spec."""
        with contextlib.ExitStack() as stack:
            wait = self.settings.lock_timeout if timeout is None else timeout
            try:
                stack.enter_context(backend.lock(operation=operation, timeout=wait))
            except errors.StateLocked as error:
                error.name_spec(self.spec_argument())
                raise
            yield

    def migrate(self, to: Workspace) -> StateDocument:
        """Copy this workspace's state into ``to``'s backend, keeping its lineage; both locked meanwhile.

        The target must be empty (or already hold this lineage): no other workspace is overwritten.
        """
        source, target = self.backend(), to.backend()
        if source.describe() == target.describe():
            raise errors.StateError("the source and the target state are the same store")
        timeout = self.settings.lock_timeout
        with (
            self._lock(source, operation="state migrate", timeout=timeout),
            to._lock(target, operation="state migrate", timeout=timeout),
        ):
            document = source.read()
            if not document.resources and document.serial == 0:
                raise errors.StateError(f"{source.describe()} holds no state: nothing to migrate")
            # A fresh store takes serial + 1: hand it serial - 1 so the copy keeps the source's serial.
            # A store of another lineage is refused by the backend itself.
            return target.write(document.model_copy(update={"serial": max(document.serial - 1, 0)}))

    # connections ---------------------------------------------------------------
    @asynccontextmanager
    async def _clients(
        self, spec: Spec, options: ClientOptions | None = None, *, state: StateDocument | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        used = {resource.provider for resource in (*spec.resources.values(), *spec.data.values())}
        options = answer_bound(options or self.settings.client, self.settings.env())
        if state is not None:
            self._refuse_moved_worlds(spec, state, used)
        async with AsyncExitStack() as stack:
            clients: dict[str, Any] = {}
            for name in sorted(used):
                provider = spec.providers[name]
                platform = PLATFORMS[provider.platform]
                connection = self._connection(provider.name, platform, provider.config)
                clients[name] = await stack.enter_async_context(
                    platform.connect(name, provider.config, connection=connection, options=options)
                )
            yield clients

    def _refuse_moved_worlds(self, spec: Spec, state: StateDocument, used: Collection[str]) -> None:
        """Stop when the state records objects of an emulator whose world is still where it used to be.

        Earlier versions kept every world in ``.reconciler/emulators/`` under
        the working directory.  Planning against a fresh world beside the state
        would report every recorded object gone; moving the old world is the fix.
        """
        if self.settings.emulator_dir is not None or self.settings.env().get("RECONCILER_EMULATOR_DIR"):
            return
        recorded = {record.provider for record in state.resources.values()}
        for instance in sorted(set(used) & recorded):
            provider = spec.providers[instance]
            name = emulator_name(PLATFORMS[provider.platform].endpoint(provider.config))
            if name is None:
                continue
            from reconciler.emulators.sqlite import world_file  # an emulator's world: only when one is named

            world = self.emulator_dir(instance)
            old, new = world_file(WORLD_DIR, name), world_file(world, name)
            if not _left_behind(old, new):
                continue
            raise errors.StateError(
                f"the state records objects of the {name} emulator, whose world is now kept in {world}; "
                f"there is none there yet, but {old} (under the current directory, where earlier versions "
                "kept it) exists",
                hint=f"if that is this spec's world, move it: mkdir -p {world} && mv {WORLD_DIR}/* {world}/",
            )

    def _connection(self, instance: str, platform: Platform[Any, Any], config: BaseModel) -> Connection:
        endpoint = platform.endpoint(config)
        default = type(config).model_fields["endpoint"].default
        # The loader refused a bad endpoint already (the same check): this is for configurations made in code.
        problem = endpoint_problem(endpoint, platform=platform.name, example=str(default))
        if problem is not None:
            raise errors.ReconcilerError(f"provider {instance}: 'endpoint' {problem[0]}", hint=problem[1])
        name = emulator_name(endpoint)
        if name is not None:
            from reconciler.emulators.transport import EmulatorTransport  # in-process: only for emulator://

            world = self.emulator_dir(instance)
            app = self._emulator(instance, name, world)
            return Connection(
                base_url=f"http://{name}.emulator{platform.api_path}",
                transport=EmulatorTransport(app, world=world),
                emulated=True,
            )
        return Connection(base_url=endpoint.rstrip("/"))

    def _emulator(self, instance: str, name: str, data_dir: Path) -> Any:
        key = f"{name}@{data_dir}"
        if key not in self._apps:
            from reconciler import emulators
            from reconciler.emulators import faults

            if name not in emulators.EMULATORS:
                raise errors.ReconcilerError(
                    f"provider {instance}: there is no emulator named {name!r}",
                    hint=f"emulators: {', '.join(emulators.EMULATORS)}",
                )
            _check_world(data_dir, name)
            env = self.settings.env()
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
            if self.settings.emulator_variant is not None:
                extra["variant"] = emulators.parse_variant(self.settings.emulator_variant)
            elif env.get("RECONCILER_EMULATOR_VARIANT"):
                extra["variant"] = emulators.parse_variant(env["RECONCILER_EMULATOR_VARIANT"])
            self._apps[key] = emulators.create_app(name, data_dir=data_dir, durations=durations, **extra)
        return self._apps[key]


def _check(plan: Plan, spec: Spec) -> None:
    """Refuse a plan with an ambiguous lookup or a replacement its lifecycle forbids."""
    ambiguous = ambiguity(plan, spec)
    if ambiguous is not None:
        raise ambiguous
    refused = refused_replacements(plan, spec)
    if refused is not None:
        raise refused


def _instance_of(address: str, resource: str) -> bool:
    """Whether ``address`` is an instance (``[KEY]``) of the resource ``resource``."""
    if not address.endswith("]"):
        return False
    try:
        return resource_of(address) == resource
    except ValueError:
        return False


def _check_world(data_dir: Path, name: str) -> None:
    """Refuse, before any request, a world directory that cannot be written (the emulator writes on reads)."""
    from reconciler.emulators.sqlite import world_file

    where = f"the {name} emulator's world in {data_dir}"
    hint_tail = "or name another directory with emulator_dir: in the provider block"
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=data_dir):
            pass
        world = world_file(data_dir, name)
        if world.exists():
            with world.open("r+b"):
                pass
    except OSError as exc:
        advice = errors.os_hint(exc) or "check that the directory can be written"
        raise errors.EmulatorWorldError(
            f"cannot keep {where}: {exc.strerror or exc}", hint=f"{advice}; {hint_tail}"
        ) from exc


def _left_behind(old: Path, new: Path) -> bool:
    """Whether ``old``, where earlier versions kept a file, holds one while ``new``, where it is kept
    now, does not (and is not the same file by another name)."""
    if new.exists() or not old.is_file():
        return False
    with contextlib.suppress(OSError):
        if old.resolve() == new.resolve():
            return False
    return True


def _refuse_stray_state(path: Path, stray: Path) -> None:
    """Refuse to start afresh when the default state is missing but an earlier version's default exists.

    Earlier versions kept the default state in ``state/<spec name>.json``
    under the working directory; it is now beside the spec.  Starting with an empty
    state while the old one sits where it was would plan everything again.
    """
    logs = (path.with_name(path.name + suffix) for suffix in (".checkpoints", ".journal"))
    if any(log.exists() for log in logs) or not _left_behind(stray, path):
        return
    raise errors.StateError(
        f"no state at {path}, where a spec without a state block keeps it, but {stray} exists "
        "(the current directory's state/, where earlier versions kept it)",
        hint=f"if {stray} is this spec's state, move it: mkdir -p {path.parent} && "
        f"mv {stray}* {path.parent}/ (or name it in the spec: state: {{path: ...}})",
    )


def answer_bound(options: ClientOptions, env: Mapping[str, str]) -> ClientOptions:
    """``options`` with the answer size bound ``$RECONCILER_MAX_ANSWER_MIB`` sets, if any."""
    text = env.get("RECONCILER_MAX_ANSWER_MIB", "").strip()
    if options.max_answer_bytes is not None or not text:
        return options
    try:
        mib = float(text)
    except ValueError:
        mib = -1.0
    if not 0 < mib < 1024 * 1024:
        raise errors.ReconcilerError(
            f"bad RECONCILER_MAX_ANSWER_MIB: {text!r}", hint="a number of MiB above 0, e.g. 8"
        )
    return dataclasses.replace(options, max_answer_bytes=int(mib * 1024 * 1024))
