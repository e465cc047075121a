"""--var and --var-file keep the order they were given in, whatever spelling, as Terraform's do."""

from __future__ import annotations

import click
from click.testing import CliRunner

from reconciler.cli.flags import Command
from reconciler.cli.group import given_variables, var_options


@click.command(cls=Command)
@click.option("--target", multiple=True)
@click.option("--auto-approve", is_flag=True)
@var_options
def _command(target: tuple[str, ...], auto_approve: bool) -> None:
    inputs = given_variables()
    click.echo(" ".join(f"{kind}:{item}" for kind, item in inputs.in_order()))


def given(*args: str) -> str:
    result = CliRunner().invoke(_command, list(args))
    assert result.exit_code == 0, result.output
    return result.output.strip()


def test_files_and_pairs_interleave_as_given() -> None:
    assert given("--var-file", "a.yaml", "--var", "x=1", "--var-file=b.yaml") == (
        "file:a.yaml pair:x=1 file:b.yaml"
    )
    assert given("-var", "x=1", "-target", "--var-file", "-var-file=c.yaml", "-auto-approve") == (
        "pair:x=1 file:c.yaml"
    )
    assert given("--var=x=--var-file", "--var-file", "--var") == "pair:x=--var-file file:--var"
