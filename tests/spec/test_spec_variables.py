"""Variables: declarations, values from defaults, the environment, var files and --var, and their checks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.redact import known
from reconciler.spec import load_spec
from reconciler.spec.variables import VarInputs

from .fakes import REGISTRY, spec_errors

CANARY = "canary-5d1e-sensitive"

HEAD = "providers:\n  alviss: {team: 1, project: 1}\n"


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(text: str, name: str = "spec.yaml") -> str:
    Path(name).write_text(text, encoding="utf-8")
    return name


def values(
    text: str,
    *,
    environ: dict[str, str] | None = None,
    files: tuple[str, ...] = (),
    pairs: tuple[str, ...] = (),
) -> dict[str, Any]:
    spec = load_spec(
        write(text), registry=REGISTRY, environ=environ or {}, variables=VarInputs(files=files, pairs=pairs)
    )
    return dict(spec.variables)


TEAM = "variables:\n  team:\n    type: number\n    default: 1\n"


def test_a_default_is_the_lowest_then_environment_files_and_var_in_order() -> None:
    write("team: 3\n", "a.yaml")
    write('{"team": 4}\n', "b.json")
    assert values(TEAM) == {"team": 1}
    assert values(TEAM, environ={"RECONCILER_VAR_team": "2"}) == {"team": 2}
    assert values(TEAM, environ={"RECONCILER_VAR_team": "2"}, files=("a.yaml",)) == {"team": 3}
    assert values(TEAM, files=("a.yaml", "b.json")) == {"team": 4}
    assert values(TEAM, files=("b.json", "a.yaml")) == {"team": 3}
    assert values(TEAM, files=("a.yaml",), pairs=("team=5", "team=6")) == {"team": 6}


@pytest.mark.parametrize(
    ("type_", "text", "value"),
    [
        ("number", "7", 7),
        ("number", "0.5", 0.5),
        ("bool", "true", True),
        ("bool", "False", False),
        ("string", "007", "007"),
        ("list", "[se, no]", ["se", "no"]),
        ("map", "{se: {team: 1}, no: {team: 2}}", {"se": {"team": 1}, "no": {"team": 2}}),
        ("object", '{"yes": 1}', {"yes": 1}),
        (None, "anything: at all", "anything: at all"),
    ],
)
def test_a_value_given_as_text_is_read_for_the_type(type_: str | None, text: str, value: Any) -> None:
    declared = f"    type: {type_}\n" if type_ else "    description: any\n"
    spec = f"variables:\n  v:\n{declared}"
    assert values(spec, pairs=(f"v={text}",)) == {"v": value}
    assert values(spec, environ={"RECONCILER_VAR_v": text}) == {"v": value}


def test_a_variable_without_a_value_names_the_three_ways() -> None:
    source = write("variables:\n  markets:\n    type: map\n" + HEAD)
    assert spec_errors(source) == [
        "spec.yaml:2:3: variable 'markets' has no value\n"
        "  hint: set it with --var markets=VALUE, in a --var-file FILE.yaml (markets: VALUE),"
        " or in the environment: RECONCILER_VAR_markets=VALUE (or give it a default)"
    ]


def test_a_wrong_value_is_located_where_it_was_given() -> None:
    source = write("variables:\n  team: {type: number}\n  mode: {type: bool}\n  markets: {type: map}\n")
    write("team: 1\nmarkets: [se, no]\n", "vars.yaml")
    errors = spec_errors(
        source,
        variables=VarInputs(files=("vars.yaml",), pairs=("team=one", "mode=maybe")),
        environ={"RECONCILER_VAR_markets": "x"},
    )
    assert errors == [
        "spec.yaml:2:3: variable 'team' must be a number, got 'one' (from --var team=…)",
        "spec.yaml:3:3: variable 'mode' must be true or false, got 'maybe' (from --var mode=…)",
        "vars.yaml:2:10: variable 'markets' must be a mapping, got a list (from vars.yaml)",
    ]


def test_a_json_var_file_is_read_and_located() -> None:
    source = write("variables:\n  team: {type: number}\n")
    write(json.dumps({"team": "x"}, indent=2) + "\n", "vars.json")
    assert spec_errors(source, variables=VarInputs(files=("vars.json",))) == [
        "vars.json:2:11: variable 'team' must be a number, got 'x' (from vars.json)"
    ]


@pytest.mark.parametrize(
    ("rule", "value", "message"),
    [
        ("{pattern: '[a-z]{2}'}", "SE", "must match the pattern '[a-z]{2}', got 'SE'"),
        ("{one_of: [fast, full]}", "slow", "must be one of 'fast', 'full', got 'slow'"),
        ("{min: 2}", "1", "must be at least 2, got 1"),
        ("{max: 10}", "11", "must be at most 10, got 11"),
    ],
)
def test_validation_rules(rule: str, value: str, message: str) -> None:
    type_ = "number" if "min" in rule or "max" in rule else "string"
    source = write(f"variables:\n  v:\n    type: {type_}\n    validation: {rule}\n")
    assert spec_errors(source, variables=VarInputs(pairs=(f"v={value}",))) == [
        f"spec.yaml:2:3: variable 'v' {message} (from --var v=…)"
    ]


def test_lengths_are_checked_for_strings_lists_and_maps() -> None:
    source = write("variables:\n  markets:\n    type: map\n    validation: {min: 1, max: 2}\n")
    errors = spec_errors(source, variables=VarInputs(pairs=("markets={}",)))
    assert errors == ["spec.yaml:2:3: variable 'markets' must have at least 1 entry (from --var markets=…)"]
    errors = spec_errors(source, variables=VarInputs(pairs=("markets={a: 1, b: 2, c: 3}",)))
    assert errors == ["spec.yaml:2:3: variable 'markets' must have at most 2 entries (from --var markets=…)"]
    assert values(Path(source).read_text(), pairs=("markets={a: 1}",)) == {"markets": {"a": 1}}


def test_a_default_is_checked_like_any_value() -> None:
    source = write(
        "variables:\n  mode:\n    type: string\n    default: slow\n    validation: {one_of: [fast]}\n"
    )
    assert spec_errors(source) == ["spec.yaml:4:14: variable 'mode' must be one of 'fast', got 'slow'"]


def test_undeclared_names_are_errors_with_a_suggestion() -> None:
    source = write("variables:\n  markets: {type: map, default: {}}\n")
    write("markts: {}\n", "vars.yaml")
    assert spec_errors(source, variables=VarInputs(files=("vars.yaml",), pairs=("market={}",))) == [
        "spec.yaml:1:1: --var market=…: no variable 'market' is declared in the spec\n"
        "  hint: did you mean 'markets'?",
        "vars.yaml:1:1: no variable 'markts' is declared in the spec\n  hint: did you mean 'markets'?",
    ]


def test_an_undeclared_environment_variable_is_ignored() -> None:
    assert values(TEAM, environ={"RECONCILER_VAR_other": "x"}) == {"team": 1}


def test_bad_declarations_are_located() -> None:
    source = write(
        "variables:\n"
        "  a: {type: text}\n"
        "  b: {typ: string}\n"
        "  c: 3\n"
        "  d-e: {}\n"
        "  f: {default: '${env:HOME}'}\n"
        "  g: {validation: {pattern: '('}}\n"
    )
    errors = spec_errors(source)
    assert errors[0].startswith("spec.yaml:2:13: variable 'a': 'type' must be ")
    assert errors[1:] == [
        "spec.yaml:3:7: variable 'b': unknown key 'typ'\n  hint: did you mean 'type'?",
        "spec.yaml:4:6: variable 'c' must be a mapping (type, default, description, validation), got 3",
        "spec.yaml:5:3: invalid variable name 'd-e':"
        " use letters, digits and '_', starting with a letter or '_'",
        "spec.yaml:6:16: variable 'f': a default is a plain value, without ${…}\n"
        "  hint: compute values from variables in 'locals:'",
        errors[5],
    ]
    assert errors[5].startswith(
        "spec.yaml:7:29: variable 'g': 'validation.pattern' is not a regular expression"
    )


def test_missing_and_malformed_var_files_and_pairs() -> None:
    source = write("variables:\n  a: {default: 1}\n")
    write("- a\n", "list.yaml")
    assert spec_errors(source, variables=VarInputs(files=("nope.yaml", "list.yaml"), pairs=("a",))) == [
        "spec.yaml:1:1: --var 'a': expected NAME=VALUE\n  hint: e.g. --var mode=full",
        "nope.yaml:1:1: var file not found\n  hint: --var-file takes a YAML or JSON file of NAME: VALUE",
        "list.yaml:1:1: a var file must be a mapping of variable names to values, got a list",
    ]


def test_a_sensitive_value_is_never_shown() -> None:
    source = write(
        "variables:\n"
        "  key: {type: number, sensitive: true}\n"
        "  api_token: {type: number}\n"
        "providers:\n"
        "  datrics: {endpoint: e, token: '${var.api_token}'}\n"
    )
    errors = spec_errors(source, variables=VarInputs(pairs=(f"key={CANARY}", f"api_token={CANARY}")))
    assert errors == [
        "spec.yaml:2:3: variable 'key' must be a number (from --var key=…)",
        "spec.yaml:3:3: variable 'api_token' must be a number (from --var api_token=…)",
    ]


def test_sensitive_variables_are_marked_on_the_spec() -> None:
    spec = load_spec(
        write(
            "variables:\n"
            "  secret_word: {default: sv-7c1e-word}\n"
            "  quiet: {default: sv-7c1e-quiet, sensitive: true}\n"
            "  passed: {default: sv-7c1e-passed}\n"
            "  open: {default: sv-7c1e-open}\n"
            "providers:\n"
            "  datrics: {endpoint: e, token: '${var.passed}'}\n"
        ),
        registry=REGISTRY,
        environ={},
    )
    assert spec.sensitive_variables == {"secret_word", "quiet", "passed"}
    assert spec.variables["open"] == "sv-7c1e-open"
    assert "sv-7c1e-quiet" not in known()("sv-7c1e-quiet")


def test_a_spec_file_that_cannot_be_read_leaves_given_names_unjudged() -> None:
    source = write("variables:\n  a: {default: 1}\nresources: [\n")
    write("b: 2\n", "vars.yaml")
    errors = spec_errors(source, variables=VarInputs(files=("vars.yaml",), pairs=("c=3",)))
    assert len(errors) == 1 and errors[0].startswith("spec.yaml:4:1: invalid YAML")


def test_an_empty_var_file_sets_nothing_and_an_unreadable_one_hides_no_value_errors() -> None:
    source = write("variables:\n  a: {default: 1}\n  b: {type: map}\n")
    Path("empty.yaml").write_text("# nothing yet\n")
    Path("broken.yaml").write_text("b: {se: [\n")
    assert spec_errors(source, variables=VarInputs(files=("empty.yaml",)))[0].startswith(
        "spec.yaml:3:3: variable 'b' has no value"
    )
    errors = spec_errors(source, variables=VarInputs(files=("broken.yaml",)))
    assert len(errors) == 1 and errors[0].startswith("broken.yaml:2:1: invalid YAML")


def test_var_files_and_vars_apply_in_the_order_the_command_line_gives_them() -> None:
    write("team: 3\n", "a.yaml")
    write("team: 4\n", "b.yaml")
    spec = load_spec(
        write(TEAM),
        registry=REGISTRY,
        environ={"RECONCILER_VAR_team": "2"},
        variables=VarInputs(files=("a.yaml", "b.yaml"), pairs=("team=5",), order=("file", "pair", "file")),
    )
    assert dict(spec.variables) == {"team": 4}
    spec = load_spec(
        write(TEAM),
        registry=REGISTRY,
        environ={},
        variables=VarInputs(files=("a.yaml",), pairs=("team=5",), order=("pair", "file")),
    )
    assert dict(spec.variables) == {"team": 3}
