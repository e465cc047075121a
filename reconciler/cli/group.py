"""The ``reconciler`` group, and turning errors and interrupts into messages and exit codes."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, NoReturn, TypeVar

import click

from reconciler import __version__, errors
from reconciler.cli.flags import OPTION_ORDER, Group
from reconciler.cli.shell import examples

if TYPE_CHECKING:
    from reconciler.spec.variables import VarInputs
    from reconciler.workflow import Settings, Workspace

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

INTERRUPTED = "Interrupted. State was saved at every step; run apply again to resume."


def fail(error: errors.ReconcilerError) -> NoReturn:
    from reconciler.redact import known

    # Every message was redacted where it was made; this is the last defence, for all known secrets.
    click.echo(known()(f"Error: {error}"), err=True)
    sys.exit(error.exit_code)


def exit_interrupted() -> NoReturn:
    """Say the run was interrupted and end the process with 130, at once.

    Everything is persisted by now (every step was checkpointed), so nothing is
    gained by winding the interpreter down; and a second Ctrl-C during that
    wind-down would otherwise kill the process with a bare SIGINT.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    click.echo(INTERRUPTED, err=True)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(130)


def run(call: Callable[[], T]) -> T:
    """Call ``call``; a ReconcilerError becomes its message and exit code, an interrupt exit 130."""
    import asyncio  # here, not at the top: ``--version`` and ``--help`` never need it

    try:
        return call()
    except errors.ReconcilerError as error:
        fail(error)
    except (KeyboardInterrupt, asyncio.CancelledError):
        exit_interrupted()


_VAR_PAIRS = "reconciler.var_pairs"
_VAR_FILES = "reconciler.var_files"


def _keep(key: str) -> Callable[[click.Context, click.Parameter, tuple[str, ...]], None]:
    def callback(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> None:
        ctx.meta[key] = (*ctx.meta.get(key, ()), *value)

    return callback


def var_options(command: F) -> F:
    """``--var NAME=VALUE`` and ``--var-file FILE``: for every command that reads a spec.

    The values are kept in the click context, where :func:`workspace` finds
    them, so no command passes them along by hand.
    """
    var_file = click.option(
        "--var-file",
        multiple=True,
        metavar="FILE",
        expose_value=False,
        callback=_keep(_VAR_FILES),
        help="Variables' values from a YAML or JSON file (repeatable; with --var, later ones win).",
    )
    var = click.option(
        "--var",
        multiple=True,
        metavar="NAME=VALUE",
        expose_value=False,
        callback=_keep(_VAR_PAIRS),
        help="A variable's value (repeatable; with --var-file, later ones win; over RECONCILER_VAR_NAME).",
    )
    return var(var_file(command))


def given_variables() -> VarInputs:
    """The ``--var-file`` and ``--var`` values of the command being run."""
    from reconciler.spec.variables import VarInputs

    ctx = click.get_current_context(silent=True)
    meta = ctx.meta if ctx is not None else {}
    given: dict[str, Literal["file", "pair"]] = {"--var-file": "file", "--var": "pair"}
    order = tuple(given[name] for name in meta.get(OPTION_ORDER, ()) if name in given)
    return VarInputs(
        files=tuple(meta.get(_VAR_FILES, ())), pairs=tuple(meta.get(_VAR_PAIRS, ())), order=order
    )


_REHASH = "reconciler.rehash"


def rehash_option(command: F) -> F:
    """``--rehash``: for every command that plans (kept in the click context, as the variables are)."""

    def keep(ctx: click.Context, param: click.Parameter, value: bool) -> None:
        ctx.meta[_REHASH] = ctx.meta.get(_REHASH, False) or value

    return click.option(
        "--rehash",
        is_flag=True,
        expose_value=False,
        callback=keep,
        help="Hash every data file again rather than trust the hashes remembered from earlier runs.",
    )(command)


def _settings() -> Settings:
    from reconciler.workflow import Settings

    ctx = click.get_current_context(silent=True)
    rehash = bool(ctx.meta.get(_REHASH, False)) if ctx is not None else False
    return Settings(variables=given_variables(), rehash=rehash)


def workspace(spec: str) -> Workspace:
    from reconciler.workflow import Workspace

    return Workspace(spec, settings=_settings())


def here() -> Workspace:
    """The workspace of the one spec in the current directory or its specs/ (``show``, ``output``)."""
    from reconciler.workflow import Workspace

    return Workspace.here(settings=_settings())


def exits_1(error: click.UsageError) -> None:
    # click declares exit_code per class (2 for every usage error); this instance exits 1 instead.
    error.exit_code = 1  # type: ignore[misc]


class Reconciler(Group):
    """The command group: every error exits 1, and one that is not ours ends in a line and a crash report.

    click's usage errors (a missing argument, an unknown option, a bad choice
    or value, no command) exit 2 by default; here 2 means only "changes
    present" (``plan --detailed-exitcode``) and "spec not applied" (``drift``),
    so a mistyped flag in CI never passes for changes.  Its commands and
    subgroups read Terraform's spellings of their flags too (:mod:`reconciler.cli.flags`).
    """

    group_class = Group  # the crash handling above is done once, here

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as error:  # the group's own arguments (``reconciler --bogus``, no command)
            exits_1(error)
            raise

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except click.UsageError as error:  # a command's arguments: missing, unknown, a bad choice or value
            exits_1(error)
            raise
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except errors.ReconcilerError as error:  # one that escaped ``run``: still a message
            fail(error)
        except KeyboardInterrupt:
            exit_interrupted()
        except BrokenPipeError:  # the reader went away (``reconciler plan | head``): not a crash
            with contextlib.suppress(Exception):  # so the interpreter's own final flush is quiet too
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)
        except Exception as exc:  # the boundary: nothing may escape as a traceback
            from reconciler.cli.crash import report_crash

            try:
                line = report_crash(exc)
            except Exception:  # even the report failed: the bare minimum, still no traceback
                line = f"Error: unexpected internal error ({type(exc).__name__}); no crash report was written"
            click.echo(line, err=True)
            sys.exit(1)


@click.group(
    cls=Reconciler,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=examples(
        "reconciler init infra && reconciler plan infra/spec.yaml",
        "reconciler plan specs/demo.yaml -out plan.json && reconciler apply plan.json",
        "reconciler drift specs/demo.yaml               # exit 0: in sync",
    )
    + "\n\n\b\nShell completion (bash; zsh_source and fish_source likewise), e.g. in ~/.bashrc:\n"
    + '  eval "$(_RECONCILER_COMPLETE=bash_source reconciler)"',
)
@click.version_option(__version__, prog_name="reconciler")
def main() -> None:
    """Plan and apply the desired state of ML platforms.

    Terraform's spellings work too: -auto-approve, -detailed-exitcode, -out=FILE,
    -target=ADDR, -lock-timeout=30s, -no-color, -json (for --format json).
    """
    from reconciler.redact import forget_all

    forget_all()  # a command knows the secrets of its own run (in-process callers run several)
