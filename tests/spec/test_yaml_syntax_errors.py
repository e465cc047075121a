"""YAML syntax errors in plain words: placed where the mistake is, with the line, a caret and what to do.

None of the parser's own phrases ("while scanning a simple key", "could not
find expected ':'") reaches the person: each kind of mistake has its
sentence, its place (the key that lacks its ':', the quote never closed, the
'[' never matched) and a hint.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.errors import SpecError, caret_lines
from reconciler.spec.yamlpos import parse_yaml

from .fakes import spec_errors

PARSER_WORDS = (
    "while scanning",
    "while parsing",
    "could not find expected",
    "not allowed here",
    "cannot start any token",
    "<block end>",
    "<stream end>",
    "found unexpected",
    "unacceptable character",
)


def case(name: str, text: str, line: int, column: int, message: str, hint: str) -> Any:
    return pytest.param(text, line, column, message, hint, id=name)


CASES = [
    case(
        "key without colon",
        "version: 1\nproviders\n  alviss: {}\n",
        2,
        1,
        "this line has no ':' after its key",
        "a colon and a space",
    ),
    case(
        "key without colon, read as part of the next line",
        "resources:\n  alviss.upload.a:\n    file data.csv\n    dataset_name: Sales\n",
        3,
        5,
        "this line has no ':' after its key",
        "a colon and a space",
    ),
    case(
        "last key without colon",
        "resources:\n  alviss.upload.a:\n    dataset_name: Sales\n    file data.csv\n",
        4,
        5,
        "this line has no ':' after its key",
        "a colon and a space",
    ),
    case(
        "second colon on a line",
        "version: 1\nstate: a: b\n",
        2,
        9,
        "a second ': ' on one line",
        "must be quoted",
    ),
    case(
        "indented under a value",
        "providers:\n  alviss:\n    team: 1\n      project: 1\n",
        4,
        7,
        "indented deeper than the line above",
        "indent it to column 5, like line 3",
    ),
    case(
        "indented less than its siblings",
        "providers:\n  alviss:\n    team: 1\n   project: 1\n",
        4,
        4,
        "indented differently from the lines above it",
        "start in the same column",
    ),
    case(
        "tab",
        "providers:\n\talviss: {}\n",
        2,
        1,
        "a tab character: YAML indents with spaces only",
        "replace the tab with spaces",
    ),
    case(
        "reserved character",
        "version: 1\nstate: @here\n",
        2,
        8,
        "a value cannot start with '@'",
        "put the value in quotes",
    ),
    case(
        "unclosed double quote",
        'version: 1\nstate: {path: "a.json}\n',
        2,
        15,
        "the quoted text that starts here is never closed",
        "add the closing quote",
    ),
    case(
        "unclosed single quote",
        "version: 1\nstate: 'a.json\nx: 1\n",
        2,
        8,
        "the quoted text that starts here is never closed",
        "add the closing quote",
    ),
    case(
        "unclosed list",
        "providers: {alviss: [1, 2\n",
        1,
        21,
        "the '[' here is never closed by a ']'",
        "add the ']'",
    ),
    case(
        "list missing its bracket",
        "a: [1, 2\nb: 3\n",
        2,
        2,
        "the list in '[ ]' that starts at line 1 is not closed",
        "close it with ']'",
    ),
    case(
        "mapping missing a comma",
        "a: {x: 1 y: 2}\n",
        1,
        11,
        "the mapping in '{ }' that starts at line 1 is not closed",
        "separate its entries with ', '",
    ),
    case(
        "list item among keys",
        "version: 1\n- b\n",
        2,
        1,
        "a list item ('- …') where a `key: value` was expected",
        "a list goes under a key",
    ),
    case(
        "key among list items",
        "- a\nb: c\n",
        2,
        1,
        "a `key: value` where a list item ('- …') was expected",
        "cannot share one level",
    ),
    case(
        "undefined alias",
        "version: *v\n",
        1,
        10,
        "'*v' refers to no anchor '&v' defined above it",
        "define the anchor (&v)",
    ),
    case(
        "duplicate anchor",
        "a: &x 1\nb: &x 2\n",
        2,
        4,
        "the anchor '&x' is already defined on line 1",
        "its own name",
    ),
    case(
        "two documents",
        "version: 1\n---\nversion: 1\n",
        2,
        1,
        "a second YAML document starts here ('---')",
        "remove the '---' line",
    ),
    case(
        "unknown escape",
        'state: {path: "C:\\data\\q.json"}\n',
        1,
        19,
        "'\\d' is not an escape a double-quoted string knows",
        "use single quotes",
    ),
    case("anchor without a name", "a: &\n", 1, 4, "'&' must be followed by a name", "quote the value"),
    case(
        "block scalar indicator",
        "a: |x\n  y\n",
        1,
        5,
        "a '|' or '>' block must end its line",
        "on the following lines",
    ),
    case(
        "text after the document end",
        "a: 1\n...\nb\n",
        3,
        1,
        "text after the end of the document ('...')",
        "remove the '...' line",
    ),
    case("unknown tag handle", "a: !x!y 1\n", 1, 4, "unknown tag '!x!'", "quote the value"),
    case("control character", "version: 1\nstate: \x07\n", 2, 8, "a control character (#x0007)", "delete it"),
]


@pytest.mark.parametrize(("text", "line", "column", "message", "hint"), CASES)
def test_each_syntax_error_is_plain_located_and_shown(
    text: str, line: int, column: int, message: str, hint: str
) -> None:
    errors: list[SpecError] = []
    assert parse_yaml(text, file="spec.yaml", errors=errors) is None
    assert len(errors) == 1, errors
    error = errors[0]
    assert (error.line, error.column) == (line, column), str(error)
    assert error.message.startswith("invalid YAML: ") and message in error.message, error.message
    assert error.hint is not None and hint in error.hint, error.hint
    printed = str(error)
    for words in PARSER_WORDS:
        assert words not in printed, printed
    # The offending line, and a caret under the column.
    assert error.excerpt is not None
    shown, caret = printed.splitlines()[1:3]
    assert shown.startswith(f"  {line} | ")
    assert caret.index("^") == len(f"  {line} | ") + column - 1, printed


def test_the_caret_stays_under_the_column_past_tabs_and_in_long_lines() -> None:
    shown, caret = caret_lines("\tkey:\tvalue", line=7, column=6).splitlines()
    assert shown == "  7 | →key:→value"
    assert caret.index("^") == shown.index(":") + 1
    long = "k: " + "x" * 300 + " b: c"
    shown, caret = caret_lines(long, line=1, column=long.index(" b:") + 3).splitlines()
    assert shown.startswith("  1 | …") and len(shown) < 120
    assert shown[caret.index("^")] == ":"


def test_a_syntax_error_in_one_file_leaves_the_others_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("specs").mkdir()
    Path("specs/a.yaml").write_text("providers:\n  alviss: {team: 1, project: 1}\nresources\n")
    Path("specs/b.yaml").write_text("resources:\n  alviss.upload.x: {dataset_name: Sales, fil: x.csv}\n")
    printed = spec_errors("specs")
    assert printed[0].startswith("specs/a.yaml:3:1: invalid YAML: this line has no ':' after its key\n")
    assert any(
        line.startswith("specs/b.yaml:2:42: alviss.upload.x: unknown key 'fil'") for line in printed
    ), printed


@pytest.mark.parametrize(
    "text",
    [
        'providers:\n  alviss:\n    token: "tok-4f9a-literal\n',  # a quote never closed
        "providers:\n  alviss:\n    token: !vault tok-4f9a-literal\n",  # a tag the loader refuses
        "providers:\n  alviss: {team: 1, api_key: tok-4f9a-literal: x}\n",  # a second ': '
    ],
)
def test_a_credential_on_the_offending_line_is_not_shown(text: str) -> None:
    errors: list[SpecError] = []
    parse_yaml(text, file="spec.yaml", errors=errors)
    assert errors
    printed = "\n".join(str(error) for error in errors)
    assert "tok-4f9a" not in printed, printed
    assert "***" in printed
