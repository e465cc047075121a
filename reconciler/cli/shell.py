"""What a person at a shell gets besides the commands: completion and examples in ``--help``.

Completion is click's own (``_RECONCILER_COMPLETE=bash_source reconciler``,
``zsh_source``, ``fish_source``); this module gives it what click cannot know:
a spec argument is a path (so the shell completes files), and an address is
one of the spec's resources (``--target``, ``--replace``, ``import``) or of its
recorded state (``state show|rm|mv``).  Completing never fails: a spec that
cannot be read offers nothing.  Each command's ``--help`` ends with examples
(:func:`examples`), which a test parses against the command they document.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import click
from click.shell_completion import CompletionItem, split_arg_string

#: A spec argument: a file or a directory of spec files, completed by the shell as a path.
SPEC = click.Path()


def examples(*lines: str) -> str:
    """A command's epilog: ``Examples:`` and one command a line, kept as written (click's ``\\b``)."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


def _spec_addresses(spec: str) -> list[str]:
    """The resource addresses a spec names, read as plain YAML (no checks, nothing remote)."""
    import yaml

    path = Path(spec)
    files = sorted([*path.glob("*.yaml"), *path.glob("*.yml")]) if path.is_dir() else [path]
    addresses: list[str] = []
    for file in files:
        with contextlib.suppress(OSError, yaml.YAMLError, UnicodeDecodeError):
            document = yaml.safe_load(file.read_text(encoding="utf-8"))
            if isinstance(document, dict) and isinstance(document.get("resources"), dict):
                addresses.extend(str(address) for address in document["resources"])
    return addresses


def _recorded_addresses(spec: str) -> list[str]:
    """The addresses a spec's local state records (a PostgreSQL state is not reached for completion)."""
    from reconciler.workflow import Workspace

    space = Workspace(spec)
    if space.validate().state.backend != "local":
        return []
    return list(space.state().resources)


def _offer(candidates: list[str], incomplete: str) -> list[CompletionItem]:
    return [CompletionItem(item) for item in sorted(set(candidates)) if item.startswith(incomplete)]


def _given_spec(ctx: click.Context, incomplete: str) -> str | None:
    """The spec argument on the line being completed.

    click drops every value it parsed when the line ends in an option awaiting
    its value (``plan SPEC --target <TAB>``), so the line the shell passes in
    ``COMP_WORDS`` is parsed again without that option.
    """
    spec = ctx.params.get("spec")
    if isinstance(spec, str):
        return spec
    words = split_arg_string(os.environ.get("COMP_WORDS", ""))
    if ctx.info_name not in words:
        return None
    rest = words[words.index(ctx.info_name) + 1 :]
    if rest and rest[-1] == incomplete:
        rest.pop()
    if rest and rest[-1].startswith("-"):
        rest.pop()
    with contextlib.suppress(Exception):
        again = ctx.command.make_context(ctx.info_name, rest, parent=ctx.parent, resilient_parsing=True)
        spec = again.params.get("spec")
    return spec if isinstance(spec, str) else None


def complete_addresses(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """The spec's addresses (for ``--target``, ``--replace``, ``import``)."""
    spec = _given_spec(ctx, incomplete)
    if spec is None:
        return []
    return _offer(_spec_addresses(spec), incomplete)


def complete_recorded(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """The addresses the state records, else the spec's (for ``state show|rm|mv``)."""
    spec = _given_spec(ctx, incomplete)
    if spec is None:
        return []
    try:
        recorded = _recorded_addresses(spec)
    except Exception:  # completion must never fail the shell: fall back to the spec's names
        recorded = []
    return _offer(recorded or _spec_addresses(spec), incomplete)


def complete_emulators(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """The emulators ``emulator serve`` knows."""
    from reconciler.emulators import EMULATORS

    return _offer(list(EMULATORS), incomplete)


__all__ = ["SPEC", "complete_addresses", "complete_emulators", "complete_recorded", "examples"]
