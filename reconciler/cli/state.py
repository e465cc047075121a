"""State commands: look at, edit and move what the reconciler recorded, and adopt objects.

``state list/show`` read; ``state rm/mv``, ``import`` and ``state migrate``
write under the lock (``--lock-timeout`` waits for it); ``force-unlock``
removes a lock whose holder is gone.  They work on whichever backend the
spec names (a local file or PostgreSQL).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TypeVar

import click

from reconciler.cli.core import lock_timeout_option, locking_workspace
from reconciler.cli.group import fail, here, main, run, var_options, workspace
from reconciler.cli.shell import SPEC, complete_addresses, complete_recorded, examples

F = TypeVar("F", bound=Callable[..., None])


def spec_command(group: click.Group, name: str, *example_lines: str) -> Callable[[F], click.Command]:
    """A command of ``group`` whose first argument is the spec, with these ``--help`` examples."""

    def decorate(function: F) -> click.Command:
        with_spec = click.argument("spec", type=SPEC)(var_options(function))
        return group.command(name, epilog=examples(*example_lines))(with_spec)

    return decorate


@main.group(
    epilog=examples(
        "reconciler state list specs/demo.yaml",
        "reconciler state show specs/demo.yaml alviss.upload.sales_w47",
        "reconciler state mv specs/demo.yaml alviss.upload.sales_w47 alviss.upload.sales",
    )
)
def state() -> None:
    """Inspect and edit the recorded state of a spec's workspace."""


@spec_command(
    state,
    "list",
    "reconciler state list specs/demo.yaml",
)
def state_list(spec: str) -> None:
    """Every recorded address, with its status, sorted by address."""
    document = run(workspace(spec).state)
    for address, record in sorted(document.resources.items()):
        click.echo(f"{address}\t{record.status}")


@spec_command(
    state,
    "show",
    "reconciler state show specs/demo.yaml alviss.upload.sales_w47",
)
@click.argument("address", shell_complete=complete_recorded)
def state_show(spec: str, address: str) -> None:
    """One record, as JSON."""
    record = run(lambda: workspace(spec).state_record(address))
    click.echo(json.dumps({address: record.model_dump(mode="json")}, indent=2))


@spec_command(
    state,
    "rm",
    "reconciler state rm specs/demo.yaml alviss.upload.sales_w47   # the object stays on the platform",
)
@click.argument("addresses", nargs=-1, required=True, metavar="ADDR...", shell_complete=complete_recorded)
@lock_timeout_option
def state_rm(spec: str, addresses: tuple[str, ...], lock_timeout: float) -> None:
    """Forget records; the remote objects are kept."""
    document = run(lambda: locking_workspace(spec, lock_timeout).state_rm(addresses))
    click.echo(f"Removed {len(addresses)} record(s); state serial {document.serial}.")


@spec_command(
    state,
    "mv",
    "reconciler state mv specs/demo.yaml alviss.upload.sales_w47 alviss.upload.sales",
)
@click.argument("old", shell_complete=complete_recorded)
@click.argument("new")
@lock_timeout_option
def state_mv(spec: str, old: str, new: str, lock_timeout: float) -> None:
    """Move a record to a new address (after renaming a resource in the spec)."""
    document = run(lambda: locking_workspace(spec, lock_timeout).state_mv(old, new))
    click.echo(f"Moved {old} to {new}; state serial {document.serial}.")


@spec_command(
    state,
    "migrate",
    "reconciler state migrate specs/demo.yaml --to-spec specs/demo-postgres.yaml",
)
@click.option(
    "--to-spec", "to_spec", type=SPEC, required=True, metavar="SPEC", help="A spec naming the target backend."
)
@lock_timeout_option
def state_migrate(spec: str, to_spec: str, lock_timeout: float) -> None:
    """Copy the workspace's state into the backend another spec names (lineage and serial kept)."""
    source = locking_workspace(spec, lock_timeout)
    target = locking_workspace(to_spec, lock_timeout)
    document = run(lambda: source.migrate(target))
    where = run(lambda: target.backend().describe())
    click.echo(
        f"Migrated {len(document.resources)} record(s), serial {document.serial}, to {where}. "
        "Point the spec's state block at it; the old store is left as it was."
    )


@spec_command(
    main,
    "import",
    "reconciler import specs/demo.yaml alviss.upload.sales_w47 3   # upload 3, made by a script",
)
@click.argument("address", shell_complete=complete_addresses)
@click.argument("object_id", metavar="ID")
@lock_timeout_option
def import_(spec: str, address: str, object_id: str, lock_timeout: float) -> None:
    """Adopt an existing remote object as ADDRESS (for job resources, ID is the object the job made)."""
    import asyncio

    space = locking_workspace(spec, lock_timeout)
    record = run(lambda: asyncio.run(space.import_(address, object_id)))
    if record.status == "ready":
        click.echo(f"Imported {address} ({object_id}): recorded as ready.")
    else:
        click.echo(f"Imported {address} ({object_id}): its job is still running; apply will wait for it.")


@spec_command(
    main,
    "force-unlock",
    "reconciler force-unlock specs/demo.yaml 0b5c1d2e-3f4a-4b6c-8d7e-9f0a1b2c3d4e   # id: see the error",
)
@click.argument("lock_id")
def force_unlock(spec: str, lock_id: str) -> None:
    """Remove the state lock LOCK_ID; only when its holder is surely gone."""
    run(lambda: workspace(spec).force_unlock(lock_id))
    click.echo(f"Lock {lock_id} removed.")


@main.command(
    "output",
    epilog=examples(
        "reconciler output specs/weekly-refresh.yaml",
        "reconciler output se_model specs/weekly-refresh.yaml      # one value, sensitive or not",
        "reconciler output --json specs/weekly-refresh.yaml",
    ),
)
@click.argument("words", nargs=-1, metavar="[NAME] [SPEC]", type=SPEC)
@var_options
@click.option("--json", "as_json", is_flag=True, help="JSON: every output, or the value of NAME.")
@click.option(
    "--format",
    "format_",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json is the same as --json.",
)
def output(words: tuple[str, ...], as_json: bool, format_: str) -> None:
    """Print the outputs the last apply recorded (from the state; nothing remote is read).

    Without NAME every output is listed, sensitive ones masked; with NAME
    that one value is printed whole (a string as it is), sensitive or not.
    SPEC defaults to the one spec in the current directory or its specs/.
    """
    from pathlib import Path

    from reconciler import errors
    from reconciler.render.outputs import outputs_json, outputs_text, value_text

    as_json = as_json or format_ == "json"
    if len(words) > 2:
        raise click.UsageError(f"Got unexpected extra argument ({words[2]})")
    name: str | None = None
    spec: str | None = None
    if len(words) == 2:
        name, spec = words
    elif len(words) == 1:
        given = Path(words[0])
        if given.exists() or given.suffix in (".yaml", ".yml"):
            spec = words[0]
        else:
            name = words[0]
    space = run(here) if spec is None else workspace(spec)
    document = run(space.state)
    if name is None:
        if as_json:
            click.echo(outputs_json(document.outputs))
        elif document.outputs:
            click.echo(outputs_text(document.outputs))
        else:
            click.echo(
                "No outputs recorded. The spec has none, or it has not been applied since they were added.",
                err=True,
            )
        return
    if name not in document.outputs:
        from reconciler.spec.names import suggest

        close = suggest(name, document.outputs)
        recorded = ", ".join(sorted(document.outputs)) or "none"
        hint = f"did you mean {close!r}?" if close else f"recorded outputs: {recorded}"
        fail(errors.ReconcilerError(f"output {name!r} is not in the state", hint=hint))
    click.echo(value_text(document.outputs[name], as_json=as_json))
