"""The command line end to end: exit codes, messages, and what it prints (click's runner, in-process)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from tests.support import REPO

INSTANT = "upload=0,dataset=0,refit=0,build=0,attribution=0,attribution_set=0"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    import shutil

    shutil.copytree(REPO / "specs", tmp_path / "specs")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RECONCILER_EMULATOR_DIR", str(tmp_path / "emulators"))
    monkeypatch.setenv("RECONCILER_EMULATOR_DURATIONS", INSTANT)
    return tmp_path


def run(*args: str, input: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)
    return result.exit_code, result.output


def test_plan_with_detailed_exitcode_then_apply_then_no_changes(project: Path) -> None:
    code, output = run("plan", "specs/demo.yaml", "--detailed-exitcode")
    assert code == 2
    assert "Plan: 2 to create, 1 to change, 0 to replace, 0 to resume, 0 to forget." in output

    code, output = run("apply", "specs/demo.yaml", "--auto-approve")
    assert code == 0, output
    assert "Apply complete! Resources: 2 added, 1 changed, 0 replaced, 0 adopted." in output

    code, output = run("plan", "specs/demo.yaml", "--detailed-exitcode")
    assert code == 0
    assert output.startswith("No changes.")


def test_apply_asks_and_does_nothing_when_declined(project: Path) -> None:
    code, output = run("apply", "specs/demo.yaml", input="n\n")
    assert code == 1
    assert "Apply these changes?" in output
    assert "Apply cancelled. Nothing was changed." in output
    assert not (project / "state" / "demo.json").exists()


def test_apply_asks_and_applies_when_confirmed(project: Path) -> None:
    code, output = run("apply", "specs/demo.yaml", input="y\n")
    assert code == 0, output
    assert json.loads((project / "state" / "demo.json").read_text())["serial"] >= 1


def test_apply_without_anyone_to_answer_applies_nothing(project: Path) -> None:
    code, output = run("apply", "specs/demo.yaml", input="")
    assert code == 1
    assert "--auto-approve" in output


def test_show_prints_the_recorded_state(project: Path) -> None:
    assert run("show", "specs/demo.yaml") == (0, "The state is empty.\n")
    run("apply", "specs/demo.yaml", "--auto-approve")
    code, output = run("show", "specs/demo.yaml")
    assert code == 0
    assert "alviss.upload.sales_w47 [ready] upload_id=" in output
    assert "alviss.active_dataset.main [ready] dataset_id=" in output


def test_validate_names_the_place_and_the_closest_key(project: Path) -> None:
    spec = project / "specs" / "demo.yaml"
    spec.write_text(
        spec.read_text().replace("    file: data/demo/media_w47.csv", "    fle: data/demo/media_w47.csv")
    )
    code, output = run("validate", "specs/demo.yaml")
    assert code == 1
    assert "demo.yaml:" in output
    assert "'fle'" in output
    assert "did you mean 'file'" in output
    assert "Traceback" not in output


def test_validate_accepts_the_demo(project: Path) -> None:
    code, output = run("validate", "specs/demo.yaml")
    assert (code, output) == (0, "The spec is valid: 3 resources, 1 provider.\n")


def test_missing_spec_file_is_a_clear_error(project: Path) -> None:
    code, output = run("plan", "specs/nope.yaml")
    assert code == 1
    assert "nope.yaml" in output
    assert "Traceback" not in output


def test_validate_refuses_a_reference_across_provider_instances(project: Path) -> None:
    (project / "specs" / "cross.yaml").write_text(
        "providers:\n"
        "  alviss.se: {endpoint: 'emulator://alviss', team: 1, project: 1}\n"
        "  alviss.no: {endpoint: 'emulator://alviss', team: 1, project: 2}\n"
        "resources:\n"
        "  alviss.upload.a: {provider: alviss.no, dataset_name: Sales, file: a.csv}\n"
        "  alviss.active_dataset.se: {provider: alviss.se, contains: [alviss.upload.a]}\n"
    )
    code, output = run("validate", "specs/cross.yaml")
    assert code == 1
    assert "cross.yaml:6:" in output
    assert "which belongs to provider alviss.no" in output


def test_a_bad_emulator_variant_is_a_clean_error_naming_the_valid_ones(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, output = run("emulator", "serve", "alviss", "--variant", "partial")
    assert code == 1  # a usage error: 2 means only "changes present"
    assert "'full', 'documented', 'strict'" in output
    monkeypatch.setenv("RECONCILER_EMULATOR_VARIANT", "partial")
    code, output = run("plan", "specs/demo.yaml")
    assert code == 1
    assert "unknown emulator variant 'partial'" in output
    assert "variants: full, documented, strict" in output
    assert "Traceback" not in output


def test_a_missing_data_file_blocks_plan_but_not_the_state_commands(project: Path) -> None:
    assert run("apply", "specs/demo.yaml", "--auto-approve")[0] == 0
    (project / "specs" / "data" / "demo" / "media_w47.csv").unlink()  # not exported yet this week

    for command in (("validate",), ("plan",)):
        code, output = run(*command, "specs/demo.yaml")
        assert code == 1 and "media_w47.csv does not exist" in output, output

    code, output = run("state", "list", "specs/demo.yaml")
    assert code == 0 and "alviss.upload.media_w47\tready" in output, output
    assert run("show", "specs/demo.yaml")[0] == 0
    assert run("state", "show", "specs/demo.yaml", "alviss.upload.media_w47")[0] == 0
    code, output = run("force-unlock", "specs/demo.yaml", "no-such-lock")
    assert code == 1 and "does not exist" not in output, output  # about the lock, not the data file
    code, output = run("state", "rm", "specs/demo.yaml", "alviss.upload.media_w47")
    assert code == 0, output
