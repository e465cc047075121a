"""Terraform's spellings of flags, accepted beside ours by every command.

People who know Terraform type ``-auto-approve``, ``-out=FILE``,
``-target=ADDR``, ``-lock-timeout=30s``, ``-no-color`` and ``-json``; click
reads a single-dash word as a cluster of one-letter options (``No such option
'-a'``).  Rather than declare a second name on every option, each command
rewrites its arguments before click parses them, from the options the
command declares, so an option added later gets its Terraform spelling for
free and ``--help`` keeps listing ours:

- ``-name`` and ``-name=value`` become ``--name`` and ``--name=value`` when the
  command has ``--name`` (a name it declares with one dash, like ``-out`` or
  ``-h``, is left as it is);
- ``-json`` becomes ``--format=json`` where ``--format`` offers ``json``;
- ``-flag=true`` / ``-flag=false`` (Go's form for booleans) set or drop a flag;
- ``-no-color`` is accepted by every command (those without colours ignore it);
- a word that matches nothing becomes ``--word``, so the error names the whole
  word (``No such option '--lock'``) instead of its first letter.

Nothing is rewritten after ``--``, in an option's value (``--token -x``), or,
for a group, after the subcommand's name (the subcommand reads those).
Durations (``--lock-timeout``) are read in Terraform's form too: ``30s``,
``5m``, ``1m30s``, ``500ms``, or plain seconds.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

import click

__all__ = ["OPTION_ORDER", "Command", "Duration", "Group", "given_order", "terraform_spellings"]

_WORD = re.compile(r"-[A-Za-z][A-Za-z0-9_-]+")
_TRUE = frozenset({"true", "t", "1", "yes"})
_FALSE = frozenset({"false", "f", "0", "no"})


class Duration(click.ParamType[float, Any]):
    """Seconds, as Terraform writes durations (``30s``, ``5m``, ``1h30m``, ``500ms``) or as a number."""

    name = "duration"
    UNITS: ClassVar[dict[str, float]] = {
        "ns": 1e-9,
        "us": 1e-6,
        "µs": 1e-6,
        "ms": 1e-3,
        "s": 1.0,
        "m": 60.0,
        "h": 3600.0,
    }
    _PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        text = str(value).strip()
        seconds = float(value) if isinstance(value, int | float) else self._parse(text)
        if seconds is None:
            self.fail(
                f"{text!r} is not a duration: write seconds (30) or Terraform's form (30s, 5m, 1m30s)",
                param,
                ctx,
            )
        if not 0 <= seconds < math.inf:
            self.fail(f"{text!r} is not a duration of 0 seconds or more", param, ctx)
        return seconds

    def _parse(self, text: str) -> float | None:
        try:
            return float(text)
        except ValueError:
            pass
        if not text or self._PART.sub("", text):  # something besides number-unit pairs
            return None
        return sum(float(number) * self.UNITS[unit] for number, unit in self._PART.findall(text))


def _options(command: click.Command, ctx: click.Context) -> dict[str, click.Option]:
    return {
        name: param
        for param in command.get_params(ctx)
        if isinstance(param, click.Option)
        for name in (*param.opts, *param.secondary_opts)
    }


def _json_format(options: dict[str, click.Option]) -> bool:
    option = options.get("--format")
    return option is not None and isinstance(option.type, click.Choice) and "json" in option.type.choices


def _flag(option: click.Option, ctx: click.Context, name: str, value: str) -> list[str] | None:
    """``-flag=true|false`` as click reads it: the flag, its opposite, or nothing; None: not a boolean."""
    word = value.lower()
    if word in _TRUE:
        return [name]
    if word in _FALSE:
        if option.secondary_opts:
            return [option.secondary_opts[0]]
        return [] if not option.get_default(ctx) else None
    return None


def terraform_spellings(command: click.Command, ctx: click.Context, args: Sequence[str]) -> list[str]:
    """``args`` with Terraform's spellings of ``command``'s options rewritten to ours."""
    options = _options(command, ctx)
    shorts = {name[1] for name in options if len(name) == 2 and name[0] == "-" and name != "--"}
    out: list[str] = []
    rest: Iterator[str] = iter(args)
    for arg in rest:
        if arg == "--" or not arg.startswith("-") or arg == "-":
            out.append(arg)
            if arg == "--" or isinstance(command, click.Group):  # the rest is not this command's to read
                out.extend(rest)
            continue
        name, equals, value = arg.partition("=")
        option = options.get(name)
        if option is None and _WORD.fullmatch(name):
            if f"-{name}" in options:
                name = f"-{name}"
                option = options[name]
            elif name == "-json" and _json_format(options):
                out.append("--format=json")
                continue
            elif name[1] not in shorts:  # not a short option with its value attached (``-oFILE``)
                name = f"-{name}"
        if option is not None and option.is_flag and equals:
            flag = _flag(option, ctx, name, value)
            if flag is not None:
                out.extend(flag)
                continue
        out.append(f"{name}{equals}{value}")
        if option is not None and not option.is_flag and not option.count and not equals:
            out.extend(itertools.islice(rest, option.nargs))  # its value, whatever it looks like
    return out


_NO_COLOR = "No colours or live redraws (NO_COLOR is honoured too)."


class Command(click.Command):
    """A command that reads Terraform's spellings of its flags too, and accepts ``-no-color``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not any("--no-color" in getattr(param, "opts", ()) for param in self.params):
            # Scripts pass -no-color to every Terraform command; ours print colours only in plan and apply.
            self.params.append(
                click.Option(["--no-color"], is_flag=True, expose_value=False, hidden=True, help=_NO_COLOR)
            )

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        args = terraform_spellings(self, ctx, args)
        ctx.meta[OPTION_ORDER] = given_order(self, ctx, args)
        return super().parse_args(ctx, args)


#: ``ctx.meta`` key: the options taking a value, in the order they were given (``["--var-file", "--var"]``).
OPTION_ORDER = "reconciler.option_order"


def given_order(command: click.Command, ctx: click.Context, args: Sequence[str]) -> list[str]:
    """The names of the options taking a value in ``args`` (already in our spellings), in order.

    click gathers a repeatable option's values by option, which loses how two
    options interleave; ``--var-file a.yaml --var x=1 --var-file b.yaml`` must
    apply in that order, as Terraform's ``-var`` and ``-var-file`` do.
    """
    options = _options(command, ctx)
    order: list[str] = []
    rest: Iterator[str] = iter(args)
    for arg in rest:
        if arg == "--":
            break
        name, equals, _ = arg.partition("=")
        option = options.get(name)
        if option is None or option.is_flag or option.count:
            continue
        order.append(option.opts[0] if option.opts else name)
        if not equals:
            for _ in itertools.islice(rest, option.nargs):
                pass
    return order


class Group(click.Group):
    """A group whose own options read Terraform's spellings (``-version``, ``-help``), as its commands do."""

    command_class = Command
    group_class: type[click.Group | type] | None = type  # a subgroup is of this class too

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, terraform_spellings(self, ctx, args))
