"""The command line: argv → one workflow call → a view → an exit code.

Nothing below this module imports click.  Every :class:`ReconcilerError` is
printed as a message (never a traceback) and mapped to its exit code.
Heavy modules are imported inside the commands so ``--version`` and ``--help``
start instantly.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from reconciler import __version__, errors

if TYPE_CHECKING:
    from reconciler.engine.executor import Event
    from reconciler.engine.plan import Plan
    from reconciler.workflow import Workspace

T = TypeVar("T")


def _fail(error: errors.ReconcilerError) -> NoReturn:
    click.echo(f"Error: {error}", err=True)
    sys.exit(error.exit_code)


def _run(call: Callable[[], T]) -> T:
    try:
        return call()
    except errors.ReconcilerError as error:
        _fail(error)
    except (KeyboardInterrupt, asyncio.CancelledError):
        click.echo("Interrupted. State was saved at every step; run apply again to resume.", err=True)
        sys.exit(130)


def _workspace(spec: str) -> Workspace:
    from reconciler.workflow import Workspace

    return Workspace(spec)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reconciler")
def main() -> None:
    """Plan and apply the desired state of ML platforms."""


@main.command()
@click.argument("spec")
def validate(spec: str) -> None:
    """Check a spec: syntax, fields, references. Reads nothing remote."""
    loaded = _run(lambda: _workspace(spec).validate())
    resources, providers = len(loaded.resources), len(loaded.providers)
    click.echo(
        f"The spec is valid: {resources} resource{'s' * (resources != 1)}, "
        f"{providers} provider{'s' * (providers != 1)}."
    )


@main.command()
@click.argument("spec")
@click.option(
    "--detailed-exitcode", is_flag=True, help="Exit 0 when nothing to do, 2 when there are changes."
)
def plan(spec: str, detailed_exitcode: bool) -> None:
    """Show what apply would do, and why."""
    from reconciler.render.plan_text import render_plan

    workspace = _workspace(spec)
    result = _run(lambda: asyncio.run(workspace.plan()))
    click.echo(render_plan(result.plan))
    if detailed_exitcode and result.plan.has_changes:
        sys.exit(2)


@main.command()
@click.argument("spec")
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@click.option("--detach", is_flag=True, help="Submit and record jobs, then exit; the next apply resumes.")
def apply(spec: str, auto_approve: bool, detach: bool) -> None:
    """Carry out the plan: submit jobs, wait for them, record everything."""
    from reconciler.render.plan_text import render_plan

    def approve(planned: Plan) -> bool:
        click.echo(render_plan(planned))
        if auto_approve:
            return True
        click.echo("")
        try:
            return click.confirm("Apply these changes?", default=False)
        except click.Abort:  # no input to read (CI, closed stdin): nothing is applied
            click.echo("")
            return False

    workspace = _workspace(spec)
    result = _run(
        lambda: asyncio.run(
            workspace.apply(approve=approve, on_event=_print_event, detach=detach, handle_interrupts=True)
        )
    )
    if not result.plan.has_changes:
        from reconciler.render.plan_text import NO_CHANGES

        click.echo(NO_CHANGES)
        return
    if not result.approved:
        click.echo("Apply cancelled. Nothing was changed. (Use --auto-approve where nobody can answer.)")
        sys.exit(1)
    report = result.report
    click.echo("")
    click.echo(
        f"Apply finished: {report.count('done')} done, {report.count('failed')} failed, "
        f"{report.count('pending')} still running, {report.count('skipped')} skipped."
    )
    if report.count("pending"):
        click.echo("Jobs still running are recorded; run apply again to wait for them.")
    failed = {
        address: outcome for address, outcome in report.outcomes.items() if outcome in ("failed", "skipped")
    }
    for address, outcome in failed.items():
        click.echo(f"  {outcome}: {address}: {report.messages.get(address, '')}", err=True)
    if result.interrupted:
        click.echo("Interrupted. State was saved at every step; run apply again to resume.", err=True)
        sys.exit(130)
    if failed:
        sys.exit(1)


def _print_event(event: Event) -> None:
    stamp = datetime.now().strftime("%H:%M:%S")
    if event.kind == "status":
        text = f"{event.address}: {event.word}"
    elif event.kind == "start":
        text = f"{event.address}: {event.action.value} started"
    else:
        text = f"{event.address}: {event.kind}" + (f" ({event.message})" if event.message else "")
    click.echo(f"{stamp} {text}")


@main.command()
@click.argument("spec")
def show(spec: str) -> None:
    """Show the recorded state of a spec's workspace."""
    workspace = _workspace(spec)
    document = _run(workspace.state)
    if not document.resources:
        click.echo("The state is empty.")
        return
    click.echo(f"lineage {document.lineage}, serial {document.serial}")
    for address, record in document.resources.items():
        outputs = ", ".join(f"{key}={value}" for key, value in record.outputs.items())
        line = f"  {address} [{record.status}] {outputs}"
        if record.pending is not None:
            line += f" (pending {record.pending.step}, job {record.pending.job_id})"
        if record.error:
            line += f" error: {record.error}"
        click.echo(line)


@main.group()
def emulator() -> None:
    """Run the platforms' emulators."""


@emulator.command()
@click.argument("name")
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--data", "data_dir", type=click.Path(path_type=Path), default=Path(".reconciler/emulators"))
@click.option("--durations", default="", help="Job durations in seconds, e.g. upload=1,dataset=1,refit=3.")
@click.option("--token", default=None, help="Accept only this token (default: any non-empty token).")
@click.option("--fault-rate", type=float, default=0.0, help="Share of requests answered with a fault.")
@click.option("--fault-seed", type=int, default=0, help="Seed that fixes the sequence of faults.")
@click.option(
    "--fault-kinds", default="", help="Faults to mix, e.g. 500,502,503,429,drop,lost (default: all)."
)
@click.option("--latency-ms", type=float, default=0.0, help="Delay added to every response.")
@click.option("--job-failure-rate", type=float, default=0.0, help="Share of jobs that end failed.")
def serve(
    name: str,
    port: int,
    host: str,
    data_dir: Path,
    durations: str,
    token: str | None,
    fault_rate: float,
    fault_seed: int,
    fault_kinds: str,
    latency_ms: float,
    job_failure_rate: float,
) -> None:
    """Serve an emulator over HTTP, optionally with faults injected deterministically."""
    from reconciler import emulators
    from reconciler.emulators import faults

    def start() -> None:
        parsed: dict[str, Any] | None = emulators.parse_durations(durations, name=name) if durations else None
        injected = None
        if fault_rate or latency_ms or job_failure_rate:
            injected = faults.Faults(
                rate=fault_rate,
                seed=fault_seed,
                latency_ms=latency_ms,
                job_failure_rate=job_failure_rate,
                kinds=faults.parse_kinds(fault_kinds),
            )
        emulators.serve(
            name, host=host, port=port, data_dir=data_dir, durations=parsed, token=token, faults=injected
        )

    _run(start)


if __name__ == "__main__":  # pragma: no cover
    main()
