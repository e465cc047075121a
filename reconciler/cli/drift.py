"""``drift SPEC``: a read-only check for schedules, with one exit code per situation.

It takes no lock and writes nothing (GET requests only), so it can run with
read-only credentials beside a running apply.  Exit codes: 0 in sync, 2 spec
changes not yet applied, 3 live state changed outside the tool, 4 jobs still
running, 5 a job rejected by its quality gates (``checks``), 1 error; see
:mod:`reconciler.engine.drift` for which wins.
"""

from __future__ import annotations

import sys

import click

from reconciler.cli.group import main, rehash_option, run, var_options, workspace
from reconciler.cli.shell import SPEC, examples


@main.command(
    epilog=examples(
        "reconciler drift specs/demo.yaml   # exit 0 in sync, 2 not applied, 3 drift, 4 running, 5 rejected",
    )
)
@click.argument("spec", type=SPEC)
@var_options
@rehash_option
def drift(spec: str) -> None:
    """Check whether the live platforms match the spec; say which resource differs and why."""
    import asyncio

    from reconciler.engine.drift import LABELS, PRIORITY

    result = run(lambda: asyncio.run(workspace(spec).drift()))
    report = result.report
    if report.worst is None:
        click.echo("In sync: the live platforms match the spec and the state.")
        return
    for cause in PRIORITY:
        addresses = report.addresses(cause)
        if not addresses:
            continue
        click.echo(f"{LABELS[cause]} ({len(addresses)}):")
        for address in addresses:
            reasons = report.reasons.get(address, ())
            click.echo(f"  {address}" + (f": {reasons[0]}" if reasons else ""))
    sys.exit(report.exit_code)
