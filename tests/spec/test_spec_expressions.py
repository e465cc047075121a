"""Expressions: ${var.X}, ${local.X}, ${each.…} beside ${env:X}; whole values keep their type; x- keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.spec import load_spec
from reconciler.spec.variables import VarInputs

from .fakes import REGISTRY, spec_errors

HEAD = "providers:\n  alviss: {team: 1, project: 1}\n"


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    Path("a.csv").write_text("x\n")
    return tmp_path


def write(text: str) -> str:
    Path("spec.yaml").write_text(text, encoding="utf-8")
    return "spec.yaml"


def config(
    text: str, address: str, *, pairs: tuple[str, ...] = (), environ: dict[str, str] | None = None
) -> Any:
    spec = load_spec(write(text), registry=REGISTRY, environ=environ or {}, variables=VarInputs(pairs=pairs))
    return spec.resources[address].config.model_dump()


def test_a_whole_value_keeps_its_type_and_strings_interpolate() -> None:
    text = (
        "variables:\n"
        "  team: {type: number, default: 7}\n"
        "  country: {type: string, default: SWE}\n"
        "  combination: {type: map, default: {country: NOR, region: north}}\n"
        "  share: {type: number, default: 0.5}\n"
        "providers:\n"
        "  alviss: {team: '${var.team}', project: 1}\n"
        "resources:\n"
        "  alviss.upload.u: {dataset_name: 'team ${var.team} in ${var.country}', file: a.csv}\n"
        "  alviss.active_dataset.d: {contains: [alviss.upload.u]}\n"
        "  alviss.refit.a:\n"
        "    model: ${var.team}\n"
        "    dataset: alviss.active_dataset.d\n"
        "    train_fraction: ${var.share}\n"
        "    combination: ${var.combination}\n"
        "  alviss.refit.b:\n"
        "    model: 1\n"
        "    dataset: alviss.active_dataset.d\n"
        "    combination: {country: ${var.combination.country}, region: '${var.combination.region}'}\n"
    )
    assert config(text, "alviss.upload.u") == {"dataset_name": "team 7 in SWE", "file": "a.csv"}
    refit = config(text, "alviss.refit.a")
    assert refit["model"] == 7 and refit["train_fraction"] == 0.5
    assert refit["combination"] == {"country": "NOR", "region": "north"}
    assert config(text, "alviss.refit.b")["combination"] == {"country": "NOR", "region": "north"}


def test_locals_compute_from_variables_and_other_locals() -> None:
    text = (
        "variables:\n  week: {type: number}\n"
        "locals:\n"
        "  name: 'sales w${local.week}'\n"
        "  week: ${var.week}\n"
        "  unused: ${env:HOME_NOT_SET_HERE}\n" + HEAD + "resources:\n"
        "  alviss.upload.u: {dataset_name: '${local.name}', file: a.csv}\n"
    )
    errors = spec_errors(write(text), variables=VarInputs(pairs=("week=47",)))
    assert errors == [
        "spec.yaml:6:11: environment variable 'HOME_NOT_SET_HERE' is not set\n"
        "  hint: export HOME_NOT_SET_HERE=..."
    ]
    text = text.replace("  unused: ${env:HOME_NOT_SET_HERE}\n", "")
    assert config(text, "alviss.upload.u", pairs=("week=47",))["dataset_name"] == "sales w47"


def test_a_cycle_of_locals_is_one_error() -> None:
    source = write("locals:\n  a: ${local.b}\n  b: ${local.a}\n  c: ${local.a}\n")
    assert spec_errors(source) == ["spec.yaml:2:6: local 'a' refers to itself: local.a → local.b → local.a"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("${var.markt}", "unknown variable 'markt' in '${var.markt}'\n  hint: did you mean var.market?"),
        ("${local.nope}", "unknown local 'nope' in '${local.nope}'\n  hint: define it under 'locals:'"),
        ("${each.key}", "'each' is only available in a resource or provider instance with for_each"),
        ("${var.market.se}", "var.market is a string: it has no field 'se' ('${var.market.se}')"),
        (
            "x${var.markets}",
            "'${var.markets}' is a mapping and cannot be written into a string\n"
            "  hint: a whole value '${…}' keeps a list or mapping; inside a string, name one of its fields",
        ),
        ("${var.markets.dk}", "var.markets has no key 'dk' ('${var.markets.dk}')\n  hint: its keys: se, no"),
        (
            "${foo.bar}",
            "unsupported interpolation '${foo.bar}'\n  hint: write ${var.NAME}, ${local.NAME},"
            " ${each.key}, ${each.value}, ${each.value.FIELD} or ${env:NAME}; $${ writes a literal '${'",
        ),
        ("${var}", "'${var}' names no var\n  hint: write ${var.NAME}"),
    ],
)
def test_a_wrong_expression_is_located_at_its_value(value: str, message: str) -> None:
    source = write(
        "variables:\n  market: {default: se}\n  markets: {default: {se: 1, no: 2}}\n"
        + HEAD
        + f"resources:\n  alviss.upload.u: {{dataset_name: '{value}', file: a.csv}}\n"
    )
    assert spec_errors(source) == [f"spec.yaml:7:35: {message}"]


def test_a_literal_dollar_brace_and_x_keys() -> None:
    text = (
        "x-defaults: &upload {file: a.csv, dataset_name: '${not.evaluated}'}\n"
        "x-notes: [anything, '${at all}']\n" + HEAD + "resources:\n"
        "  alviss.upload.u:\n    <<: *upload\n    dataset_name: 'costs $${var.x}'\n"
    )
    assert config(text, "alviss.upload.u") == {"dataset_name": "costs ${var.x}", "file": "a.csv"}


def test_an_environment_value_reached_through_a_local_is_never_shown() -> None:
    canary = "canary-0b9e-from-env"
    source = write(
        "locals:\n  name: ${env:NAME}\n"
        "providers:\n  datrics: {endpoint: e}\n"
        "resources:\n  datrics.pipeline.p: {name: 'forbidden ${local.name}'}\n"
    )
    errors = spec_errors(source, environ={"NAME": canary})
    assert len(errors) == 1 and canary not in errors[0]


def test_state_and_provider_settings_take_expressions() -> None:
    text = (
        "variables:\n  where: {default: other.json}\n  project: {default: 4}\n"
        "state: {path: '${var.where}'}\n"
        "providers:\n  alviss: {team: 1, project: '${var.project}'}\n"
    )
    spec = load_spec(write(text), registry=REGISTRY, environ={})
    assert spec.state.path == "other.json"
    assert spec.providers["alviss"].config.model_dump()["project"] == 4
