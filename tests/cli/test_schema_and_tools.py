"""The spec schema, ``init`` and ``graph``: what editors validate with and what newcomers start from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from reconciler import platforms
from reconciler.engine.graph import Graph
from reconciler.providers.registry import spec_registry
from reconciler.spec.schema import spec_schema
from reconciler.vocabulary import Action
from reconciler.workflow import Settings, Workspace
from tests import schema_check
from tests.support import INSTANT, REPO

SPECS = sorted((REPO / "specs").glob("*.yaml"))


def as_json(path: Path) -> Any:
    """A YAML file as the YAML language server sees it (dates stay strings)."""
    return json.loads(json.dumps(yaml.safe_load(path.read_text()), default=str))


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return spec_schema(spec_registry())


def cli(*args: str) -> tuple[int, str]:
    from reconciler.cli import main

    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


@pytest.mark.parametrize("path", SPECS, ids=lambda path: path.name)
def test_every_example_spec_validates(path: Path, schema: dict[str, Any]) -> None:
    assert schema_check.errors(as_json(path), schema, schema) == []


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (("dataset_name: Sales", "dataset_nmae: Sales"), "dataset_nmae: unknown key"),
        (("resources:", "resource:"), "$.resource: unknown key"),
        (("  alviss.upload.sales_w47:", "  alviss.uplod.sales_w47:"), "alviss.uplod.sales_w47: unknown key"),
        (("dataset_name: Sales", "dataset_name: Sails"), "not in"),
        (("    team: 1", "    team: [1]"), "expected integer"),
    ],
)
def test_a_misspelled_key_or_wrong_value_is_rejected(
    edit: tuple[str, str], expected: str, schema: dict[str, Any]
) -> None:
    text = (REPO / "specs" / "demo.yaml").read_text()
    assert edit[0] in text
    broken = yaml.safe_load(text.replace(edit[0], edit[1], 1))
    found = schema_check.errors(broken, schema, schema)
    assert any(expected in error for error in found), found


def test_meta_arguments_are_allowed_and_checked(schema: dict[str, Any]) -> None:
    spec = as_json(REPO / "specs" / "many-markets.yaml")
    spec["resources"]["alviss.refit.weekly"]["depends_on"] = ["alviss.upload.sales[m01]"]
    assert schema_check.errors(spec, schema, schema) == []
    spec["resources"]["alviss.refit.weekly"]["provider"] = "akkio"
    assert any("provider" in error for error in schema_check.errors(spec, schema, schema))


def test_the_schema_command_prints_the_generated_schema(schema: dict[str, Any]) -> None:
    code, output = cli("schema")
    assert code == 0
    assert json.loads(output) == json.loads(json.dumps(schema))


@pytest.mark.parametrize("platform", platforms.NAMES)
async def test_init_makes_a_repo_that_validates_and_plans(
    platform: str, tmp_path: Path, schema: dict[str, Any]
) -> None:
    code, output = cli("init", str(tmp_path / "infra"), "--platform", platform)
    assert code == 0, output
    spec = tmp_path / "infra" / "spec.yaml"
    assert spec.read_text().startswith("# yaml-language-server: $schema=reconciler.schema.json")
    assert "state/" in (tmp_path / "infra" / ".gitignore").read_text()
    assert schema_check.errors(as_json(spec), schema, schema) == []
    settings = Settings(
        environ={}, emulator_dir=tmp_path / "emulators", emulator_durations={"alviss": INSTANT}
    )
    result = await Workspace(spec, settings=settings).plan()
    assert result.plan.counts()[Action.CREATE] >= 1


def test_init_refuses_to_overwrite_a_spec(tmp_path: Path) -> None:
    assert cli("init", str(tmp_path))[0] == 0
    code, output = cli("init", str(tmp_path))
    assert code != 0 and "exists already" in output


@pytest.mark.parametrize("fmt", ["dot", "mermaid"])
def test_graph_contains_every_edge(fmt: str) -> None:
    path = REPO / "specs" / "weekly-refresh.yaml"
    dependencies = Graph.from_spec(Workspace(path, settings=Settings(environ={})).validate()).dependencies
    edges = [(dep, address) for address, deps in dependencies.items() for dep in deps]
    assert len(edges) >= 12
    code, output = cli("graph", str(path), "--format", fmt)
    assert code == 0, output
    if fmt == "dot":
        found = {
            tuple(part.strip(' ";') for part in line.split("->"))
            for line in output.splitlines()
            if "->" in line
        }
    else:
        ids = {
            line.split("[", 1)[0].strip(): line.split('"')[1] for line in output.splitlines() if '["' in line
        }
        found = {
            (ids[left.strip()], ids[right.strip()])
            for left, right in (line.split("-->") for line in output.splitlines() if "-->" in line)
        }
    assert found == set(edges)


def test_lifecycle_moved_and_import_are_in_the_schema(schema: dict[str, Any]) -> None:
    spec = as_json(REPO / "specs" / "demo.yaml")
    spec["resources"]["alviss.upload.sales_w47"]["lifecycle"] = {
        "prevent_replace": True,
        "ignore_changes": ["dataset_name"],
    }
    spec["moved"] = [{"from": "alviss.upload.old", "to": "alviss.upload.sales_w47"}]
    spec["import"] = [{"to": "alviss.upload.media_w47", "id": 4}]
    assert schema_check.errors(spec, schema, schema) == []
    spec["resources"]["alviss.upload.sales_w47"]["lifecycle"]["prevent_destroy"] = True
    spec["moved"][0]["too"] = "x"
    spec["import"][0]["id"] = [4]
    found = schema_check.errors(spec, schema, schema)
    assert any("prevent_destroy: unknown key" in error for error in found), found
    assert any("moved[0].too: unknown key" in error for error in found), found
    assert any("import[0].id: expected" in error for error in found), found
