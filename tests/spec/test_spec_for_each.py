"""for_each on resources and provider instances: instance addresses, references between instances, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.spec import Spec, load_spec
from reconciler.spec.variables import VarInputs

from .fakes import REGISTRY, spec_errors

MARKETS = "{se: {project: 1, model: 3, country: SWE}, no: {project: 2, model: 11, country: NOR}}"

TEMPLATE = """\
variables:
  markets: {type: map}
providers:
  alviss.market:
    for_each: ${var.markets}
    team: 1
    project: ${each.value.project}
resources:
  alviss.upload.sales:
    for_each: ${var.markets}
    provider: alviss.market[${each.key}]
    dataset_name: Sales
    file: ${each.key}.csv
  alviss.active_dataset.main:
    for_each: ${var.markets}
    provider: alviss.market[${each.key}]
    contains: [alviss.upload.sales[${each.key}]]
  alviss.refit.weekly:
    for_each: ${var.markets}
    provider: alviss.market[${each.key}]
    model: ${each.value.model}
    dataset: alviss.active_dataset.main[${each.key}]
    combination: {country: ${each.value.country}}
"""


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("se", "no", "dk", "a", "b"):
        Path(f"{name}.csv").write_text("x\n")
    return tmp_path


def write(text: str) -> str:
    Path("spec.yaml").write_text(text, encoding="utf-8")
    return "spec.yaml"


def load(text: str, *pairs: str) -> Spec:
    return load_spec(write(text), registry=REGISTRY, environ={}, variables=VarInputs(pairs=pairs))


def test_a_map_gives_one_instance_per_key_with_references_between_instances() -> None:
    spec = load(TEMPLATE, f"markets={MARKETS}")
    assert list(spec.providers) == ["alviss.market[se]", "alviss.market[no]"]
    assert list(spec.resources) == [
        "alviss.upload.sales[se]",
        "alviss.upload.sales[no]",
        "alviss.active_dataset.main[se]",
        "alviss.active_dataset.main[no]",
        "alviss.refit.weekly[se]",
        "alviss.refit.weekly[no]",
    ]
    refit = spec.resources["alviss.refit.weekly[no]"]
    assert refit.provider == "alviss.market[no]"
    assert refit.name == "weekly" and refit.type == "alviss.refit"
    assert refit.config.model_dump()["model"] == 11
    assert refit.config.model_dump()["dataset"] == "alviss.active_dataset.main[no]"
    assert spec.providers["alviss.market[no]"].config.model_dump()["project"] == 2
    assert spec.resources["alviss.upload.sales[se]"].config.model_dump()["file"] == "se.csv"
    assert spec.instances_of("alviss.refit.weekly") == ["alviss.refit.weekly[se]", "alviss.refit.weekly[no]"]


def test_a_list_of_strings_gives_one_instance_per_string_and_each_value_is_the_key() -> None:
    spec = load(
        "providers:\n  alviss: {team: 1, project: 1}\n"
        "resources:\n  alviss.upload.u:\n    for_each: [a, b]\n"
        "    dataset_name: '${each.value}'\n    file: ${each.key}.csv\n"
    )
    assert {a: r.config.model_dump()["dataset_name"] for a, r in spec.resources.items()} == {
        "alviss.upload.u[a]": "a",
        "alviss.upload.u[b]": "b",
    }


def test_no_is_a_key_not_false() -> None:
    spec = load(
        "providers:\n  alviss: {team: 1, project: 1}\nresources:\n"
        "  alviss.upload.u: {for_each: [se, no], dataset_name: S, file: '${each.key}.csv'}\n"
    )
    assert list(spec.resources) == ["alviss.upload.u[se]", "alviss.upload.u[no]"]


def test_depends_on_a_resource_with_for_each_waits_for_all_of_its_instances() -> None:
    spec = load(
        TEMPLATE + "  alviss.upload.after:\n    provider: alviss.market[se]\n    dataset_name: X\n"
        "    file: a.csv\n    depends_on: [alviss.refit.weekly]\n",
        f"markets={MARKETS}",
    )
    assert spec.resources["alviss.upload.after"].depends_on == (
        "alviss.refit.weekly[se]",
        "alviss.refit.weekly[no]",
    )


def test_an_error_in_a_template_names_the_instance_and_is_folded() -> None:
    markets = "{se: {project: 1, model: 3, country: SWE}, no: {project: 2, modl: 11, country: NOR}}"
    text = TEMPLATE.replace("dataset_name: Sales", "dataset_name: ${var.nope}")
    errors = spec_errors(write(text), variables=VarInputs(pairs=(f"markets={markets}",)))
    assert errors == [
        "spec.yaml:12:19: unknown variable 'nope' in '${var.nope}' (in alviss.upload.sales[se])"
        " (and 1 other instance)\n  hint: declare it under 'variables:'",
        "spec.yaml:21:12: each.value has no key 'model' ('${each.value.model}')"
        " (in alviss.refit.weekly[no])\n"
        "  hint: did you mean 'modl'?",
    ]


def test_a_reference_to_the_whole_resource_is_told_which_instance_to_name() -> None:
    text = TEMPLATE.replace("contains: [alviss.upload.sales[${each.key}]]", "contains: [alviss.upload.sales]")
    errors = spec_errors(write(text), variables=VarInputs(pairs=(f"markets={MARKETS}",)))
    assert errors == [
        "spec.yaml:17:16: alviss.active_dataset.main[se]: 'contains[0]' refers to 'alviss.upload.sales',"
        " which is not in the spec (and 1 other instance)\n"
        "  hint: alviss.upload.sales has for_each: name one of its instances, e.g. 'alviss.upload.sales[se]'"
    ]


def test_a_reference_to_a_missing_instance() -> None:
    text = TEMPLATE.replace(
        "dataset: alviss.active_dataset.main[${each.key}]", "dataset: alviss.active_dataset.main[dk]"
    )
    errors = spec_errors(write(text), variables=VarInputs(pairs=(f"markets={MARKETS}",)))
    assert len(errors) == 1
    assert errors[0].startswith(
        "spec.yaml:22:14: alviss.refit.weekly[se]: 'dataset' refers to 'alviss.active_dataset.main[dk]',"
        " which is not in the spec (and 1 other instance)"
    )


@pytest.mark.parametrize(
    ("for_each", "message"),
    [
        ("'${var.word}'", "alviss.upload.u: 'for_each' must be a map or a list of strings, got a string"),
        ("[a, 1]", "alviss.upload.u: 'for_each' must be a map or a list of strings; item 1 is 1"),
        ("[a, a]", "alviss.upload.u: 'for_each': 'a' is in the list twice"),
        (
            "{'a b': 1}",
            "alviss.upload.u: 'for_each': instance key 'a b' is not allowed:"
            " use letters, digits, '_', '.' and '-', starting with a letter, digit or '_'",
        ),
        ("'${each.key}'", "'each' is not available in for_each itself (it is what for_each defines)"),
    ],
)
def test_a_wrong_for_each_is_located(for_each: str, message: str) -> None:
    source = write(
        "variables:\n  word: {default: w}\nproviders:\n  alviss: {team: 1, project: 1}\nresources:\n"
        f"  alviss.upload.u:\n    for_each: {for_each}\n    dataset_name: D\n    file: a.csv\n"
    )
    errors = spec_errors(source)
    assert len(errors) == 1 and errors[0].startswith("spec.yaml:7:") and message in errors[0], errors


def test_a_provider_with_for_each_needs_an_alias_and_keys_are_not_written_by_hand() -> None:
    source = write(
        "providers:\n  alviss:\n    for_each: [a]\n    team: 1\n    project: 1\n"
        "  alviss.x[a]: {team: 1, project: 1}\n"
        "resources:\n  alviss.upload.u[a]: {dataset_name: D, file: a.csv}\n"
    )
    assert spec_errors(source) == [
        "spec.yaml:3:5: provider 'alviss': for_each needs a provider with an alias\n"
        "  hint: write alviss.NAME (its instances are alviss.NAME[KEY])",
        "spec.yaml:6:3: invalid provider name 'alviss.x[a]': instances ([KEY]) come from for_each",
        "spec.yaml:8:3: invalid resource address 'alviss.upload.u[a]': expected 'platform.type.name'"
        " (instances come from for_each, module paths from modules)",
    ]


def test_an_empty_map_gives_no_instances() -> None:
    spec = load(TEMPLATE, "markets={}")
    assert spec.resources == {} and spec.providers == {}
