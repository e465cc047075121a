"""``init`` writes the CI recipe of docs/ci.md for the new repo, and both are valid workflows."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from click.testing import CliRunner

from reconciler.cli import main
from tests.workflow.support import REPO


def jobs(text: str) -> dict[str, object]:
    document = yaml.safe_load(text)
    assert isinstance(document, dict)
    found = document["jobs"]
    assert isinstance(found, dict)
    return found


def test_documented_workflow_is_valid_yaml_with_plan_apply_and_drift() -> None:
    doc = (REPO / "docs" / "ci.md").read_text()
    block = re.search(r"```yaml\n(# \.github/workflows/reconciler\.yml\n.*?)```", doc, flags=re.S)
    assert block is not None
    assert sorted(jobs(block.group(1))) == ["apply", "drift", "plan"]


def test_init_writes_the_workflow_for_its_spec(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["init", str(tmp_path / "repo"), "--platform", "alviss"])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "repo" / ".github" / "workflows" / "reconciler.yml").read_text()
    assert sorted(jobs(text)) == ["apply", "drift", "plan"]
    assert "reconciler drift spec.yaml" in text
    assert "reconciler apply plan.json" in text
