"""``reconciler fmt``: specs written in one canonical layout, comments kept.

The layout (``docs/language.md``, section *fmt*):

* mappings indented by two spaces; a list under a key indented two more,
  its items written ``- item``;
* one space after ``:`` and after ``,`` in flow collections, no trailing
  spaces, at most one blank line in a row, none at the start or the end,
  one newline at the end of the file, no ``---`` line;
* a comment on a line of its own is indented like the entry below it; a
  comment at the end of a line keeps its column (aligned comments stay
  aligned);
* everything a person chose is kept: key order, comments, quotes, flow
  (``{a: 1}``) or block style, anchors and aliases (``<<: *defaults``).

The round trip is ruamel.yaml's, which keeps comments where PyYAML drops
them.  The loader reads YAML 1.1 (where a bare ``no`` is false) and
ruamel.yaml writes 1.2, so quotes are kept exactly as written; and before a
file is rewritten the result is read back with the loader and must mean the
very same values, or nothing is written.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.errors import SpecError, SpecErrors
from reconciler.spec.yamlpos import parse_yaml

__all__ = ["Formatted", "format_text", "spec_files"]

INDENT = 2
_BLANK_RUN = re.compile(r"\n(?:[ \t]*\n){2,}")


@dataclass(frozen=True)
class Formatted:
    """One file's text as written and in the canonical layout."""

    path: Path
    before: str
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


def spec_files(sources: list[Path], *, recursive: bool = False) -> list[Path]:
    """The spec files ``sources`` name: files as given, a directory's ``*.yaml``/``*.yml``.

    ``recursive`` takes those of its subdirectories too (a spec's ``modules/``).
    """
    found: list[Path] = []
    problems: list[SpecError] = []
    for source in sources:
        if source.is_dir():
            pattern = "**/*" if recursive else "*"
            files = sorted(
                path for path in source.glob(pattern) if path.suffix in (".yaml", ".yml") and path.is_file()
            )
            if not files:
                problems.append(
                    SpecError(
                        "no *.yaml or *.yml spec files in this directory", file=str(source), line=1, column=1
                    )
                )
            found.extend(files)
        elif not source.exists():
            problems.append(SpecError("spec file not found", file=str(source), line=1, column=1))
        else:
            found.append(source)
    if problems:
        raise SpecErrors(problems)
    return list(dict.fromkeys(found))


def format_text(text: str, *, file: str) -> str:
    """``text`` in the canonical layout; raises SpecErrors (at ``file:line:col``) when it is not YAML."""
    errors: list[SpecError] = []
    document = parse_yaml(text, file=file, errors=errors)
    if document is None or errors:
        raise SpecErrors(errors or [SpecError("the spec file is empty", file=file, line=1, column=1)])
    if not isinstance(document.value, dict):
        where = document.at(())
        raise SpecErrors(
            [
                SpecError(
                    "the top level of a spec file must be a mapping",
                    file=file,
                    line=where.line,
                    column=where.column,
                )
            ]
        )
    yaml = _yaml()
    try:
        data = yaml.load(text)
    except Exception as exc:  # the loader read it; ruamel.yaml reads stricter: say where, no traceback
        mark = getattr(exc, "problem_mark", None)
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SpecErrors(
            [SpecError(f"cannot be formatted: {problem}", file=file, line=line, column=column)]
        ) from exc
    _blank_runs(data)
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    after = "\n".join(line.rstrip() for line in buffer.getvalue().split("\n"))
    after = _indent_comments(after.strip("\n") + "\n")
    check: list[SpecError] = []
    again = parse_yaml(after, file=file, errors=check)
    if check or again is None or again.value != document.value:
        raise SpecErrors(
            [
                SpecError(
                    "reconciler fmt would change what this file means; it was left as it is",
                    file=file,
                    line=1,
                    column=1,
                    hint="please report this file; meanwhile lay it out by hand",
                )
            ]
        )
    return after


def _yaml() -> Any:
    from ruamel.yaml import YAML  # only `fmt` needs it

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=INDENT, sequence=INDENT * 2, offset=INDENT)
    yaml.width = 1 << 16  # never fold a long value onto a second line
    return yaml


# -- comments --------------------------------------------------------------------------------------------


def _blank_runs(root: Any) -> None:
    """Collapse runs of blank lines kept in comment tokens (ruamel.yaml keeps blank lines there)."""
    from ruamel.yaml.tokens import CommentToken

    seen: set[int] = set()
    for token in _tokens(root, CommentToken):
        if id(token) not in seen:
            seen.add(id(token))
            token.value = _BLANK_RUN.sub("\n\n", token.value)


def _indent_comments(text: str) -> str:
    """Each comment on a line of its own put at the level it was written at, as the layout moved it.

    Its level is the one closest to where it was written among the entry
    below it and the entries it sits inside (the one above and its
    parents): a commented-out field at the end of a mapping stays in it.
    Lines inside a scalar written over several lines (``|`` blocks) are text,
    never comments.
    """
    import yaml

    inside: set[int] = set()
    for node in _scalars(yaml.compose(text, Loader=yaml.SafeLoader)):
        inside.update(range(node.start_mark.line + 1, node.end_mark.line + 1))
    lines = text.split("\n")
    below: dict[int, int] = {}
    following = 0
    for index in range(len(lines) - 1, -1, -1):
        stripped = lines[index].lstrip(" ")
        if index in inside or not stripped:
            continue
        if stripped.startswith("#"):
            below[index] = following
        else:
            following = len(lines[index]) - len(stripped)
    open_levels: list[int] = [0]
    for index, line in enumerate(lines):
        stripped = line.lstrip(" ")
        if index in inside or not stripped:
            continue
        column = len(line) - len(stripped)
        if not stripped.startswith("#"):
            while open_levels and open_levels[-1] >= column:
                open_levels.pop()
            open_levels.append(column)
            continue
        levels = [below[index], *reversed(open_levels)]
        chosen = min(levels, key=lambda level: abs(level - column))
        lines[index] = " " * chosen + stripped
    return "\n".join(lines)


def _scalars(node: Any) -> Iterator[Any]:
    import yaml

    if isinstance(node, yaml.ScalarNode):
        if node.end_mark.line > node.start_mark.line:
            yield node
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _scalars(item)
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield from _scalars(key)
            yield from _scalars(value)


def _tokens(node: Any, kind: type) -> Iterator[Any]:
    ca = getattr(node, "ca", None)
    if ca is not None:
        yield from _flat(ca.comment, kind)
        for item in ca.items.values():
            yield from _flat(item, kind)
        yield from _flat(ca.end, kind)
    if isinstance(node, dict):
        for value in node.values():
            yield from _tokens(value, kind)
    elif isinstance(node, list):
        for value in node:
            yield from _tokens(value, kind)


def _flat(value: Any, kind: type) -> Iterator[Any]:
    if isinstance(value, kind):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _flat(item, kind)
