"""``agent``: keep many workspaces reconciled; ``approve PLANFILE``: let it apply a waiting plan.

The agent runs until SIGTERM or Ctrl-C (then exits 0 once its checkpoints are
written and its claims released); ``--once`` runs one cycle of every
workspace and exits.  Its log goes to stderr, one timestamped line per event.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from reconciler.cli.flags import Duration
from reconciler.cli.group import main, run
from reconciler.cli.shell import examples


@main.command(
    epilog=examples(
        "reconciler agent --specs 'specs/*.yaml' --interval 10m --apply never",
        "reconciler agent --specs 'markets/*.yaml' --var-file se=vars/se.yaml --apply auto --concurrency 8",
        "reconciler agent --specs specs/weekly-refresh.yaml --apply approved --port 9464",
    )
)
@click.option(
    "--specs",
    "specs",
    multiple=True,
    required=True,
    metavar="GLOB",
    help="Spec files to keep reconciled, one workspace each (a glob; quote it; repeatable).",
)
@click.option(
    "--var-file",
    "var_files",
    multiple=True,
    metavar="[PATTERN=]FILE",
    help="Variables for every spec, or for the specs whose path, name or stem PATTERN matches (repeatable).",
)
@click.option(
    "--interval",
    type=Duration(),
    default="10m",
    show_default=True,
    help="How often each workspace is planned.",
)
@click.option(
    "--jitter",
    type=float,
    default=0.1,
    show_default=True,
    help="Each wait moved at random by up to this share of the interval, either way.",
)
@click.option(
    "--apply",
    "apply_mode",
    type=click.Choice(["never", "auto", "approved"]),
    default="never",
    show_default=True,
    help="never: plan only (running jobs are still resumed); auto: apply every plan; "
    "approved: apply a saved plan once `reconciler approve` approved it.",
)
@click.option("--concurrency", type=int, default=4, show_default=True, help="Workspaces worked on at once.")
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address of /metrics, /healthz, /readyz, /."
)
@click.option(
    "--port", type=int, default=9464, show_default=True, help="Port of the endpoints (0: any free one)."
)
@click.option(
    "--plan-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="--apply approved: where plans wait for approval [default: plans/ beside each spec].",
)
@click.option("--detach", is_flag=True, help="Submit jobs and check on them each cycle instead of waiting.")
@click.option("--once", is_flag=True, help="One cycle of every workspace, then exit.")
def agent(
    specs: tuple[str, ...],
    var_files: tuple[str, ...],
    interval: float,
    jitter: float,
    apply_mode: str,
    concurrency: int,
    host: str,
    port: int,
    plan_dir: Path | None,
    detach: bool,
    once: bool,
) -> None:
    """Keep many workspaces reconciled: plan each on a schedule, apply if allowed, serve metrics.

    Replicas pointed at one PostgreSQL state database share the workspaces:
    each is worked on by one agent at a time, and a dead agent's are taken
    over within one interval. With a local state the agent works alone.
    """
    import asyncio
    import logging

    from reconciler.agent import Agent, AgentOptions

    handler = _log_to_stderr()
    try:
        options = run(
            lambda: AgentOptions(
                specs=specs,
                var_files=var_files,
                interval=interval,
                jitter=jitter,
                apply=apply_mode,  # type: ignore[arg-type]  # click.Choice checked it
                concurrency=concurrency,
                host=host,
                port=port,
                plan_dir=plan_dir,
                detach=detach,
                once=once,
            )
        )
        code = run(lambda: asyncio.run(Agent(options).run()))
    finally:
        logging.getLogger("reconciler").removeHandler(handler)
    sys.exit(code)


@main.command(
    epilog=examples(
        "reconciler approve specs/plans/weekly-refresh.plan",
        "reconciler approve plans/weekly-refresh.plan   # read it first: reconciler show PLANFILE",
    )
)
@click.argument("plan_file", metavar="PLANFILE", type=click.Path(dir_okay=False, path_type=Path))
def approve(plan_file: Path) -> None:
    """Approve a plan the agent saved (--apply approved): it applies it at its next cycle.

    The approval names the plan's exact bytes; a plan replaced since is not
    applied on its strength.  Read it first with `reconciler show PLANFILE`.
    """
    from reconciler.agent import approval
    from reconciler.engine import saved
    from reconciler.render.plan_text import summary_line

    document = run(lambda: saved.read(plan_file))
    given = run(lambda: approval.approve(plan_file))
    plan = document.plan
    click.echo(f"Approved {plan_file}: {summary_line(plan.counts(), moved=len(plan.moved))}")
    click.echo(f"sha256 {given.sha256[:12]}, by {given.approved_by}: the agent applies it at its next cycle.")
    click.echo("If what it was based on changed by then, it is refused and a new plan waits for approval.")


def _log_to_stderr() -> logging.Handler:
    """One timestamped line per event on stderr (whatever ``sys.stderr`` is when the line is written)."""
    import time

    class Stderr(logging.StreamHandler):  # type: ignore[type-arg]
        def emit(self, record: logging.LogRecord) -> None:
            self.stream = sys.stderr  # a test's captured stderr, or the real one
            super().emit(record)

    handler = Stderr()
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%dT%H:%M:%SZ")
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    root = logging.getLogger("reconciler")
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return handler
