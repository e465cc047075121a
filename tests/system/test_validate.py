"""``validate`` checks everything it can offline, reports every error at once, and plan says the same.

Each kind of mistake a plan would otherwise meet later is a located error at
validate time: a missing data file, an endpoint that cannot be reached
(``htps://``, no scheme, another platform's emulator), a real endpoint without
its credential, a reference to nothing, a YAML syntax error.  ``plan`` runs the
same checker, so it prints the same lines, before any platform is opened.
``validate --format json`` gives editors and CI the same errors as a
document (``docs/validate.schema.json``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from tests.schema_check import errors as schema_errors
from tests.support import REPO

SPEC = "specs/multi-platform.yaml"
SCHEMA = json.loads((REPO / "docs" / "validate.schema.json").read_text())
#: Each provider of multi-platform.yaml: its endpoint line, its real endpoint and its credential field.
PROVIDERS = {
    "alviss": ("https://app.alviss.io/api/v1/api", "token"),
    "akkio": ("https://api.akkio.com/api/v1", "api_key"),
    "sony_epa": ("https://developer-api.easy-predictive-analytics.sony.com/v1/external", "api_key"),
    "datrics": ("https://api.app.datrics.ai/api/v1", "secret"),
}
#: Every data file a resource reads, as multi-platform.yaml writes it (an output may be missing).
INPUTS = {
    "alviss upload file": "    file: data/demo/sales_w47.csv",
    "akkio dataset file": "    file: data/akkio/leads.csv",
    "sony train_file": "    train_file: data/sony_epa/churn_train.csv",
    "sony eval_file": "    eval_file: data/sony_epa/churn_eval.csv",
    "datrics input": "    input: data/datrics/credit_applications.csv",
}


def invoke(*args: str) -> tuple[int, str, str]:
    """``reconciler ARGS`` in-process: the exit code, stdout and stderr apart."""
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def edit(project: Path, old: str, new: str) -> tuple[int, int]:
    """Replace the line ``old`` of the spec by ``new``; the line and column where the value starts."""
    spec = project / SPEC
    lines = spec.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if line.split("#")[0].rstrip() == old)
    lines[index] = new
    spec.write_text("\n".join(lines) + "\n")
    return index + 1, (new.index(":") + 3 if ":" in new else 0)


def endpoint_line(platform: str) -> str:
    return f"    endpoint: emulator://{platform}"


def checked(project: Path) -> tuple[str, str]:
    """validate's and plan's error output (both exit 1), with plan's lines as validate's."""
    code, out, validate_err = invoke("validate", SPEC)
    assert code == 1 and not out, (out, validate_err)
    code, out, plan_err = invoke("plan", SPEC)
    assert code == 1, (out, plan_err)
    assert not (project / "emulators").exists()  # no platform was opened
    assert "Traceback" not in validate_err + plan_err
    return validate_err, plan_err


@pytest.mark.parametrize("field", list(INPUTS))
def test_a_missing_data_file_is_located(project: Path, field: str) -> None:
    key, value = INPUTS[field].split(": ")
    line, column = edit(project, INPUTS[field], f"{key}: {value}.old")
    validate_err, plan_err = checked(project)
    assert f"{SPEC}:{line}:{column}: " in validate_err
    assert f"'{key.strip()}': {value}.old does not exist (looked for {project / 'specs' / value}.old)" in (
        validate_err
    )
    assert f"hint: did you mean '{value}'? (a relative path starts at the spec file's directory)" in (
        validate_err
    )
    assert plan_err == validate_err


def test_a_missing_data_file_without_a_likely_one_beside_it(project: Path) -> None:
    edit(project, INPUTS["alviss upload file"], "    file: data/demo/nothing-like-it.csv")
    validate_err, _ = checked(project)
    assert "hint: name an existing data file (a relative path starts at the spec file's directory)" in (
        validate_err
    )


def test_a_missing_output_file_is_fine(project: Path) -> None:
    code, _, err = invoke("validate", SPEC)
    assert code == 0, err
    assert not (project / "predictions").exists()  # the datrics output, not written yet


@pytest.mark.parametrize("platform", list(PROVIDERS))
def test_a_mistyped_scheme_suggests_the_right_one(project: Path, platform: str) -> None:
    real, _ = PROVIDERS[platform]
    line, column = edit(project, endpoint_line(platform), f"    endpoint: {real.replace('https', 'htps')}")
    validate_err, plan_err = checked(project)
    assert f"{SPEC}:{line}:{column}: provider '{platform}': 'endpoint' has an unknown scheme 'htps://'" in (
        validate_err
    )
    assert f"hint: did you mean '{real}'?" in validate_err
    assert plan_err == validate_err


@pytest.mark.parametrize(
    ("written", "message", "hint"),
    [
        ("emulator://alvis", "names emulator://alvis, which is not the alviss emulator", "emulator://alviss"),
        ("emulator://akkio", "names emulator://akkio, which is not the alviss emulator", "emulator://alviss"),
        ("emulator://", "names no emulator", "the alviss emulator is emulator://alviss"),
        ("emulater://alviss", "has an unknown scheme 'emulater://'", "did you mean 'emulator://alviss'?"),
        ("Emulator://alviss", "writes its scheme as 'Emulator://'", "lower case: the alviss emulator is"),
        ("app.alviss.io/api/v1/api", "has no scheme", "did you mean 'https://app.alviss.io/api/v1/api'?"),
        ("https:/app.alviss.io/api/v1/api", "is missing the '://'", "'https://app.alviss.io/api/v1/api'"),
        ("alviss", "has no scheme", "did you mean 'emulator://alviss'?"),
        ("ftp://app.alviss.io", "has an unknown scheme 'ftp://'", "or emulator://alviss"),
        ("https://", "has no host after its scheme", "e.g. https://app.alviss.io/api/v1/api"),
        ("http://localhost:99999/api", "is not a valid URL", "or emulator://alviss"),
    ],
)
def test_each_unreachable_endpoint_is_located(project: Path, written: str, message: str, hint: str) -> None:
    line, column = edit(project, endpoint_line("alviss"), f"    endpoint: '{written}'")
    validate_err, plan_err = checked(project)
    assert f"{SPEC}:{line}:{column}: provider 'alviss': 'endpoint' {message}" in validate_err
    assert hint in validate_err.split("hint: ", 1)[1]
    assert plan_err == validate_err


@pytest.mark.parametrize("platform", list(PROVIDERS))
def test_a_real_endpoint_needs_its_credential(project: Path, platform: str) -> None:
    real, field = PROVIDERS[platform]
    edit(project, endpoint_line(platform), f"    endpoint: {real}")
    lines = (project / SPEC).read_text().splitlines()
    line = lines.index(f"  {platform}:") + 1
    validate_err, plan_err = checked(project)
    assert f"{SPEC}:{line}:3: provider '{platform}': '{field}' is required with a real endpoint ({real})" in (
        validate_err
    )
    assert f"hint: set {field}: ${{env:" in validate_err
    assert plan_err == validate_err


def test_a_real_endpoint_with_its_credential_is_valid(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALVISS_TOKEN", "a-token-from-the-environment")
    edit(project, endpoint_line("alviss"), "    endpoint: https://app.alviss.io/api/v1/api")
    edit(project, "    team: 1", "    team: 1\n    token: ${env:ALVISS_TOKEN}")
    code, out, err = invoke("validate", SPEC)
    assert code == 0, err
    assert out.startswith("The spec is valid")


def test_every_error_is_reported_at_once_in_file_order(project: Path) -> None:
    edit(project, endpoint_line("akkio"), "    endpoint: htps://api.akkio.com/api/v1")
    edit(project, "    user_id: 42", "    user_id: 42\n    colour: blue")
    edit(project, INPUTS["sony train_file"], "    train_file: data/sony_epa/missing.csv")
    edit(project, "    contains: [alviss.upload.sales_w47, alviss.upload.media_w47]",
         "    contains: [alviss.upload.sales_w47, alviss.upload.media_w48]")  # fmt: skip
    validate_err, plan_err = checked(project)
    located = [line for line in validate_err.splitlines() if line.startswith((f"Error: {SPEC}:", f"{SPEC}:"))]
    assert len(located) == 4, validate_err
    messages = [
        "provider 'akkio': 'endpoint' has an unknown scheme 'htps://'",
        "provider 'datrics': unknown key 'colour'",
        "alviss.active_dataset.main: 'contains[1]' refers to 'alviss.upload.media_w48', which is not in",
        "sony_epa.retrain.churn: 'train_file': data/sony_epa/missing.csv does not exist",
    ]
    text = "\n".join(located)
    for message in messages:
        assert message in text, validate_err
    places = [tuple(int(part) for part in line.split(f"{SPEC}:")[1].split(":")[:2]) for line in located]
    assert places == sorted(places)
    assert "did you mean 'alviss.upload.media_w47'?" in validate_err
    assert plan_err == validate_err


def test_a_yaml_syntax_error_is_shown_the_same_by_validate_and_plan(project: Path) -> None:
    line, _ = edit(project, "    dataset_name: Sales", "    dataset_name Sales")
    validate_err, plan_err = checked(project)
    first = f"Error: {SPEC}:{line}:5: invalid YAML: this line has no ':' after its key\n"
    assert validate_err.startswith(first)
    assert f"  {line} |     dataset_name Sales\n" in validate_err
    assert f"{' ' * len(str(line))}   |     ^\n" in validate_err
    assert "while scanning" not in validate_err and "could not find expected" not in validate_err
    assert plan_err == validate_err


# --- validate --format json -------------------------------------------------------------------------


def json_of(*args: str) -> tuple[int, dict[str, Any]]:
    code, out, err = invoke("validate", "--format", "json", *args)
    assert not err, err
    document = json.loads(out)
    assert schema_errors(document, SCHEMA, SCHEMA) == []
    return code, document


def test_json_for_a_valid_spec(project: Path) -> None:
    code, document = json_of(SPEC)
    assert code == 0
    assert document == {
        "format": "reconciler-validate",
        "format_version": 1,
        "spec_files": [SPEC],
        "valid": True,
        "error_count": 0,
        "resources": 7,
        "providers": 4,
        "diagnostics": [],
    }


def test_terraforms_json_spelling(project: Path) -> None:
    code, out, _ = invoke("validate", "-json", SPEC)
    assert code == 0
    assert json.loads(out)["valid"] is True


def test_json_lists_each_error_with_its_place(project: Path) -> None:
    endpoint = edit(project, endpoint_line("alviss"), "    endpoint: htps://app.alviss.io/api/v1/api")
    data = edit(project, INPUTS["akkio dataset file"], "    file: data/akkio/gone.csv")
    code, document = json_of(SPEC)
    assert code == 1
    assert document["valid"] is False and document["error_count"] == 2
    assert document["resources"] is None and document["providers"] is None
    first, second = document["diagnostics"]
    assert first == {
        "severity": "error",
        "file": SPEC,
        "line": endpoint[0],
        "column": endpoint[1],
        "message": "provider 'alviss': 'endpoint' has an unknown scheme 'htps://'",
        "hint": "did you mean 'https://app.alviss.io/api/v1/api'?",
    }
    assert (second["file"], second["line"], second["column"]) == (SPEC, *data)
    assert second["message"].startswith("akkio.dataset.leads: 'file': data/akkio/gone.csv does not exist")


def test_json_for_a_yaml_syntax_error_and_a_missing_spec(project: Path) -> None:
    line, _ = edit(project, "    dataset_name: Sales", "    dataset_name Sales")
    code, document = json_of(SPEC)
    assert code == 1
    [diagnostic] = document["diagnostics"]
    assert (diagnostic["line"], diagnostic["column"]) == (line, 5)
    assert diagnostic["message"] == "invalid YAML: this line has no ':' after its key"
    assert diagnostic["hint"]
    code, document = json_of("specs/nothing-here.yaml")
    assert code == 1
    assert document["diagnostics"][0]["message"] == "spec file not found"
