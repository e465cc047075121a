"""YAML syntax errors in plain words, at the place to fix, with the line and a caret.

PyYAML says what its parser was doing ("while scanning a simple key … could
not find expected ':'"); a person editing a spec wants to know what is wrong
with *their* line and what to write instead.  Each known problem is
rewritten here as a sentence and a hint, placed where the mistake usually is
(the line whose key lacks its ':', the quote that is never closed, the '['
that is never matched) rather than where the parser gave up, and shown with
the offending line and a caret under the column.  A problem not in the table
keeps the parser's words, still located and shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from reconciler.errors import SpecError
from reconciler.spec.names import SECRETISH

__all__ = ["source_line", "syntax_error"]

PREFIX = "invalid YAML: "
_BREAKS = re.compile(r"\r\n|[\n\r\x85\u2028\u2029]")  # the line breaks YAML counts (and PyYAML's marks)


@dataclass(frozen=True)
class _Said:
    """What the parser said: its context and problem, and the places of each (0-based)."""

    context: str
    problem: str
    context_at: tuple[int, int] | None
    problem_at: tuple[int, int] | None


# A key named like a credential, and the value after it (to the end of the line).
_SECRET_VALUE = re.compile(
    r"""((?:^|[\s{,'"])[\w-]*(?:""" + SECRETISH.pattern + r""")[\w-]*['"]?\s*:)\s*\S.*$""", re.I
)


def source_line(text: str, line: int) -> str | None:
    """Line ``line`` (1-based) of ``text`` as YAML counts lines, to show; None past the end.

    The value of a key named like a credential (``token: …``) is shown as
    ``***``: a secret written into a spec by mistake must not reach a CI log.
    """
    lines = _BREAKS.split(text)
    if not 0 < line <= len(lines):
        return None
    return _SECRET_VALUE.sub(lambda found: found.group(1) + " ***", lines[line - 1], count=1)


def _quoted(problem: str) -> str:
    """The character or token PyYAML quotes at the end of a problem (``… found '<scalar>'``)."""
    found = re.search(r"'((?:[^'\\]|\\.)*)'$", problem) or re.search(r"'(.*)'", problem)
    if found is None:
        return ""
    text = found.group(1)
    return {"\\t": "\t", "\\n": "\n", "\\\\": "\\"}.get(text, text)


def _column(at: tuple[int, int] | None) -> str:
    return f"column {at[1] + 1}" if at is not None else "the same column"


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _stray_colon(said: _Said, text: str) -> tuple[str, str, tuple[int, int] | None]:
    """A ':' the parser cannot take: a second one on a line, a line indented too deep, or a key above
    that lacks its own ':' (so this line was read as the rest of that key)."""
    at = said.problem_at
    lines = _BREAKS.split(text)
    here = lines[at[0]] if at is not None and at[0] < len(lines) else ""
    if at is not None and ": " in here[: at[1]] + " ":
        before = here[: at[1]]
        if re.search(r":(\s|$)", before):
            return (
                "a second ': ' on one line",
                "a value with ': ' in it must be quoted, e.g. key: 'a: b'; a nested mapping goes on its "
                "own lines, indented under its key",
                at,
            )
    previous = None
    for index in range(at[0] - 1 if at is not None else -1, -1, -1):
        stripped = lines[index].strip()
        if stripped and not stripped.startswith("#"):
            previous = index
            break
    if previous is not None:
        above = lines[previous]
        content = above.strip()
        if _indent(above) == _indent(here) and ":" not in content and not content.startswith("-"):
            return (
                "this line has no ':' after its key",
                "write `key: value`, with a colon and a space after the key",
                (previous, _indent(above)),
            )
        if _indent(here) > _indent(above) and not content.endswith(":"):
            return (
                "this line is indented deeper than the line above, which is not a key ending with ':'",
                f"indent it to column {_indent(above) + 1}, like line {previous + 1}, or end line "
                f"{previous + 1} with ':' to nest it there",
                (at[0], _indent(here)) if at is not None else None,
            )
    return (
        "a ':' where no `key: value` can start",
        "a value with ': ' in it must be quoted ('a: b'); otherwise check this line's indentation "
        "and that the line above ends its key with ':'",
        at,
    )


def _explain(said: _Said, text: str) -> tuple[str, str, tuple[int, int] | None]:
    """(message, hint, where) for what the parser said about ``text``."""
    context, problem = said.context, said.problem
    token = _quoted(problem)
    if "could not find expected ':'" in problem:
        return (
            "this line has no ':' after its key",
            "write `key: value`, with a colon and a space after the key; a value that continues the line "
            "above belongs indented under it, or in quotes",
            said.context_at,
        )
    if problem == "mapping values are not allowed here":
        return _stray_colon(said, text)
    if "cannot start any token" in problem:
        if token == "\t":
            return (
                "a tab character: YAML indents with spaces only",
                "replace the tab with spaces (set your editor to insert spaces for YAML)",
                said.problem_at,
            )
        return (
            f"a value cannot start with {token!r} in YAML",
            f"put the value in quotes, e.g. '{token}…'",
            said.problem_at,
        )
    if "quoted scalar" in context and ("end of stream" in problem or "document separator" in problem):
        return (
            "the quoted text that starts here is never closed",
            "add the closing quote; inside '…' write '' for a single quote, inside \"…\" write \\\"",
            said.context_at,
        )
    if "flow sequence" in context or "flow mapping" in context:
        opener, closer, kind, items = (
            ("[", "]", "list", "items") if "sequence" in context else ("{", "}", "mapping", "entries")
        )
        if token == "<stream end>":
            return (
                f"the '{opener}' here is never closed by a '{closer}'",
                f"add the '{closer}' where the {kind} ends",
                said.context_at,
            )
        return (
            f"the {kind} in '{opener} {closer}' that starts at line {_line(said.context_at)} is not closed "
            f"before this",
            f"separate its {items} with ', ' and close it with '{closer}'; a {kind} written over several "
            f"lines goes on only on lines indented deeper than its key",
            said.problem_at,
        )
    if "expected <block end>" in problem:
        if token == "-" and "mapping" in context:
            return (
                "a list item ('- …') where a `key: value` was expected",
                "a list goes under a key: `key:` then its `- item` lines, indented",
                said.problem_at,
            )
        if token == "?" and "collection" in context:
            return (
                "a `key: value` where a list item ('- …') was expected",
                "a list and a mapping cannot share one level: make it a list item or indent it under one",
                said.problem_at,
            )
        return (
            "this line is indented differently from the lines above it",
            f"keys of one mapping start in the same column (here {_column(said.context_at)}, as on line "
            f"{_line(said.context_at)}); indent deeper only under a key that ends with ':'",
            said.problem_at,
        )
    if problem.startswith("found undefined alias"):
        return (
            f"'*{token}' refers to no anchor '&{token}' defined above it",
            f"define the anchor (&{token}) before this line, or quote the value if '*' is meant literally",
            said.problem_at,
        )
    if context.startswith("found duplicate anchor"):
        name = _quoted(context.split(";")[0])
        return (
            f"the anchor '&{name}' is already defined on line {_line(said.context_at)}",
            "give each anchor its own name",
            said.problem_at,
        )
    if "expected a single document" in context:
        return (
            "a second YAML document starts here ('---'); a spec file holds one",
            "remove the '---' line, or put the other part in a file of its own (a spec may be a directory)",
            said.problem_at,
        )
    if "unknown escape character" in problem:
        return (
            f"'\\{token}' is not an escape a double-quoted string knows",
            "use single quotes for text with backslashes (Windows paths), or write '\\\\' for one backslash",
            said.problem_at,
        )
    if "anchor" in context or "alias" in context:
        mark = "&" if "anchor" in context else "*"
        return (
            f"'{mark}' must be followed by a name (letters, digits, '-' or '_')",
            f"name the {'anchor' if mark == '&' else 'alias'}, or quote the value if '{mark}' is literal",
            said.context_at,
        )
    if "block scalar" in context:
        return (
            "a '|' or '>' block must end its line (only '-', '+' or a digit may follow it)",
            "put the text on the following lines, indented under the key",
            said.problem_at,
        )
    if "expected the node content" in problem:
        return (
            "a value is missing here" + (" (the file ends)" if token == "<stream end>" else ""),
            "write the value, or close the '{' or '[' opened before it",
            said.problem_at,
        )
    if "<document start>" in problem:
        return (
            "text after the end of the document ('...')",
            "remove the '...' line, or the text after it",
            said.problem_at,
        )
    if "undefined tag handle" in problem:
        return (
            f"unknown tag {token!r}",
            "quote the value if '!' is meant literally",
            said.problem_at,
        )
    words = ", ".join(part for part in (context, problem) if part) or "cannot parse the file"
    return (
        f"the parser stops here ({words})",
        "check this line's indentation, colons and quotes",
        said.problem_at or said.context_at,
    )


def _line(at: tuple[int, int] | None) -> int:
    return at[0] + 1 if at is not None else 1


def _at(mark: yaml.Mark | None) -> tuple[int, int] | None:
    return (mark.line, mark.column) if mark is not None else None


def syntax_error(exc: yaml.YAMLError, *, file: str, text: str) -> SpecError:
    """``exc``, raised reading ``text`` (the file ``file``), as a located SpecError with the line shown."""
    if isinstance(exc, yaml.reader.ReaderError):
        before = text[: exc.position]
        line = before.count("\n") + 1
        column = exc.position - (before.rfind("\n") + 1) + 1
        character = exc.character if isinstance(exc.character, str) else chr(exc.character)
        return SpecError(
            PREFIX + f"the file holds a control character (#x{ord(character):04x}) YAML does not allow",
            file=file,
            line=line,
            column=column,
            hint="delete it (it is invisible in most editors; often pasted along with text)",
            excerpt=source_line(text, line),
        )
    if isinstance(exc, yaml.MarkedYAMLError):
        said = _Said(
            context=exc.context or "",
            problem=exc.problem or "",
            context_at=_at(exc.context_mark),
            problem_at=_at(exc.problem_mark),
        )
        message, hint, where = _explain(said, text)
        line, column = (where[0] + 1, where[1] + 1) if where is not None else (1, 1)
        excerpt = source_line(text, line)
        if not excerpt and where is not None and where == said.problem_at and said.context_at is not None:
            line, column = said.context_at[0] + 1, said.context_at[1] + 1  # the end of the file shows nothing
            excerpt = source_line(text, line)
        return SpecError(PREFIX + message, file=file, line=line, column=column, hint=hint, excerpt=excerpt)
    return SpecError(PREFIX + f"cannot parse the file ({type(exc).__name__})", file=file, line=1, column=1)
