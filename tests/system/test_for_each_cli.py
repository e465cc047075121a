"""for_each and variables end to end: the command line, the served-in-process emulator, the state.

Markets come from a var file and ``--var``; adding a key plans only that
market's chain, removing one forgets only its instances, instance addresses
work with ``--target``, ``--replace``, ``state`` and ``import``, and a saved
plan keeps the values it was made with.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from .support import run

SPEC = """\
version: 1
variables:
  markets:
    type: map
    description: Markets by key.
  fraction:
    type: number
    default: 0.75
    validation: {min: 0.1, max: 0.9}
providers:
  alviss.market:
    for_each: ${var.markets}
    endpoint: emulator://alviss
    team: 1
    project: ${each.value.project}
resources:
  alviss.upload.sales:
    for_each: ${var.markets}
    provider: alviss.market[${each.key}]
    dataset_name: Sales
    file: data/${each.key}/sales.csv
  alviss.upload.media:
    for_each: ${var.markets}
    provider: alviss.market[${each.key}]
    dataset_name: Media
    file: data/${each.key}/media.csv
  alviss.active_dataset.main:
    for_each: ${var.markets}
    provider: alviss.market[${each.key}]
    contains: [alviss.upload.sales[${each.key}], alviss.upload.media[${each.key}]]
  alviss.refit.weekly:
    for_each: ${var.markets}
    provider: alviss.market[${each.key}]
    model: ${each.value.model}
    dataset: alviss.active_dataset.main[${each.key}]
    combination: {country: ${each.value.country}, region: all, grouping: all}
    train_fraction: ${var.fraction}
"""

TWO = "markets:\n  se: {project: 1, model: 3, country: SWE}\n  no: {project: 2, model: 11, country: NOR}\n"
WITH_TWO = ("--var-file", "two.yaml")
THREE = "markets={se: {project: 1, model: 3, country: SWE}, no: {project: 2, model: 11, country: NOR}, dk: {project: 3, model: 3, country: SWE}}"  # noqa: E501


@pytest.fixture
def markets(project: Path) -> Path:
    weekly = project / "specs" / "data" / "weekly" / "se"
    for market in ("se", "no", "dk"):
        (project / "data" / market).mkdir(parents=True)
        shutil.copy(weekly / "sales_w47.csv", project / "data" / market / "sales.csv")
        shutil.copy(weekly / "media_w47.csv", project / "data" / market / "media.csv")
    (project / "markets.yaml").write_text(SPEC)
    (project / "two.yaml").write_text(TWO)
    return project / "markets.yaml"


def changes(output: str) -> list[str]:
    marks = ("  + ", "  ~ ", "  -/+ ", "  x ")
    return [line.strip() for line in output.splitlines() if line.startswith(marks) and ": " in line]


def test_markets_apply_converge_grow_and_shrink(markets: Path) -> None:
    code, output = run("validate", "markets.yaml", *WITH_TWO)
    assert (code, output.strip()) == (0, "The spec is valid: 8 resources, 2 providers.")
    code, output = run("apply", "markets.yaml", *WITH_TWO, "--auto-approve")
    assert code == 0, output
    assert "Resources: 6 added, 2 changed" in output
    code, output = run("plan", "markets.yaml", "-var-file=two.yaml", "--detailed-exitcode")
    assert (code, output.strip()) == (0, "No changes. The live platforms match the spec.")

    code, output = run("plan", "markets.yaml", *WITH_TWO, "--var", THREE)
    assert code == 0, output
    assert [line.split(":")[0] for line in changes(output)] == [
        "+ alviss.upload.sales[dk]",
        "+ alviss.upload.media[dk]",
        "~ alviss.active_dataset.main[dk]",
        "+ alviss.refit.weekly[dk]",
    ]

    code, output = run("plan", "markets.yaml", "--var", "markets={se: {project: 1, model: 3, country: SWE}}")
    assert code == 0, output
    assert [line.split(":")[0] for line in changes(output)] == [
        "x alviss.active_dataset.main[no]",
        "x alviss.refit.weekly[no]",
        "x alviss.upload.media[no]",
        "x alviss.upload.sales[no]",
    ]


def test_instance_addresses_in_target_replace_state_and_graph(markets: Path) -> None:
    assert run("apply", "markets.yaml", *WITH_TWO, "--auto-approve")[0] == 0
    code, output = run("plan", "markets.yaml", *WITH_TWO, "--replace", "alviss.refit.weekly[no]")
    assert [line.split(":")[0] for line in changes(output)] == ["-/+ alviss.refit.weekly[no]"]
    code, output = run("plan", "markets.yaml", *WITH_TWO, "--replace", "alviss.refit.weekly")
    assert sorted(line.split(":")[0] for line in changes(output)) == [
        "-/+ alviss.refit.weekly[no]",
        "-/+ alviss.refit.weekly[se]",
    ]
    code, output = run("plan", "markets.yaml", *WITH_TWO, "--target", "alviss.refit.wekly[se]")
    assert code == 1 and "did you mean alviss.refit.weekly[se]?" in output

    code, output = run("state", "list", "markets.yaml", *WITH_TWO)
    assert "alviss.refit.weekly[no]\tready" in output
    code, output = run("state", "show", "markets.yaml", "alviss.refit.weekly[no]", *WITH_TWO)
    assert json.loads(output)["alviss.refit.weekly[no]"]["provider"] == "alviss.market[no]"
    code, output = run("graph", "markets.yaml", *WITH_TWO)
    assert '"alviss.active_dataset.main[se]" -> "alviss.refit.weekly[se]";' in output
    code, output = run("graph", "markets.yaml", *WITH_TWO, "--format", "mermaid")
    assert 'subgraph alviss_market_se_["alviss.market[se]"]' in output

    model_id = json.loads(run("state", "show", "markets.yaml", "alviss.refit.weekly[no]", *WITH_TWO)[1])[
        "alviss.refit.weekly[no]"
    ]["outputs"]["model_id"]
    code, output = run("state", "rm", "markets.yaml", "alviss.refit.weekly", *WITH_TWO)
    assert code == 0, output
    code, output = run("state", "list", "markets.yaml", *WITH_TWO)
    assert "alviss.refit.weekly" not in output
    code, output = run("import", "markets.yaml", "alviss.refit.weekly[no]", str(model_id), *WITH_TWO)
    assert code == 0, output
    assert "alviss.refit.weekly[no]\tready" in run("state", "list", "markets.yaml", *WITH_TWO)[1]


def test_a_saved_plan_keeps_the_values_it_was_made_with(markets: Path) -> None:
    code, output = run("plan", "markets.yaml", *WITH_TWO, "--var", "fraction=0.5", "-out", "p.json")
    assert code == 0, output
    document = json.loads(Path("p.json").read_text())
    assert document["variables"]["fraction"] == 0.5 and set(document["variables"]["markets"]) == {"se", "no"}
    code, output = run("apply", "p.json")  # no --var-file: the plan's own values
    assert code == 0, output
    code, output = run("plan", "markets.yaml", *WITH_TWO, "--var", "fraction=0.5")
    assert "No changes." in output


def test_every_spec_reading_command_takes_var_and_var_file(markets: Path) -> None:
    for command in (
        ["validate"],
        ["plan"],
        ["drift"],
        ["graph"],
        ["show"],
        ["state", "list"],
    ):
        code, output = run(*command, "markets.yaml")
        assert code == 1 and "variable 'markets' has no value" in output, (command, output)
        code, output = run(*command, "markets.yaml", *WITH_TWO)
        assert "has no value" not in output, (command, output)
    code, output = run("validate", "markets.yaml", "-var-file=two.yaml", "-var", "fraction=2")
    assert code == 1
    assert (
        "markets.yaml:6:3: variable 'fraction' must be at most 0.9, got 2 (from --var fraction=…)" in output
    )


def test_the_environment_gives_values_too(markets: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECONCILER_VAR_markets", "{se: {project: 1, model: 3, country: SWE}}")
    code, output = run("validate", "markets.yaml")
    assert (code, output.strip()) == (0, "The spec is valid: 4 resources, 1 provider.")
    code, output = run("validate", "markets.yaml", *WITH_TWO)  # the file wins
    assert (code, output.strip()) == (0, "The spec is valid: 8 resources, 2 providers.")
