"""Modules from the command line: data sources inside them, outputs through them, and located errors."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.system.support import run

MODULE = """\
variables:
  country: {type: string, validation: {one_of: [SWE, NOR]}}
data:
  alviss.model.base:
    combination: {country: "${var.country}", region: all, grouping: all}
resources:
  alviss.refit.weekly:
    model: data.alviss.model.base          # the module's own data source
    dataset: 1
outputs:
  base: {value: data.alviss.model.base.model_id}
  refit: {value: alviss.refit.weekly.model_id}
"""

SPEC = """\
version: 1
providers:
  alviss: {endpoint: emulator://alviss, team: 1, project: 1}
modules:
  country:
    source: modules/country.yaml
    for_each: {se: SWE, no: NOR}
    inputs: {country: "${each.value}"}
outputs:
  countries: {value: "${module.country}"}
"""


def write(project: Path) -> Path:
    (project / "specs" / "modules" / "country.yaml").write_text(MODULE)
    spec = project / "specs" / "countries.yaml"
    spec.write_text(SPEC)
    return spec


def test_data_sources_in_a_module_are_read_per_instance_and_reach_the_outputs(project: Path) -> None:
    write(project)
    code, output = run("plan", "specs/countries.yaml")
    assert code == 0, output
    assert "module.country[se].data.alviss.model.base: model 3 (SWE/all/all, completed)" in output
    assert "module.country[no].data.alviss.model.base: model 11 (NOR/all/all, completed)" in output
    assert "+ module.country[no].alviss.refit.weekly: refit of model 11" in output
    code, output = run("apply", "specs/countries.yaml", "--auto-approve")
    assert code == 0, output
    code, output = run("output", "countries", "specs/countries.yaml", "--json")
    assert code == 0, output
    assert '"base": 3' in output and '"base": 11' in output and '"refit": ' in output
    assert run("plan", "specs/countries.yaml", "--detailed-exitcode")[0] == 0


def test_a_module_mistake_is_located_in_the_module_file_naming_the_instance(project: Path) -> None:
    write(project).write_text(SPEC.replace("no: NOR", "no: NOK"))
    module = project / "specs" / "modules" / "country.yaml"
    module.write_text(MODULE.replace("dataset: 1", "dataset: 1\n    epochs: 3"))
    code, output = run("validate", "specs/countries.yaml")
    assert code == 1
    assert "Traceback" not in output
    lines = output.splitlines()
    assert lines[0] == (
        "Error: specs/countries.yaml:8:23: variable 'country' must be one of 'SWE', 'NOR', got 'NOK'"
        " (from the inputs of module.country[no])"
    ), output
    assert (
        "specs/modules/country.yaml:10:5: module.country[se].alviss.refit.weekly: unknown key 'epochs'"
        in output
    )
    assert "(and 1 other instance)" in output


def test_a_missing_module_file_names_the_closest(project: Path) -> None:
    spec = write(project)
    spec.write_text(SPEC.replace("modules/country.yaml", "modules/contry.yaml"))
    code, output = run("validate", "specs/countries.yaml")
    assert code == 1
    assert (
        textwrap.dedent(
            """\
        Error: specs/countries.yaml:6:13: module.country: module file 'modules/contry.yaml' not found
          (relative to specs/countries.yaml)
          hint: did you mean 'modules/country.yaml'?"""
        ).replace("found\n  (", "found (")
        in output
    )


def test_depends_on_a_module_waits_for_everything_in_it(project: Path) -> None:
    write(project)
    spec = project / "specs" / "countries.yaml"
    spec.write_text(
        SPEC
        + "resources:\n  alviss.upload.last:\n    dataset_name: Sales\n"
        + "    file: data/demo/sales_w47.csv\n    depends_on: [module.country]\n"
    )
    code, output = run("graph", "specs/countries.yaml", "--format", "mermaid")
    assert code == 0, output
    assert output.count("--> r") >= 2  # both refits (module.country[se] and [no]) before the upload


def test_an_empty_module_file_says_so(project: Path) -> None:
    write(project)
    (project / "specs" / "modules" / "country.yaml").write_text("# nothing yet\n")
    code, output = run("validate", "specs/countries.yaml")
    assert code == 1
    assert "specs/modules/country.yaml:1:1: the module file is empty" in output
