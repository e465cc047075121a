"""Modules: a YAML file used once or once per key, its addresses prefixed, its errors located in it."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from reconciler.errors import SpecErrors
from reconciler.spec import load_spec
from reconciler.spec.document import Spec

from .fakes import REGISTRY, spec_errors

MARKET = """\
variables:
  file: {type: string}
  model: {type: number, validation: {min: 1}}
resources:
  alviss.upload.sales:
    dataset_name: Sales
    file: ${var.file}
  alviss.active_dataset.main:
    contains: [alviss.upload.sales]
  alviss.refit.weekly:
    model: ${var.model}
    dataset: alviss.active_dataset.main
outputs:
  refit: {value: alviss.refit.weekly}
  model_id: {value: alviss.refit.weekly.model_id}
  file: {value: "${var.file}"}
"""

ROOT = """\
version: 1
variables:
  markets:
    type: map
    default:
      se: {project: 1, model: 3}
      no: {project: 2, model: 11}
providers:
  alviss.market:
    for_each: ${var.markets}
    endpoint: emulator://alviss
    team: 1
    project: ${each.value.project}
modules:
  market:
    source: modules/market.yaml
    for_each: ${var.markets}
    providers: {alviss: "alviss.market[${each.key}]"}
    inputs:
      file: data/${each.key}.csv
      model: ${each.value.model}
"""


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def load(path: Path) -> Spec:
    return load_spec(path, registry=REGISTRY, environ={}, data_files=False)


@pytest.fixture
def market(tmp_path: Path) -> Path:
    write(tmp_path, "modules/market.yaml", MARKET)
    return write(tmp_path, "spec.yaml", ROOT)


def test_each_instance_gets_the_module_resources_under_its_prefix(market: Path) -> None:
    spec = load(market)
    assert list(spec.resources) == [
        f"module.market[{key}].{address}"
        for key in ("se", "no")
        for address in ("alviss.upload.sales", "alviss.active_dataset.main", "alviss.refit.weekly")
    ]
    refit = spec.resources["module.market[no].alviss.refit.weekly"]
    assert refit.provider == "alviss.market[no]"  # the call's providers: mapping
    assert refit.config.model_dump()["dataset"] == "module.market[no].alviss.active_dataset.main"
    assert refit.config.model_dump()["model"] == 11
    dataset = spec.resources["module.market[se].alviss.active_dataset.main"]
    assert dataset.config.model_dump()["contains"] == ["module.market[se].alviss.upload.sales"]
    upload = spec.resources["module.market[se].alviss.upload.sales"]
    assert upload.config.model_dump()["file"] == "data/se.csv"
    # Errors and plans point at the module file, where the template is written.
    assert upload.location.file == str(market.parent / "modules" / "market.yaml")
    assert upload.location.line == 5


def test_module_outputs_are_read_by_the_caller(market: Path) -> None:
    text = market.read_text() + textwrap.dedent(
        """\
        resources:
          alviss.refit.again:
            provider: alviss.market[se]
            model: ${module.market[se].refit}
            dataset: ${module.market[se].refit}
        outputs:
          markets: {value: "${module.market}"}
          se_model: {value: "${module.market[se].model_id}"}
        """
    )
    market.write_text(
        text.replace(
            "dataset: ${module.market[se].refit}", "dataset: module.market[se].alviss.active_dataset.main"
        )
    )
    spec = load(market)
    assert spec.resources["alviss.refit.again"].config.model_dump()["model"] == (
        "module.market[se].alviss.refit.weekly"
    )
    markets = spec.outputs["markets"]
    assert markets.value["no"] == {
        "refit": "module.market[no].alviss.refit.weekly",
        "model_id": "module.market[no].alviss.refit.weekly.model_id",
        "file": "data/no.csv",
    }
    assert {ref.address for ref in markets.references} == {
        "module.market[se].alviss.refit.weekly",
        "module.market[no].alviss.refit.weekly",
    }
    assert spec.outputs["se_model"].references[0].field == "model_id"


def test_without_for_each_with_its_own_provider_and_nested(tmp_path: Path) -> None:
    write(
        tmp_path,
        "mods/leaf.yaml",
        """\
        variables:
          project: {type: number}
        providers:
          alviss.own: {endpoint: emulator://alviss, team: 1, project: "${var.project}"}
        resources:
          alviss.upload.sales: {dataset_name: Sales, file: s.csv}
          alviss.upload.own: {provider: alviss.own, dataset_name: Sales, file: o.csv}
        outputs:
          sales: {value: alviss.upload.sales}
        """,
    )
    write(
        tmp_path,
        "mods/mid.yaml",
        """\
        locals:
          project: 7
        modules:
          leaf: {source: leaf.yaml, inputs: {project: "${local.project}"}}
        resources:
          alviss.active_dataset.main:
            contains: ["${module.leaf.sales}"]
            depends_on: [alviss.upload.root]
        """,
    )
    spec = load(
        write(
            tmp_path,
            "spec.yaml",
            """\
            version: 1
            providers:
              alviss: {endpoint: emulator://alviss, team: 1, project: 1}
            resources:
              alviss.upload.root: {dataset_name: Sales, file: r.csv}
            modules:
              mid: {source: mods/mid.yaml}
            """,
        )
    )
    assert set(spec.providers) == {"alviss", "module.mid.module.leaf.alviss.own"}
    assert spec.providers["module.mid.module.leaf.alviss.own"].config.model_dump()["project"] == 7
    own = spec.resources["module.mid.module.leaf.alviss.upload.own"]
    assert own.provider == "module.mid.module.leaf.alviss.own"  # the module's own block
    assert spec.resources["module.mid.module.leaf.alviss.upload.sales"].provider == "alviss"
    main = spec.resources["module.mid.alviss.active_dataset.main"]
    assert main.provider == "alviss"  # inherited from the caller
    assert main.config.model_dump()["contains"] == ["module.mid.module.leaf.alviss.upload.sales"]
    assert main.depends_on == ("alviss.upload.root",)  # no such resource in the module: the spec's


def test_mistakes_are_located_in_the_module_file_and_name_the_instance(market: Path) -> None:
    module = market.parent / "modules" / "market.yaml"
    module.write_text(
        MARKET.replace("model: ${var.model}", "model: ${var.modle}").replace(
            "dataset_name: Sales", "dataset_name: Sales\n    colour: red"
        )
        + "state: {path: x.json}\n"
    )
    market.write_text(market.read_text().replace("model: ${each.value.model}", "model: 0\n      extra: 1"))
    shown = str(module)
    root = str(market)
    assert spec_errors(market) == [
        f"{root}:21:14: variable 'model' must be at least 1, got 0 (from the inputs of module.market[se])"
        " (and 1 other instance)",
        f"{root}:22:7: module.market[se]: the module {shown} has no variable 'extra'"
        " (and 1 other instance)\n  hint: its variables: file, model",
        f"{shown}:7:5: module.market[se].alviss.upload.sales: unknown key 'colour' (and 1 other instance)",
        f"{shown}:12:12: unknown variable 'modle' in '${{var.modle}}' (in module.market[se])"
        " (and 1 other instance)\n  hint: did you mean var.model?",
        f"{shown}:18:1: a module has no 'state': the root spec's state keeps its resources\n"
        "  hint: remove it; set the state in the spec that calls the module",
    ]


def test_call_mistakes(tmp_path: Path) -> None:
    write(tmp_path, "mods/market.yaml", MARKET)
    write(tmp_path, "mods/loop.yaml", "modules:\n  again: {source: loop.yaml}\n")
    spec = write(
        tmp_path,
        "spec.yaml",
        """\
        version: 1
        providers:
          alviss: {endpoint: emulator://alviss, team: 1, project: 1}
        modules:
          missing: {source: mods/markt.yaml}
          loop: {source: mods/loop.yaml}
          typo: {source: mods/market.yaml, input: {}}
          nosource: {inputs: {}}
          empty: {source: mods/market.yaml}
          dynamic: {source: "mods/${var.x}.yaml"}
          dir: {source: mods}
          Bad: {source: mods/market.yaml}
        """,
    )
    errors = spec_errors(spec)
    root = str(spec)
    assert errors == [
        f"{root}:5:21: module.missing: module file 'mods/markt.yaml' not found (relative to {root})\n"
        "  hint: did you mean 'mods/market.yaml'?",
        f"{root}:7:36: module.typo: unknown key 'input'\n  hint: did you mean 'inputs'?",
        f"{root}:8:3: module.nosource: field 'source' is required\n"
        "  hint: source: modules/market.yaml (the module's file, relative to this one)",
        f"{root}:9:3: module.empty: variable 'file' of {tmp_path / 'mods' / 'market.yaml'} has no value\n"
        "  hint: give it in the call's inputs (file: VALUE), or a default in the module"
        f" (declared at {tmp_path / 'mods' / 'market.yaml'}:2:3)",
        f"{root}:9:3: module.empty: variable 'model' of {tmp_path / 'mods' / 'market.yaml'} has no value\n"
        "  hint: give it in the call's inputs (model: VALUE), or a default in the module"
        f" (declared at {tmp_path / 'mods' / 'market.yaml'}:3:3)",
        f"{root}:10:21: module.dynamic: 'source' is a path written as it is, without ${{…}}\n"
        "  hint: a module's source is known before any variable is: give values in 'inputs:'",
        f"{root}:11:17: module.dir: source 'mods' is a directory; name the module's YAML file\n"
        "  hint: its YAML files: loop.yaml, market.yaml",
        f"{root}:12:3: invalid module name 'Bad'\n"
        "  hint: a module name is lowercase letters, digits, '_' and '-', starting with a letter",
        f"{tmp_path / 'mods' / 'loop.yaml'}:2:19: module.loop.module.again: module 'loop.yaml' uses itself"
        f" ({spec.resolve()} → {(tmp_path / 'mods' / 'loop.yaml').resolve()}"
        f" → {(tmp_path / 'mods' / 'loop.yaml').resolve()})\n"
        "  hint: a module may call other modules, never one it is called from",
    ]


def test_a_secret_given_to_a_module_is_never_quoted(market: Path) -> None:
    module = market.parent / "modules" / "market.yaml"
    module.write_text(MARKET.replace("model: {type: number, validation: {min: 1}}", "model: {type: number}"))
    market.write_text(market.read_text().replace("model: ${each.value.model}", "model: ${env:MODEL_TOKEN}"))
    with pytest.raises(SpecErrors) as caught:
        load_spec(market, registry=REGISTRY, environ={"MODEL_TOKEN": "hunter2-secret"}, data_files=False)
    text = str(caught.value)
    assert "hunter2" not in text
    assert "variable 'model' must be a number" in text


def test_a_module_variable_with_a_null_default_is_optional(tmp_path: Path) -> None:
    write(
        tmp_path,
        "mods/refit.yaml",
        """\
        variables:
          combination: {type: object, default: null}
        resources:
          alviss.active_dataset.main: {contains: []}
          alviss.refit.weekly:
            {model: 3, dataset: alviss.active_dataset.main, combination: "${var.combination}"}
        """,
    )
    spec = load(
        write(
            tmp_path,
            "spec.yaml",
            """\
            version: 1
            providers:
              alviss: {endpoint: emulator://alviss, team: 1, project: 1}
            modules:
              given: {source: mods/refit.yaml, inputs: {combination: {country: SWE}}}
              left_out: {source: mods/refit.yaml}
              null_given: {source: mods/refit.yaml, inputs: {combination: null}}
            """,
        )
    )
    combinations = {
        address.split(".")[1]: resource.config.model_dump()["combination"]
        for address, resource in spec.resources.items()
        if resource.type == "alviss.refit"
    }
    assert combinations == {
        "given": {"country": "SWE", "region": "all"},
        "left_out": None,
        "null_given": None,
    }


def test_a_module_output_written_bare_as_terraform_writes_it(market: Path) -> None:
    market.write_text(
        market.read_text()
        + textwrap.dedent(
            """\
            resources:
              alviss.refit.again:
                provider: alviss.market[se]
                model: module.market[se].refit
                dataset: module.market[se].alviss.active_dataset.main
            outputs:
              se_model: {value: module.market[no].model_id}
              text: {value: module.market[se].nothing}
            """
        )
    )
    spec = load(market)
    assert spec.resources["alviss.refit.again"].config.model_dump()["model"] == (
        "module.market[se].alviss.refit.weekly"
    )
    assert spec.outputs["se_model"].value == "module.market[no].alviss.refit.weekly.model_id"
    assert spec.outputs["se_model"].references[0].address == "module.market[no].alviss.refit.weekly"
    assert spec.outputs["text"].value == "module.market[se].nothing"  # no such output: a string
    market.write_text(
        market.read_text().replace("model: module.market[se].refit", "model: module.market[se].refitt")
    )
    errors = spec_errors(market)
    assert len(errors) == 1 and "refers to 'module.market[se].refitt', which is not in the spec" in errors[0]


def test_a_call_mapping_a_provider_that_is_not_defined_is_told_where_the_call_is(market: Path) -> None:
    market.write_text(
        market.read_text().replace('alviss: "alviss.market[${each.key}]"', 'alviss: "alviss.mkt"')
    )
    assert spec_errors(market) == [
        f"{market}:18:25: module.market[se]: 'providers.alviss' names provider 'alviss.mkt',"
        " which is not defined (and 1 other instance)\n  hint: did you mean 'alviss.market[se]'?"
    ]
