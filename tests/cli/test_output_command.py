"""`reconciler output`: the outputs the last apply recorded, listed or one by name, text or JSON."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.support import REPO
from tests.system.support import INSTANT, run

OUTPUTS = """
outputs:
  dataset:
    value: alviss.active_dataset.main.dataset_id
    description: The project's active dataset
  uploads:
    value: {sales: alviss.upload.sales_w47.upload_id, media: alviss.upload.media_w47.upload_id}
  sales: {value: alviss.upload.sales_w47}
  owner: {value: "team ${env:TEAM_NAME}", sensitive: true}
  note: {value: plain text}
"""


@pytest.fixture
def applied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RECONCILER_EMULATOR_DIR", str(tmp_path / "emulators"))
    monkeypatch.setenv("RECONCILER_EMULATOR_DURATIONS", INSTANT)
    monkeypatch.setenv("TEAM_NAME", "growth")
    spec = tmp_path / "specs" / "demo.yaml"
    spec.write_text(spec.read_text() + OUTPUTS)
    code, out = run("apply", "--auto-approve", "specs/demo.yaml")
    assert code == 0, out
    assert "Outputs:\n\ndataset = 2\n" in out  # as Terraform ends an apply; the sensitive one masked
    assert "owner = <sensitive>" in out and "growth" not in out
    return spec


def test_listing_masks_sensitive_outputs(applied: Path) -> None:
    code, out = run("output", "specs/demo.yaml")
    assert code == 0
    # Concurrent uploads take their ids in the order they arrive: read them from the state.
    state = json.loads((applied.parent.parent / "state" / "demo.json").read_text())["resources"]
    sales, media = (state[f"alviss.upload.{name}_w47"]["outputs"]["upload_id"] for name in ("sales", "media"))
    assert {sales, media} == {3, 4}
    assert out.splitlines() == [
        "dataset = 2",
        'note = "plain text"',
        "owner = <sensitive>",
        f'sales = {{"upload_id": {sales}}}',
        f'uploads = {{"sales": {sales}, "media": {media}}}',
    ]


def test_by_name_shows_the_value_sensitive_or_not(applied: Path) -> None:
    assert run("output", "owner", "specs/demo.yaml") == (0, "team growth\n")
    assert run("output", "note", "specs/demo.yaml") == (0, "plain text\n")
    assert run("output", "dataset", "specs/demo.yaml") == (0, "2\n")
    code, out = run("output", "uploads", "specs/demo.yaml", "--json")
    assert code == 0 and json.loads(out).keys() == {"sales", "media"} and out.startswith('{\n  "sales": ')


def test_json_listing(applied: Path) -> None:
    for flags in (["--json"], ["-json"], ["--format", "json"]):
        code, out = run("output", *flags, "specs/demo.yaml")
        assert code == 0, out
        document = json.loads(out)
        assert document["dataset"] == {
            "sensitive": False,
            "value": 2,
            "description": "The project's active dataset",
        }
        assert document["owner"] == {"sensitive": True, "value": None}


def test_spec_found_in_the_working_directory(applied: Path) -> None:
    for other in applied.parent.glob("*.yaml"):
        if other != applied:
            other.unlink()
    assert run("output", "dataset") == (0, "2\n")
    assert run("output")[1].startswith("dataset = 2\n")


def test_unknown_name_is_an_error_with_the_closest(applied: Path) -> None:
    code, out = run("output", "datset", "specs/demo.yaml")
    assert code == 1
    assert "Error: output 'datset' is not in the state" in out
    assert "did you mean 'dataset'?" in out


def test_outputs_follow_the_spec_and_show_lists_them(applied: Path) -> None:
    text = applied.read_text().replace("  note: {value: plain text}\n", "  note: {value: [1, 2]}\n")
    applied.write_text(text.replace("  sales: {value: alviss.upload.sales_w47}\n", ""))
    code, out = run("apply", "--auto-approve", "specs/demo.yaml")
    assert code == 0, out
    assert "No changes." in out and "note = [1, 2]" in out
    code, out = run("output", "specs/demo.yaml")
    assert "sales =" not in out and "note = [1, 2]" in out
    code, out = run("show", "specs/demo.yaml")
    assert "Outputs:\n  dataset = 2\n" in out


def test_no_outputs_yet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    monkeypatch.chdir(tmp_path)
    code, out = run("output", "specs/demo.yaml")
    assert code == 0
    assert "No outputs recorded" in out
    assert run("output", "--json", "specs/demo.yaml") == (0, "{}\n")
