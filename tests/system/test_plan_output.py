"""Machine-readable plans (JSON against the published schema, markdown) and selecting work."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from reconciler.cli import main
from tests.schema_check import errors
from tests.support import REPO

from .support import run

SCHEMA = json.loads((REPO / "docs" / "plan.schema.json").read_text())
SALES, MEDIA, ACTIVE = "alviss.upload.sales_w47", "alviss.upload.media_w47", "alviss.active_dataset.main"


def plan_json(*args: str) -> dict[str, object]:
    """The plan document ``plan --format json`` prints on stdout (warnings go to stderr)."""
    result = CliRunner().invoke(main, ["plan", "specs/demo.yaml", "--format", "json", *args])
    assert result.exit_code == 0, result.output
    document: dict[str, object] = json.loads(result.stdout)
    return document


def test_the_json_plan_validates_against_the_published_schema(project: Path) -> None:
    first = plan_json()
    assert errors(first, SCHEMA, SCHEMA) == []
    assert first["summary"] == {"create": 2, "update": 1, "replace": 0, "resume": 0, "forget": 0, "adopt": 0}
    changes = {item["address"]: item for item in first["changes"]}  # type: ignore[attr-defined]
    assert changes[ACTIVE]["after"]["dataset"] == {"known_after_apply": True}
    assert {address: item["reason"] for address, item in changes.items()} == {
        SALES: "no_record",
        MEDIA: "no_record",
        ACTIVE: "upstream_changes",
    }
    run("apply", "specs/demo.yaml", "--auto-approve")
    spec = project / "specs" / "demo.yaml"
    spec.write_text(spec.read_text().replace("      - alviss.upload.media_w47\n", ""))
    spec.write_text(spec.read_text().replace("  alviss.upload.media_w47:\n    dataset_name: Media\n", "")
                    .replace("    file: data/demo/media_w47.csv\n", ""))  # fmt: skip
    second = plan_json()
    assert errors(second, SCHEMA, SCHEMA) == []
    assert second["summary"]["forget"] == 1  # type: ignore[index]
    forgotten = [item for item in second["changes"] if item["action"] == "forget"]  # type: ignore[attr-defined]
    assert [item["reason"] for item in forgotten] == ["not_in_spec"]


def test_the_schema_checker_rejects_a_broken_document(project: Path) -> None:
    document = plan_json()
    document["changes"][0]["action"] = "explode"  # type: ignore[index]
    del document["state"]
    problems = errors(document, SCHEMA, SCHEMA)
    assert "$: missing 'state'" in problems
    assert any("$.changes[0].action" in problem for problem in problems)


def test_markdown_plan_has_a_summary_table_then_details(project: Path) -> None:
    code, output = run("plan", "specs/demo.yaml", "--format", "markdown")
    assert code == 0
    assert output.index("| | resource | action | why |") < output.index("#### Details")
    assert f"| `+` | `{SALES}` | create |" in output
    assert "**Plan:** 2 to create, 1 to change" in output
    run("apply", "specs/demo.yaml", "--auto-approve")
    assert "**No changes.**" in run("plan", "specs/demo.yaml", "--format", "markdown")[1]


def test_target_keeps_the_resource_and_what_it_depends_on(project: Path) -> None:
    addresses = [item["address"] for item in plan_json("--target", SALES)["changes"]]  # type: ignore[attr-defined]
    assert addresses == [SALES]
    code, output = run("apply", "specs/demo.yaml", "--auto-approve", "--target", SALES)
    assert code == 0, output
    assert list(json.loads((project / "state" / "demo.json").read_text())["resources"]) == [SALES]
    addresses = [item["address"] for item in plan_json("--target", ACTIVE)["changes"]]  # type: ignore[attr-defined]
    assert addresses == [SALES, MEDIA, ACTIVE]


def test_an_unknown_target_suggests_the_closest_address(project: Path) -> None:
    code, output = run("plan", "specs/demo.yaml", "--target", "alviss.upload.sales_w74")
    assert code == 1
    assert f"did you mean {SALES}?" in output


def test_replace_forces_a_new_job_and_what_depends_on_it_changes_too(project: Path) -> None:
    run("apply", "specs/demo.yaml", "--auto-approve")
    before = json.loads((project / "state" / "demo.json").read_text())["resources"]
    document = plan_json("--replace", SALES)
    actions = {item["address"]: item["action"] for item in document["changes"]}  # type: ignore[attr-defined]
    assert actions == {SALES: "replace", MEDIA: "no-op", ACTIVE: "update"}
    code, output = run("apply", "specs/demo.yaml", "--auto-approve", "--replace", SALES)
    assert code == 0, output
    after = json.loads((project / "state" / "demo.json").read_text())["resources"]
    assert after[SALES]["outputs"]["upload_id"] != before[SALES]["outputs"]["upload_id"]
    assert after[MEDIA] == before[MEDIA]
    assert after[SALES]["outputs"]["upload_id"] in after[ACTIVE]["outputs"]["upload_ids"]
    assert run("plan", "specs/demo.yaml", "--detailed-exitcode")[0] == 0
