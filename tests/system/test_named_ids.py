"""Every literal remote id a spec names is read by plan: one that names nothing stops it at its field.

The issue's case: ``model: 99`` passed ``plan`` and failed in the middle of
``apply``, after the dataset was already uploaded and activated.  Now plan
reads every such id first, and nothing is sent.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler import errors
from reconciler.cli import main
from tests.support import Demo, mutating

#: Two markets, one project each (written here: the example specs change with the language).
SPEC = """\
version: 1
state: {path: ../state/named.json}
providers:
  alviss.se: {endpoint: emulator://alviss, team: 1, project: 1}
  alviss.no: {endpoint: emulator://alviss, team: 1, project: 2}
resources:
  alviss.upload.se_sales: {provider: alviss.se, dataset_name: Sales, file: data/weekly/se/sales_w47.csv}
  alviss.active_dataset.se: {provider: alviss.se, contains: [alviss.upload.se_sales]}
  alviss.refit.se:
    provider: alviss.se
    model: 3
    dataset: alviss.active_dataset.se
    combination: {country: SWE, region: all, grouping: all}
    train_fraction: 0.75
  alviss.attribution.se: {provider: alviss.se, model: alviss.refit.se, dataset: alviss.active_dataset.se}
  alviss.active_attribution_set.se:
    provider: alviss.se
    includes: [alviss.attribution.se]
  alviss.upload.no_sales: {provider: alviss.no, dataset_name: Sales, file: data/weekly/no/sales_w47.csv}
  alviss.active_dataset.no: {provider: alviss.no, contains: [alviss.upload.no_sales]}
  alviss.refit.no:
    provider: alviss.no
    model: 11
    dataset: alviss.active_dataset.no
"""


@pytest.fixture
def weekly(demo: Demo) -> Demo:
    named = Demo(root=demo.root, settings=demo.settings, name="named")
    named.spec.write_text(SPEC)
    return named


def edit(demo: Demo, old: str, new: str, *, count: int = 1) -> None:
    text = demo.spec.read_text()
    assert text.count(old) >= count, old
    demo.spec.write_text(text.replace(old, new, count))


def position(spec: Path, needle: str) -> str:
    """``file:line:col`` of the first ``needle`` in ``spec`` (1-based), as errors name places."""
    for number, line in enumerate(spec.read_text().splitlines(), start=1):
        if needle in line:
            return f"{spec}:{number}:{line.index(needle) + 1}"
    raise AssertionError(needle)


def run(demo: Demo, *args: str) -> tuple[int, str]:
    env = {"RECONCILER_EMULATOR_DIR": str(demo.settings.emulator_dir), "RECONCILER_EMULATOR_DURATIONS": ""}
    result = CliRunner().invoke(main, [*args, str(demo.spec)], env=env, catch_exceptions=False)
    return result.exit_code, result.output


async def test_a_model_that_does_not_exist_stops_plan_and_apply_at_its_field(weekly: Demo) -> None:
    edit(weekly, "model: 3\n", "model: 99\n")
    where = position(weekly.spec, "99")
    with pytest.raises(errors.SpecErrors) as caught:
        await weekly.workspace().plan()
    assert str(caught.value).startswith(
        f"{where}: alviss.refit.se: 'model': model 99 does not exist in provider alviss.se"
    )
    with pytest.raises(errors.SpecErrors):
        await weekly.workspace().apply()
    assert mutating(await weekly.stats()) == 0  # nothing uploaded, no dataset made or activated
    assert not weekly.state_file.exists() or "upload_id" not in weekly.state_file.read_text()


def test_the_command_line_says_where_and_exits_1_without_a_traceback(weekly: Demo) -> None:
    edit(weekly, "model: 3\n", "model: 99\n")
    where = position(weekly.spec, "99")
    for command in (["plan"], ["apply", "--auto-approve"], ["drift"]):
        code, output = run(weekly, *command)
        assert code == 1, output
        assert f"{where}: alviss.refit.se: 'model': model 99 does not exist" in output
        assert "hint: " in output and "Traceback" not in output


async def test_an_id_that_vanished_after_the_first_apply_is_caught_too(weekly: Demo) -> None:
    """With a record of the refit, the model it names is still read: the spec may have changed."""
    assert (await weekly.workspace().apply()).report.ok
    before = mutating(await weekly.stats())
    edit(weekly, "model: 11\n", "model: 99\n")
    edit(weekly, "file: data/weekly/no/sales_w47.csv", "file: data/weekly/se/media_w47.csv")
    with pytest.raises(errors.SpecErrors) as caught:
        await weekly.workspace().apply()
    line = position(weekly.spec, "model: 99").rsplit(":", 1)[0]
    assert f"{line}:12: alviss.refit.no: 'model'" in str(caught.value)
    assert "alviss.refit.no: 'model': model 99 does not exist in provider alviss.no" in str(caught.value)
    assert mutating(await weekly.stats()) == before  # the changed upload was not sent either


async def test_every_missing_id_is_reported_at_once_in_file_order(weekly: Demo) -> None:
    edit(weekly, "model: 3\n", "model: 99\n")
    edit(weekly, "dataset: alviss.active_dataset.no\n", "dataset: 98\n")
    edit(weekly, "includes: [alviss.attribution.se]", "includes: [alviss.attribution.se, 4, 97]")
    with pytest.raises(errors.SpecErrors) as caught:
        await weekly.workspace().plan()
    messages = [error.message for error in caught.value.errors]
    assert messages == [
        "alviss.refit.se: 'model': model 99 does not exist in provider alviss.se"
        " (emulator://alviss, project 1/1)",
        "alviss.active_attribution_set.se: 'includes[2]': attribution 97 does not exist in provider alviss.se"
        " (emulator://alviss, project 1/1)",
        "alviss.refit.no: 'dataset': dataset 98 does not exist in provider alviss.no"
        " (emulator://alviss, project 1/2)",
    ]
    lines = [error.line for error in caught.value.errors]
    assert lines == sorted(lines)
    assert mutating(await weekly.stats()) == 0


async def test_ids_are_per_provider_instance(weekly: Demo) -> None:
    """Attribution 4 exists in both projects; a dataset id of one project is read in that project."""
    edit(
        weekly,
        "contains: [alviss.upload.no_sales]}",
        "contains: [alviss.upload.no_sales]}\n"
        "  alviss.active_attribution_set.no: {provider: alviss.no, includes: [5]}",
    )
    result = await weekly.workspace().plan()
    assert result.plan.has_changes


async def test_a_refit_on_another_combination_than_its_model_s_is_an_error(weekly: Demo) -> None:
    # Model 11 is Norway's (NOR/all/all); the Swedish refit asks for SWE.
    edit(weekly, "model: 3\n", "model: 11\n")
    with pytest.raises(errors.SpecErrors) as caught:
        await weekly.workspace().plan()
    (error,) = caught.value.errors
    assert f"{error.file}:{error.line}:{error.column}" == position(weekly.spec, "{country: SWE")
    assert error.message == (
        "alviss.refit.se: 'combination' is SWE/all/all, but model 11 is a model of NOR/all/all"
    )
    assert error.hint is not None and "combination_override: true" in error.hint
    assert mutating(await weekly.stats()) == 0


async def test_combination_override_says_it_is_meant(weekly: Demo) -> None:
    edit(weekly, "model: 3\n", "model: 11\n")
    edit(weekly, "    train_fraction: 0.75\n", "    train_fraction: 0.75\n    combination_override: true\n")
    result = await weekly.workspace().plan()
    assert result.plan["alviss.refit.se"].after["model"] == 11


async def test_the_same_combination_as_the_model_s_is_fine(weekly: Demo) -> None:
    edit(weekly, "model: 11\n", "model: 11\n    combination: {country: NOR}\n")
    result = await weekly.workspace().plan()
    assert result.plan.has_changes


async def test_an_id_named_twice_is_read_once(weekly: Demo) -> None:
    edit(weekly, "includes: [alviss.attribution.se]", "includes: [alviss.attribution.se, 4, 4]")
    await weekly.workspace().plan()
    requests = (await weekly.stats())["requests"]
    reads = {route: n for route, n in requests.items() if re.search(r"attributions/\{", route)}
    assert reads == {"GET /api/v1/api/projects/{team_id}/{project_id}/attributions/{attribution_id}": 1}


FOR_EACH = """\
version: 1
state: {path: ../state/markets.json}
variables:
  markets:
    type: map
    default:
      se: {project: 1, country: SWE, model: 3}
      no: {project: 2, country: NOR, model: 11}
providers:
  alviss.market:
    for_each: ${var.markets}
    endpoint: emulator://alviss
    team: 1
    project: ${each.value.project}
resources:
  alviss.refit.weekly:
    for_each: ${var.markets}
    provider: alviss.market[${each.key}]
    model: ${each.value.model}
    dataset: 1
    combination: {country: "${each.value.country}"}
"""


async def test_ids_of_for_each_instances_are_read_and_located_at_the_template(demo: Demo) -> None:
    markets = Demo(root=demo.root, settings=demo.settings, name="markets")
    markets.spec.write_text(
        FOR_EACH.replace("model: 11}", "model: 99}").replace(
            "country: SWE, model: 3", "country: NOR, model: 3"
        )
    )
    with pytest.raises(errors.SpecErrors) as caught:
        await markets.workspace().plan()
    found = sorted((error.line, error.column, error.message) for error in caught.value.errors)
    assert found == [
        (
            19,
            12,
            "alviss.refit.weekly[no]: 'model': model 99 does not exist in provider alviss.market[no]"
            " (emulator://alviss, project 1/2)",
        ),
        (
            21,
            18,
            "alviss.refit.weekly[se]: 'combination' is NOR/all/all, but model 3 is a model of SWE/all/all",
        ),
    ]
    assert mutating(await markets.stats()) == 0
    markets.spec.write_text(FOR_EACH)
    assert (await markets.workspace().plan()).plan.has_changes


async def test_a_refit_of_a_model_the_spec_makes_is_checked_against_that_model_s_combination(
    weekly: Demo,
) -> None:
    """A refit keeps its source's combination; a remodel is of its own (or its source's)."""
    chain = (
        "  alviss.refit.again:\n    provider: alviss.se\n    model: alviss.refit.se\n"
        "    dataset: alviss.active_dataset.se\n    combination: {country: NOR}\n"
        "  alviss.model.nor:\n    provider: alviss.se\n    from_model: 3\n    combination: {country: NOR}\n"
        "  alviss.refit.of_nor:\n    provider: alviss.se\n    model: alviss.model.nor\n"
        "    dataset: alviss.active_dataset.se\n    combination: {country: NOR}\n"
        "  alviss.refit.of_nor_as_swe:\n    provider: alviss.se\n    model: alviss.model.nor\n"
        "    dataset: alviss.active_dataset.se\n    combination: {country: SWE}\n"
    )
    weekly.spec.write_text(weekly.spec.read_text() + chain)
    with pytest.raises(errors.SpecErrors) as caught:
        await weekly.workspace().plan()
    assert [error.message for error in caught.value.errors] == [
        "alviss.refit.again: 'combination' is NOR/all/all, but model alviss.refit.se is a model of"
        " SWE/all/all",
        "alviss.refit.of_nor_as_swe: 'combination' is SWE/all/all, but model alviss.model.nor is a model of"
        " NOR/all/all",
    ]
