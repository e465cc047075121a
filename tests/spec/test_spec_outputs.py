"""Top-level ``outputs:``: values as written, references to resources found and checked, errors located."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from reconciler.spec import load_spec
from reconciler.spec.document import OutputReference

from .fakes import REGISTRY, spec_errors

HEAD = """\
version: 1
providers:
  alviss: {endpoint: emulator://alviss, team: 1, project: 1}
resources:
  alviss.upload.sales: {dataset_name: Sales, file: data.csv}
  alviss.active_dataset.main: {contains: [alviss.upload.sales]}
outputs:
"""


@pytest.fixture
def spec_file(tmp_path: Path) -> Path:
    (tmp_path / "data.csv").write_text("a\n")
    return tmp_path / "spec.yaml"


def test_values_and_references(spec_file: Path) -> None:
    spec_file.write_text(
        HEAD
        + textwrap.indent(
            textwrap.dedent(
                """\
                dataset: {value: alviss.active_dataset.main.dataset_id, description: the active one}
                both:
                  value: {sales: alviss.upload.sales, site: www.example.com, n: 3}
                  sensitive: true
                none: {value: null}
                """
            ),
            "  ",
        )
    )
    spec = load_spec(spec_file, registry=REGISTRY, environ={})
    dataset, both, none = spec.outputs.values()
    assert dataset.description == "the active one" and not dataset.sensitive
    assert dataset.references == (
        OutputReference((), "alviss.active_dataset.main", "dataset_id", ("alviss.active_dataset.main",)),
    )
    assert both.sensitive
    assert both.value == {"sales": "alviss.upload.sales", "site": "www.example.com", "n": 3}
    sales = OutputReference(("sales",), "alviss.upload.sales", None, ("alviss.upload.sales",))
    assert both.references == (sales,)
    assert none.value is None and none.references == ()


def test_errors_are_located(spec_file: Path) -> None:
    spec_file.write_text(
        HEAD
        + textwrap.indent(
            textwrap.dedent(
                """\
                a: {value: alviss.upload.sale}
                b: {description: no value}
                9x: {value: 1}
                c: {value: 1, sensitiv: true}
                d: 5
                e: {value: [1, alviss.refit.gone.model_id]}
                f: {value: 1, sensitive: maybe}
                """
            ),
            "  ",
        )
    )
    file = str(spec_file)
    assert spec_errors(spec_file) == [
        f"{file}:8:14: output 'a': 'value' refers to 'alviss.upload.sale', which is not in the spec\n"
        "  hint: did you mean 'alviss.upload.sales'?",
        f"{file}:9:3: output 'b': field 'value' is required",
        f"{file}:10:3: invalid output name '9x'\n"
        "  hint: an output name is letters, digits, '_' and '-', starting with a letter or '_'",
        f"{file}:11:17: output 'c': unknown key 'sensitiv'\n  hint: did you mean 'sensitive'?",
        f"{file}:12:6: output 'd' must be a mapping with 'value'"
        " (and optional 'description', 'sensitive'), got 5",
        f"{file}:13:18: output 'e': 'value' refers to 'alviss.refit.gone.model_id',"
        " which is not in the spec\n"
        "  hint: an output refers to resources by their address",
        f"{file}:14:28: output 'f': 'sensitive' must be true or false, got 'maybe'",
    ]


def test_duplicate_output_across_files(tmp_path: Path) -> None:
    (tmp_path / "data.csv").write_text("a\n")
    (tmp_path / "a.yaml").write_text(HEAD + "  x: {value: 1}\n")
    (tmp_path / "b.yaml").write_text("outputs:\n  x: {value: 2}\n")
    errors = spec_errors(tmp_path)
    first = f"{tmp_path / 'a.yaml'}:8:3"
    assert errors == [f"{tmp_path / 'b.yaml'}:2:3: output 'x' is already defined at {first}"]
