"""The everyday commands: validate, plan, apply, show."""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING

import click

from reconciler.cli.common import INTERRUPTED, main, run, workspace

if TYPE_CHECKING:
    from reconciler.engine.plan import Plan


@main.command()
@click.argument("spec")
def validate(spec: str) -> None:
    """Check a spec: syntax, fields, references. Reads nothing remote."""
    loaded = run(lambda: workspace(spec).validate())
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

    space = workspace(spec)
    result = run(lambda: asyncio.run(space.plan()))
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
    from reconciler.render.progress import PlainProgress

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

    space = workspace(spec)
    result = run(
        lambda: asyncio.run(
            space.apply(
                approve=approve, on_event=PlainProgress(click.echo), detach=detach, handle_interrupts=True
            )
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
        click.echo(INTERRUPTED, err=True)
        sys.exit(130)
    if failed:
        sys.exit(1)


@main.command()
@click.argument("spec")
def show(spec: str) -> None:
    """Show the recorded state of a spec's workspace."""
    space = workspace(spec)
    document = run(space.state)
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
