"""``report --html FILE SPEC…``: the status page of one or more workspaces, written as one HTML file.

Each spec is one workspace: it is read and planned as ``drift`` does (no
lock, no writes, GET requests only) and shown with its resources, jobs in
flight, last plan, dependency graph and recorded runs.  The file is written
at once (a reader never sees half of it), also when a workspace could not be
planned: that workspace shows its error, and the command then exits 1.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reconciler.cli.group import main, run, var_options, workspace
from reconciler.cli.shell import SPEC, examples
from reconciler.cli.tools import cannot_write


@main.command(
    epilog=examples(
        "reconciler report --html status.html specs/weekly-refresh.yaml",
        "reconciler report --html status.html specs/*.yaml --var-file specs/vars/30-markets.yaml",
    )
)
@click.argument("specs", nargs=-1, required=True, metavar="SPEC...", type=SPEC)
@click.option(
    "--html",
    "html_file",
    required=True,
    metavar="FILE",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the status page to this file (one self-contained HTML document).",
)
@click.option(
    "--refresh",
    type=click.IntRange(min=0),
    default=60,
    show_default=True,
    metavar="SECONDS",
    help="When the page is served over http(s) with JavaScript on, reload its data this often (0: never).",
)
@var_options
def report(specs: tuple[str, ...], html_file: Path, refresh: int) -> None:
    """Write the status page of these specs (one workspace each): resources, jobs, plan, graph, runs.

    Read-only, like drift. Exit 0 when every workspace was planned, 1 when one
    could not be (the page is written all the same, showing the error).
    """
    import asyncio

    from reconciler.redact import known
    from reconciler.report import WorkspaceView, collect, render_page, write_page

    async def views() -> list[WorkspaceView]:
        return [await collect(workspace(spec)) for spec in specs]

    shown = run(lambda: asyncio.run(views()))
    page = render_page(shown, refresh_seconds=refresh or None)
    try:
        write_page(html_file, page)
    except OSError as error:
        raise click.ClickException(cannot_write(html_file, error)) from None
    failed = [view for view in shown if view.error]
    for view in shown:
        counts = ", ".join(f"{count} {status}" for status, count in view.counts) or "no resources"
        state = "error" if view.error else (view.drift or "not planned")
        click.echo(f"{view.name}: {state}; {counts}")
    click.echo(f"Wrote {html_file} ({len(shown)} workspace{'s' * (len(shown) != 1)}).")
    if failed:
        for view in failed:
            click.echo(known()(f"Error: {view.name}: {view.error}"), err=True)
        sys.exit(1)
