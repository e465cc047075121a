"""The everyday commands: validate, plan, apply, show.

``show`` renders a saved plan, or a spec's state (without an argument, the
one spec of the current directory).

``plan`` can save what it shows (``-out FILE``) and speak JSON or markdown;
``apply`` takes a spec or a saved plan, and can stream JSON-lines events.
``--target``/``--replace`` select work; ``--lock-timeout`` waits for a held lock.
"""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from reconciler.cli.flags import Duration
from reconciler.cli.group import exit_interrupted, here, main, rehash_option, run, var_options, workspace
from reconciler.cli.shell import SPEC, complete_addresses, examples

if TYPE_CHECKING:
    from reconciler.engine.executor import Event
    from reconciler.engine.plan import Plan
    from reconciler.workflow import ApplyResult, Workspace

F = TypeVar("F", bound=Callable[..., Any])


def lock_timeout_option(command: F) -> F:
    """``--lock-timeout DURATION``, shared by every command that takes the lock."""
    decorate = click.option(
        "--lock-timeout",
        type=Duration(),
        default="0s",
        show_default=True,
        help="Wait this long for a state lock held elsewhere: 30s, 5m or seconds (0: fail at once, "
        "naming the holder).",
    )
    return decorate(command)


def format_option(*choices: str, help: str) -> Callable[[F], F]:
    """``--format``, text by default (``-json`` is Terraform's spelling of ``--format json``)."""
    return click.option(
        "--format",
        "format_",
        type=click.Choice(["text", *choices]),
        default="text",
        show_default=True,
        help=help,
    )


def selection_options(command: F) -> F:
    target = click.option(
        "--target",
        "targets",
        multiple=True,
        metavar="ADDR",
        shell_complete=complete_addresses,
        help="Only this resource and what it depends on.",
    )
    replace = click.option(
        "--replace",
        "replace",
        multiple=True,
        metavar="ADDR",
        shell_complete=complete_addresses,
        help="Force a new job for this resource.",
    )
    return target(replace(command))


def locking_workspace(spec: str, lock_timeout: float) -> Workspace:
    """The spec's workspace, waiting up to ``lock_timeout`` seconds for its lock."""
    import dataclasses

    space = workspace(spec)
    space.settings = dataclasses.replace(space.settings, lock_timeout=lock_timeout)
    return space


no_color_option = click.option(
    "--no-color", is_flag=True, help="No colours or live redraws (NO_COLOR is honoured too)."
)


@main.command(
    epilog=examples(
        "reconciler validate specs/demo.yaml",
        "reconciler validate specs/ --format json      # every error: file, line, column, message",
    )
)
@click.argument("spec", type=SPEC)
@var_options
@format_option(
    "json",
    help="json: one document listing every error with file, line, column and message "
    "(docs/plan-format.md), for editors and CI annotations.",
)
def validate(spec: str, format_: str) -> None:
    """Check a spec offline: syntax, fields, endpoints, data files, references.

    Every error is reported at once, each at file:line:col; nothing remote is
    read. Exit 0 when valid, 1 otherwise (also with --format json).
    """
    if format_ == "json":
        validate_json(spec)
        return
    loaded = run(lambda: workspace(spec).validate())
    resources, providers = len(loaded.resources), len(loaded.providers)
    sources = len(loaded.data)
    data = f", {sources} data source{'s' * (sources != 1)}" if sources else ""
    click.echo(
        f"The spec is valid: {resources} resource{'s' * (resources != 1)}{data}, "
        f"{providers} provider{'s' * (providers != 1)}."
    )


def validate_json(spec: str) -> None:
    """``validate --format json``: the document on stdout, valid or not; exit 1 with any error."""
    from reconciler import errors
    from reconciler.redact import known
    from reconciler.render.validate_json import render_validation_json

    try:
        loaded = workspace(spec).validate()
    except errors.ReconcilerError as error:
        # Every message was redacted where it was made; this is the last defence, as for text.
        click.echo(known()(render_validation_json(sources=[spec], error=error)))
        sys.exit(1)
    click.echo(render_validation_json(sources=[spec], spec=loaded))


@main.command(
    epilog=examples(
        "reconciler plan specs/demo.yaml",
        "reconciler plan specs/demo.yaml -out plan.json        # then: reconciler apply plan.json",
        "reconciler plan specs/demo.yaml --detailed-exitcode   # exit 0: no changes, 2: changes",
        "reconciler plan specs/demo.yaml --format markdown > plan.md",
        "reconciler plan specs/weekly-refresh.yaml --target 'module.market[se]'",
    )
)
@click.argument("spec", type=SPEC)
@var_options
@click.option(
    "--detailed-exitcode", is_flag=True, help="Exit 0 when nothing to do, 2 when there are changes."
)
@click.option("-out", "--out", "out", metavar="FILE", help="Save the plan, for `apply FILE`.")
@format_option(
    "json",
    "markdown",
    help="json: the versioned document of docs/plan-format.md; markdown: for a pull-request comment.",
)
@selection_options
@rehash_option
@no_color_option
def plan(
    spec: str,
    detailed_exitcode: bool,
    out: str | None,
    format_: str,
    targets: tuple[str, ...],
    replace: tuple[str, ...],
    no_color: bool,
) -> None:
    """Show what apply would do, and why."""
    import asyncio

    space = workspace(spec)
    result = run(
        lambda: asyncio.run(
            space.plan(targets=targets, replace=replace, out=Path(out) if out is not None else None)
        )
    )
    if format_ == "json":
        from reconciler.engine.saved import relative_sources
        from reconciler.render.plan_json import render_plan_json

        # With -out, the very document the file holds (spec files relative to it).
        sources = relative_sources([spec], plan_file=Path(out)) if out is not None else [spec]
        click.echo(render_plan_json(result.plan, spec=result.spec, sources=sources))
        warn_targeting(result.plan, err=True)  # stdout stays one JSON document
    elif format_ == "markdown":
        from reconciler.render.plan_markdown import render_plan_markdown

        click.echo(render_plan_markdown(result.plan))  # says so itself, for the pull request's readers
    else:
        from reconciler.render.color import wants_color
        from reconciler.render.plan_text import render_plan

        color = wants_color(sys.stdout, False if no_color else None)
        click.echo(render_plan(result.plan, color=color))
        warn_targeting(result.plan, color=color)
        if out is not None:
            saved = shlex.quote(out)
            click.echo(f"\nSaved the plan to {saved}. Apply exactly this plan with: reconciler apply {saved}")
    if detailed_exitcode and result.plan.has_changes:
        sys.exit(2)


@main.command(
    epilog=examples(
        "reconciler apply specs/demo.yaml",
        "reconciler apply plan.json                       # a saved plan, exactly, without asking",
        "reconciler apply specs/weekly-refresh.yaml --auto-approve --detach",
        "reconciler apply plan.json --format json --lock-timeout 10m",
    )
)
@click.argument("spec", type=SPEC)
@var_options
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--detach",
    is_flag=True,
    help="Submit and record jobs, then exit 0 (what depends on them waits); the next apply resumes.",
)
@format_option(
    "json",
    help="json: one JSON object per event, then a summary line (needs --auto-approve or a saved plan).",
)
@click.option("--spec", "spec_override", metavar="SPEC", help="With a saved plan: the spec it was made from.")
@selection_options
@rehash_option
@lock_timeout_option
@no_color_option
def apply(
    spec: str,
    auto_approve: bool,
    detach: bool,
    format_: str,
    spec_override: str | None,
    targets: tuple[str, ...],
    replace: tuple[str, ...],
    lock_timeout: float,
    no_color: bool,
) -> None:
    """Carry out the plan: submit jobs, wait for them, record everything.

    SPEC is a spec, or a plan saved with `plan -out FILE`: that plan is then
    applied exactly, without asking, unless what it was based on changed.
    """
    from reconciler.engine.saved import is_plan_file
    from reconciler.render.plan_text import render_plan
    from reconciler.render.progress import progress_view, wants_color

    color = False if no_color else None
    # With --spec, SPEC can only be a plan: saved.read then says why a file is not one.
    plan_file = Path(spec) if spec_override is not None or is_plan_file(Path(spec)) else None
    if plan_file is not None:
        if targets or replace:
            fail_usage("--target and --replace belong to the plan; a saved plan is applied as it is")
        auto_approve = True
    if format_ == "json" and not auto_approve:
        fail_usage(
            "apply --format json cannot ask for confirmation: add --auto-approve or apply a saved plan"
        )

    def approve(planned: Plan) -> bool:
        if format_ == "json":
            warn_targeting(planned, err=True)
            return True
        click.echo(render_plan(planned, color=wants_color(sys.stdout, color)))
        warn_targeting(planned, color=wants_color(sys.stdout, color))
        if auto_approve:
            return True
        click.echo("")
        try:
            return click.confirm("Apply these changes?", default=False)
        except click.Abort:  # no input to read (CI, closed stdin): nothing is applied
            click.echo("")
            return False

    if plan_file is not None and spec_override is None:
        from reconciler.workflow import Workspace

        space, _ = run(lambda: Workspace.from_plan_file(plan_file))
        space.settings = locking_workspace(spec, lock_timeout).settings
    else:
        space = locking_workspace(spec_override or spec, lock_timeout)

    def execute(on_event: Callable[[Event], None]) -> ApplyResult:
        import asyncio

        return run(
            lambda: asyncio.run(
                space.apply(
                    approve=approve,
                    on_event=on_event,
                    detach=detach,
                    handle_interrupts=True,
                    targets=targets,
                    replace=replace,
                    plan_file=plan_file,
                    early=auto_approve and plan_file is None,
                )
            )
        )

    if format_ == "json":
        from reconciler.render.events_json import JsonEvents

        result = execute(JsonEvents(click.echo))
    else:
        with progress_view(stream=sys.stdout, color=color) as on_event:
            result = execute(on_event)
    if format_ == "json":
        warn_incomplete(result, space, err=True)
        finish_json(result, waits=not detach)
        return
    if not result.plan.has_changes:
        from reconciler.render.plan_text import NO_CHANGES

        click.echo(NO_CHANGES)
        warn_targeting(result.plan, color=wants_color(sys.stdout, color))
        print_outputs(result)
        return
    if not result.approved:
        click.echo("Apply cancelled. Nothing was changed. (Use --auto-approve where nobody can answer.)")
        sys.exit(1)
    from reconciler.render.apply_summary import summarize

    warn_incomplete(result, space, color=wants_color(sys.stdout, color))
    summary = summarize(result.report, interrupted=result.interrupted, waits=not detach)
    click.echo("")
    click.echo(summary.line)
    for line in summary.errors:
        click.echo(line, err=True)
    print_outputs(result)
    if result.interrupted:
        exit_interrupted()
    if summary.errors:  # something failed, was not started, or was still running at its deadline
        sys.exit(1)


@main.command(
    epilog=examples(
        "reconciler show specs/demo.yaml",
        "reconciler show plan.json --format markdown      # a saved plan",
        "reconciler show                                  # the one spec here or in specs/",
    )
)
@click.argument("source", required=False, metavar="[SPEC|PLANFILE]", type=SPEC)
@var_options
@format_option(
    "json",
    "markdown",
    help="A saved plan: text, json (its document) or markdown. A state: text or json (the state document).",
)
@no_color_option
def show(source: str | None, format_: str, no_color: bool) -> None:
    """Show a saved plan, or the recorded state of a spec's workspace.

    PLANFILE is a plan saved with `plan -out FILE`, shown as `plan` showed it.
    SPEC shows that spec's state. Without an argument, the state of the one
    spec in the current directory or its specs/ directory.
    """
    from reconciler.engine.saved import is_plan_file

    if source is not None and is_plan_file(Path(source)):
        show_plan(Path(source), format_=format_, color=False if no_color else None)
        return
    if format_ == "markdown":
        fail_usage("--format markdown shows a saved plan (show PLANFILE); a state is shown as text or json")
    space = run(here) if source is None else workspace(source)
    document = run(space.state)
    if format_ == "json":
        click.echo(document.model_dump_json(indent=2))
        return
    if not document.resources:
        click.echo("The state is empty.")
        return
    click.echo(f"lineage {document.lineage}, serial {document.serial}")
    for address, record in sorted(document.resources.items()):
        outputs = ", ".join(f"{key}={value}" for key, value in record.outputs.items())
        line = f"  {address} [{record.status}] {outputs}"
        if record.pending is not None:
            line += f" (pending {record.pending.step}, job {record.pending.job_id})"
        if record.error:
            line += f" error: {record.error}"
        click.echo(line)
    if document.outputs:
        from reconciler.render.outputs import outputs_text

        click.echo("Outputs:")
        click.echo("\n".join(f"  {line}" for line in outputs_text(document.outputs).splitlines()))


def show_plan(path: Path, *, format_: str, color: bool | None) -> None:
    """A saved plan as text (as `plan` printed it), its JSON document, or markdown."""
    from reconciler.engine import saved

    stored = run(lambda: saved.read(path))
    if format_ == "json":
        click.echo(json.dumps(saved.saved_document(stored), indent=2))
    elif format_ == "markdown":
        from reconciler.render.plan_markdown import render_plan_markdown

        click.echo(render_plan_markdown(stored.plan))
    else:
        from reconciler.render.color import wants_color
        from reconciler.render.plan_text import render_plan

        shown_color = wants_color(sys.stdout, color)
        click.echo(render_plan(stored.plan, color=shown_color))
        warn_targeting(stored.plan, color=shown_color)
        if stored.plan.has_changes:
            click.echo(f"\nApply exactly this plan with: reconciler apply {shlex.quote(str(path))}")


def print_outputs(result: ApplyResult) -> None:
    """Terraform's ``Outputs:`` after an apply (sensitive ones masked), and why any was not computed."""
    for note in result.output_notes:
        if note.mistake:  # not yet applied or still running: the apply's own lines say so
            click.echo(f"Warning: {note} (its earlier value, if any, is kept)", err=True)
    if result.state.outputs:
        from reconciler.render.outputs import outputs_text

        click.echo("\nOutputs:\n")
        click.echo(outputs_text(result.state.outputs))


def warn_targeting(plan: Plan, *, color: bool = False, err: bool = False) -> None:
    """Terraform's "Resource targeting is in effect", for a plan made with ``--target``."""
    if plan.targets:
        from reconciler.render.diagnostics import targeting_in_effect

        click.echo(targeting_in_effect(color=color and not err), err=err)


def warn_incomplete(result: ApplyResult, space: Workspace, *, color: bool = False, err: bool = False) -> None:
    """Terraform's "Applied changes may be incomplete", naming the plan that shows what was left out."""
    if result.plan.targets and result.plan.has_changes and result.approved:
        from reconciler.render.diagnostics import applied_changes_incomplete

        click.echo(applied_changes_incomplete(space.spec_argument(), color=color and not err), err=err)


def fail_usage(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


def finish_json(result: ApplyResult, *, waits: bool) -> None:
    """The summary line of ``apply --format json``, and the exit code."""
    from reconciler.render.apply_summary import timed_out
    from reconciler.render.events_json import summary_object

    report = result.report
    click.echo(json.dumps(summary_object(report, waits=waits, extra={"interrupted": result.interrupted})))
    if result.interrupted:
        sys.exit(130)
    if report.failed or timed_out(report, waits=waits):
        sys.exit(1)
