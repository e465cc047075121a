"""Two resources that would take turns activating a project's dataset (or attribution set) are refused.

``validate`` (and so ``plan``) stops at the second one's ``activate`` (its
type line when ``activate`` is left at its default), naming the first, with
the hint to give all but one ``activate: false``.  One project is the same
endpoint, team and project, whatever the provider instances are called.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler import errors
from reconciler.cli import main
from tests.support import Demo

HEAD = """\
version: 1
state: {path: ../state/fight.json}
providers:
  alviss: {endpoint: emulator://alviss, team: 1, project: 1}
resources:
  alviss.upload.sales: {dataset_name: Sales, file: data/demo/sales_w47.csv}
  alviss.upload.media: {dataset_name: Media, file: data/demo/media_w47.csv}
"""


def write(demo: Demo, text: str) -> Path:
    spec = demo.root / "specs" / "fight.yaml"
    spec.write_text(text)
    return spec


def line_of(spec: Path, needle: str, *, after: str | None = None) -> int:
    lines = spec.read_text().splitlines()
    start = 0 if after is None else next(i for i, line in enumerate(lines) if after in line)
    return next(i for i, line in enumerate(lines) if i >= start and needle in line) + 1


def validate(spec: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["validate", str(spec)], env={}, catch_exceptions=False)
    return result.exit_code, result.output


def test_two_activating_datasets_in_one_project_are_refused_at_the_second(demo: Demo) -> None:
    spec = write(
        demo,
        HEAD
        + """\
  alviss.active_dataset.first:
    contains: [alviss.upload.sales]
  alviss.active_dataset.second:
    exactly: [alviss.upload.media]
    activate: true
""",
    )
    code, output = validate(spec)
    assert code != 0, output
    line = line_of(spec, "activate: true")
    assert f"fight.yaml:{line}:15: alviss.active_dataset.second: activate: true makes its dataset" in output
    first = line_of(spec, "alviss.active_dataset.first:")
    assert f"as alviss.active_dataset.first (fight.yaml:{first}) does" in output
    assert "take turns being active" in output
    assert "hint: give all but one of them activate: false" in output
    assert "Traceback" not in output


def test_the_default_activate_is_refused_at_the_type_line_and_plan_refuses_it_too(demo: Demo) -> None:
    spec = write(
        demo,
        HEAD
        + """\
  alviss.active_dataset.first:
    contains: [alviss.upload.sales]
  alviss.active_dataset.second:
    extends: 1
    contains: [alviss.upload.media]
""",
    )
    code, output = validate(spec)
    assert code != 0
    line = line_of(spec, "alviss.active_dataset.second:")
    assert f"fight.yaml:{line}:3: alviss.active_dataset.second: activate (true when not set)" in output
    workspace = Demo(root=demo.root, settings=demo.settings, name="fight").workspace()
    with pytest.raises(errors.SpecErrors) as raised:
        workspace.validate()
    assert [problem.line for problem in raised.value.errors] == [line]


def test_all_but_one_not_activated_is_valid(demo: Demo) -> None:
    spec = write(
        demo,
        HEAD
        + """\
  alviss.active_dataset.first:
    contains: [alviss.upload.sales]
  alviss.active_dataset.second:
    exactly: [alviss.upload.media]
    activate: false
  alviss.active_dataset.third:
    exactly: [alviss.upload.sales, alviss.upload.media]
    activate: false
""",
    )
    code, output = validate(spec)
    assert code == 0, output


def test_two_activating_attribution_sets_in_one_project_are_refused(demo: Demo) -> None:
    spec = write(
        demo,
        HEAD
        + """\
  alviss.active_attribution_set.first:
    includes: [4]
  alviss.active_attribution_set.kept:
    includes: [5]
    activate: false
  alviss.active_attribution_set.second:
    includes: [5]
""",
    )
    code, output = validate(spec)
    assert code != 0
    line = line_of(spec, "alviss.active_attribution_set.second:")
    assert (
        f"fight.yaml:{line}:3: alviss.active_attribution_set.second: activate (true when not set) "
        "makes its attribution set project 1/1's active attribution set" in output
    )
    assert "as alviss.active_attribution_set.first (fight.yaml:" in output
    assert "kept" not in output.split("hint:")[0].split("second:", 1)[1]


def test_two_provider_instances_of_one_project_are_one_project(demo: Demo) -> None:
    spec = write(
        demo,
        """\
version: 1
state: {path: ../state/fight.json}
providers:
  alviss.a: {endpoint: emulator://alviss, team: 1, project: 7}
  alviss.b: {endpoint: emulator://alviss, team: "1", project: "7"}
  alviss.c: {endpoint: emulator://alviss, team: 1, project: 8}
resources:
  alviss.active_attribution_set.a: {provider: alviss.a, includes: [4]}
  alviss.active_attribution_set.c: {provider: alviss.c, includes: [4]}
  alviss.active_attribution_set.b: {provider: alviss.b, includes: [4]}
""",
    )
    code, output = validate(spec)
    assert code != 0
    assert output.count("take turns") == 1
    assert "alviss.active_attribution_set.b: activate (true when not set)" in output
    assert "as alviss.active_attribution_set.a (fight.yaml:8) does" in output


FOR_EACH = """\
version: 1
state: {path: ../state/fight.json}
variables:
  markets:
    type: map
    default:
      se: {project: 1}
      no: {project: 2}
providers:
  alviss.market:
    for_each: ${var.markets}
    endpoint: emulator://alviss
    team: 1
    project: ${each.value.project}
resources:
  alviss.active_attribution_set.weekly:
    for_each: ${var.markets}
    provider: PROVIDER
    includes: [4]
"""


def test_for_each_instances_in_different_projects_are_fine_in_one_project_they_fight(demo: Demo) -> None:
    spec = write(demo, FOR_EACH.replace("PROVIDER", "alviss.market[${each.key}]"))
    code, output = validate(spec)
    assert code == 0, output
    spec = write(demo, FOR_EACH.replace("      no: {project: 2}", "      no: {project: 1}"))
    spec = write(demo, spec.read_text().replace("PROVIDER", "alviss.market[${each.key}]"))
    code, output = validate(spec)
    assert code != 0
    assert output.count("take turns") == 1
    assert "alviss.active_attribution_set.weekly[no]" in output
    assert "alviss.active_attribution_set.weekly[se] (fight.yaml:" in output


MODULE = """\
resources:
  alviss.upload.sales: {dataset_name: Sales, file: data/demo/sales_w47.csv}
  alviss.active_dataset.main:
    contains: [alviss.upload.sales]
"""

CALLER = """\
version: 1
state: {path: ../state/fight.json}
providers:
  alviss.one: {endpoint: emulator://alviss, team: 1, project: 1}
  alviss.two: {endpoint: emulator://alviss, team: 1, project: 2}
modules:
  se:
    source: modules/fight.yaml
    providers: {alviss: alviss.one}
  no:
    source: modules/fight.yaml
    providers: {alviss: SECOND}
"""


def test_module_instances_fight_only_in_one_project(demo: Demo) -> None:
    (demo.root / "specs" / "modules" / "fight.yaml").write_text(MODULE)
    code, output = validate(write(demo, CALLER.replace("SECOND", "alviss.two")))
    assert code == 0, output
    code, output = validate(write(demo, CALLER.replace("SECOND", "alviss.one")))
    assert code != 0
    assert "module.no.alviss.active_dataset.main: activate (true when not set)" in output
    assert "as module.se.alviss.active_dataset.main (fight.yaml:" in output
