"""Data sources: read-only lookups at plan time, shown in the plan, referred to like resources.

Against the in-process Alviss emulator, whose projects start with models 3
(SWE) and 11 (NOR), dataset 1 active and attribution set 1 (attribution 4).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from reconciler import emulators, errors
from reconciler.cli import main
from reconciler.render.plan_text import render_plan
from reconciler.vocabulary import Action
from tests.support import INSTANT, Demo, mutating

SPEC = """\
version: 1
state: {path: ../state/looked.json}
providers:
  alviss.se: {endpoint: emulator://alviss, team: 1, project: 1}
  alviss.no: {endpoint: emulator://alviss, team: 1, project: 2}
data:
  alviss.model.latest_se:
    provider: alviss.se
    combination: {country: SWE}
  alviss.active_dataset.se: {provider: alviss.se}
  alviss.active_attribution_set.se: {provider: alviss.se}
resources:
  alviss.refit.se:
    provider: alviss.se
    model: data.alviss.model.latest_se
    dataset: data.alviss.active_dataset.se
    combination: {country: SWE}
  alviss.attribution.se:
    provider: alviss.se
    model: alviss.refit.se
    dataset: data.alviss.active_dataset.se
"""


@pytest.fixture
def looked(demo: Demo) -> Demo:
    spec = Demo(root=demo.root, settings=demo.settings, name="looked")
    spec.spec.write_text(SPEC)
    return spec


def edit(demo: Demo, old: str, new: str) -> None:
    text = demo.spec.read_text()
    assert old in text, old
    demo.spec.write_text(text.replace(old, new, 1))


def place(spec: Path, needle: str) -> tuple[int, int]:
    for number, line in enumerate(spec.read_text().splitlines(), start=1):
        if needle in line:
            return number, line.index(needle) + 1
    raise AssertionError(needle)


async def refit_outside(demo: Demo, model: int, *, project: int = 1) -> int:
    """Someone else refits ``model`` (not this spec): a newer completed model of its combination."""
    app = emulators.create_app("alviss", data_dir=demo.settings.emulator_dir or demo.root, durations=INSTANT)
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": "Bearer outsider"}
    async with httpx.AsyncClient(transport=transport, base_url="http://e", headers=headers) as client:
        base = f"/api/v1/api/projects/1/{project}"
        dates = (
            await client.post(
                f"{base}/datasets/1/dates",
                params={"dataset_name": "Sales"},
                json=[{"country_code": "SWE", "region_code": "all", "grouping": "all"}],
            )
        ).json()
        body = {
            "model_detail": {"dataset_id": 1, "train_dates": dates[:-2], "eval_dates": dates[-2:]},
            "model_param": {"epochs": 5, "learning_rate": 0.01, "samples": 1},
        }
        response = await client.post(f"{base}/models/{model}/refit", json=body)
        response.raise_for_status()
        new: int = response.json()["IId"]
        return new


async def test_data_sources_are_read_shown_and_referred_to(looked: Demo) -> None:
    result = await looked.workspace().plan()
    reads = {read.address: read for read in result.plan.data}
    assert list(reads) == [
        "data.alviss.model.latest_se",
        "data.alviss.active_dataset.se",
        "data.alviss.active_attribution_set.se",
    ]
    assert reads["data.alviss.model.latest_se"].outputs["model_id"] == 3
    assert reads["data.alviss.active_dataset.se"].outputs["dataset_id"] == 1
    assert reads["data.alviss.active_attribution_set.se"].outputs["attribution_ids"] == [4]
    refit = result.plan["alviss.refit.se"]
    assert refit.after["model"] == 3 and refit.after["dataset"] == 1
    text = render_plan(result.plan, width=120)
    assert text.startswith(
        "Data sources read:\n  data.alviss.model.latest_se: model 3 (SWE/all/all, completed)"
    )
    assert "  data.alviss.active_dataset.se: dataset 1 (uploads 1, 2)" in text
    assert "  data.alviss.active_attribution_set.se: attribution set 1 (attributions 4)" in text


async def test_apply_uses_what_was_read_and_then_plans_no_changes(looked: Demo) -> None:
    applied = await looked.workspace().apply()
    assert applied.report.ok, applied.report.messages
    refit = looked.state()["resources"]["alviss.refit.se"]["outputs"]
    assert refit["dataset_id"] == 1
    model = await looked.call("GET", f"/models/{refit['model_id']}")
    assert model["RefitOf"] == 3
    # The refit is now the newest SWE model, but this spec made it: "the latest" is still model 3.
    again = await looked.workspace().plan()
    assert not again.plan.has_changes
    assert again.plan.data[0].outputs["model_id"] == 3
    assert render_plan(again.plan).endswith("No changes. The live platforms match the spec.")


async def test_the_latest_model_made_elsewhere_is_picked_up(looked: Demo) -> None:
    newer = await refit_outside(looked, 3)
    result = await looked.workspace().plan()
    assert result.plan.data[0].outputs["model_id"] == newer
    assert result.plan["alviss.refit.se"].after["model"] == newer


async def test_a_model_by_id(looked: Demo) -> None:
    edit(
        looked,
        "    combination: {country: SWE}\n  alviss.active_dataset",
        "    id: 3\n  alviss.active_dataset",
    )
    result = await looked.workspace().plan()
    assert result.plan.data[0].summary == "model 3 (SWE/all/all, completed)"


async def test_a_model_id_that_does_not_exist_is_an_error_at_the_id(looked: Demo) -> None:
    edit(
        looked,
        "    combination: {country: SWE}\n  alviss.active_dataset",
        "    id: 99\n  alviss.active_dataset",
    )
    with pytest.raises(errors.SpecErrors) as caught:
        await looked.workspace().apply()
    (error,) = caught.value.errors
    assert (error.line, error.column) == place(looked.spec, "99")
    assert error.message.startswith(
        "data.alviss.model.latest_se: model 99 does not exist in Alviss (alviss.se"
    )
    assert mutating(await looked.stats()) == 0


async def test_no_model_of_the_combination_is_an_error_at_the_combination(looked: Demo) -> None:
    edit(
        looked,
        "combination: {country: SWE}\n  alviss.active_dataset",
        "combination: {country: DNK}\n  alviss.active_dataset",
    )
    with pytest.raises(errors.SpecErrors) as caught:
        await looked.workspace().plan()
    (error,) = caught.value.errors
    assert (error.line, error.column) == place(looked.spec, "{country: DNK}")
    assert (
        "data.alviss.model.latest_se: no completed model of DNK/all/all in Alviss (alviss.se" in error.message
    )


async def test_several_models_where_exactly_one_is_asked_for(looked: Demo) -> None:
    newer = await refit_outside(looked, 3)
    edit(
        looked,
        "combination: {country: SWE}\n  alviss.active_dataset",
        "combination: {country: SWE}\n    latest: false\n  alviss.active_dataset",
    )
    with pytest.raises(errors.SpecErrors) as caught:
        await looked.workspace().plan()
    (error,) = caught.value.errors
    assert (error.line, error.column) == place(looked.spec, "false")
    assert (
        f"2 completed models of SWE/all/all in Alviss (alviss.se, project 1/1) (3, {newer})" in error.message
    )
    assert error.hint is not None and "id: N" in error.hint


async def test_a_refit_of_a_data_model_on_another_combination_is_caught(looked: Demo) -> None:
    edit(
        looked,
        "    dataset: data.alviss.active_dataset.se\n    combination: {country: SWE}",
        "    dataset: data.alviss.active_dataset.se\n    combination: {country: NOR}",
    )
    with pytest.raises(errors.SpecErrors) as caught:
        await looked.workspace().plan()
    (error,) = caught.value.errors
    assert (
        error.message
        == "alviss.refit.se: 'combination' is NOR/all/all, but model 3 is a model of SWE/all/all"
    )


async def test_every_data_error_and_id_error_is_reported_at_once(looked: Demo) -> None:
    edit(
        looked,
        "combination: {country: SWE}\n  alviss.active_dataset",
        "combination: {country: DNK}\n  alviss.active_dataset",
    )
    edit(looked, "    model: alviss.refit.se\n", "    model: 98\n")
    with pytest.raises(errors.SpecErrors) as caught:
        await looked.workspace().plan()
    assert [error.message.split(":")[0] for error in caught.value.errors] == [
        "data.alviss.model.latest_se",
        "alviss.attribution.se",
    ]


def test_validate_checks_data_sources_offline(looked: Demo) -> None:
    edit(
        looked,
        "  alviss.active_dataset.se: {provider: alviss.se}",
        "  alviss.active_datasets.se: {provider: alviss.se}\n"
        "  alviss.model.both: {provider: alviss.no, id: 3, combination: {country: SWE}}",
    )
    edit(looked, "    model: data.alviss.model.latest_se\n", "    model: data.alviss.model.latest\n")
    result = CliRunner().invoke(main, ["validate", str(looked.spec)], env={}, catch_exceptions=False)
    assert result.exit_code == 1, result.output
    lines = result.output
    assert "unknown data source type 'alviss.active_datasets'" in lines
    assert "hint: did you mean 'alviss.active_dataset'?" in lines
    assert "give exactly one of id (a model id) or combination" in lines
    assert "'model' refers to 'data.alviss.model.latest', which is not in the spec" in lines
    assert "did you mean 'data.alviss.model.latest_se'?" in lines
    assert "Traceback" not in lines


def test_a_data_source_of_the_wrong_type_or_provider_is_refused(looked: Demo) -> None:
    edit(
        looked,
        "  alviss.active_attribution_set.se: {provider: alviss.se}",
        "  alviss.active_attribution_set.se: {provider: alviss.se}\n"
        "  alviss.active_dataset.no: {provider: alviss.no}",
    )
    edit(
        looked,
        "    dataset: data.alviss.active_dataset.se\n    combination",
        "    dataset: data.alviss.active_attribution_set.se\n    combination",
    )
    edit(
        looked, "    dataset: data.alviss.active_dataset.se\n", "    dataset: data.alviss.active_dataset.no\n"
    )
    with pytest.raises(errors.SpecErrors) as caught:
        from reconciler.providers.registry import spec_registry
        from reconciler.spec import load_spec

        load_spec(looked.spec, registry=spec_registry(), environ={})
    messages = [error.message for error in caught.value.errors]
    assert messages == [
        "alviss.refit.se: 'dataset' must refer to a resource of type alviss.active_dataset, not"
        " 'data.alviss.active_attribution_set.se' (type alviss.active_attribution_set)",
        "alviss.attribution.se (provider alviss.se): 'dataset' refers to 'data.alviss.active_dataset.no',"
        " which belongs to provider alviss.no",
    ]


def test_validate_counts_data_sources(looked: Demo) -> None:
    result = CliRunner().invoke(main, ["validate", str(looked.spec)], env={}, catch_exceptions=False)
    assert result.output.strip() == "The spec is valid: 2 resources, 3 data sources, 2 providers."


def test_the_json_plan_and_a_saved_plan_carry_the_reads(looked: Demo, tmp_path: Path) -> None:
    env = {
        "RECONCILER_EMULATOR_DIR": str(looked.settings.emulator_dir),
        "RECONCILER_EMULATOR_DURATIONS": "refit=0,attribution=0",
    }
    runner = CliRunner()
    shown = runner.invoke(
        main, ["plan", str(looked.spec), "--format", "json"], env=env, catch_exceptions=False
    )
    document: dict[str, Any] = json.loads(shown.output)
    assert document["data"][0] == {
        "address": "data.alviss.model.latest_se",
        "type": "alviss.model",
        "provider": "alviss.se",
        "summary": "model 3 (SWE/all/all, completed)",
        "outputs": {
            "model_id": 3,
            "dataset_id": 1,
            "combination": {"country_code": "SWE", "region_code": "all", "grouping": "all"},
        },
    }
    plan_file = tmp_path / "plan.json"
    made = runner.invoke(
        main, ["plan", str(looked.spec), "-out", str(plan_file)], env=env, catch_exceptions=False
    )
    assert made.exit_code == 0, made.output
    shown = runner.invoke(main, ["show", str(plan_file)], env=env, catch_exceptions=False)
    assert "data.alviss.model.latest_se: model 3 (SWE/all/all, completed)" in shown.output
    applied = runner.invoke(main, ["apply", str(plan_file)], env=env, catch_exceptions=False)
    assert applied.exit_code == 0, applied.output
    assert "Apply complete! Resources: 2 added" in applied.output


def test_a_saved_plan_whose_data_source_reads_otherwise_now_is_refused(looked: Demo, tmp_path: Path) -> None:
    env = {
        "RECONCILER_EMULATOR_DIR": str(looked.settings.emulator_dir),
        "RECONCILER_EMULATOR_DURATIONS": "refit=0,attribution=0",
    }
    edit(
        looked, "    model: alviss.refit.se\n", "    model: 11\n"
    )  # the attribution no longer follows the refit
    edit(
        looked,
        "  alviss.refit.se:\n    provider: alviss.se\n    model: data.alviss.model.latest_se\n"
        "    dataset: data.alviss.active_dataset.se\n    combination: {country: SWE}\n",
        "",
    )
    edit(looked, "    model: 11\n", "    model: data.alviss.model.latest_se\n")
    plan_file = tmp_path / "plan.json"
    runner = CliRunner()
    made = runner.invoke(
        main, ["plan", str(looked.spec), "-out", str(plan_file)], env=env, catch_exceptions=False
    )
    assert made.exit_code == 0, made.output
    asyncio.run(refit_outside(looked, 3))
    applied = runner.invoke(main, ["apply", str(plan_file)], env=env, catch_exceptions=False)
    assert applied.exit_code == 1, applied.output
    assert (
        "data.alviss.model.latest_se: reads model 12 (SWE/all/all, completed) now, model 3" in applied.output
    )


async def test_import_of_a_resource_that_refers_to_a_data_source(looked: Demo) -> None:
    assert (await looked.workspace().apply()).report.ok
    model_id = looked.state()["resources"]["alviss.refit.se"]["outputs"]["model_id"]
    looked.workspace().state_rm(["alviss.refit.se"])
    record = await looked.workspace().import_("alviss.refit.se", str(model_id))
    assert record.outputs["model_id"] == model_id
    assert not (await looked.workspace().plan()).plan.has_changes


def test_graph_shows_data_sources_before_what_refers_to_them(looked: Demo) -> None:
    result = CliRunner().invoke(main, ["graph", str(looked.spec)], env={}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert '"data.alviss.model.latest_se" -> "alviss.refit.se";' in result.output
    assert '"data.alviss.active_dataset.se" -> "alviss.attribution.se";' in result.output
    assert '    "data.alviss.active_attribution_set.se";' in result.output


async def test_the_markdown_plan_lists_the_reads(looked: Demo) -> None:
    from reconciler.render.plan_markdown import render_plan_markdown

    text = render_plan_markdown((await looked.workspace().plan()).plan)
    assert text.endswith(
        "#### Data sources read\n\n"
        "- `data.alviss.model.latest_se`: model 3 (SWE/all/all, completed)\n"
        "- `data.alviss.active_dataset.se`: dataset 1 (uploads 1, 2)\n"
        "- `data.alviss.active_attribution_set.se`: attribution set 1 (attributions 4)\n"
    )


MARKETS = """\
version: 1
state: {path: ../state/markets.json}
variables:
  markets:
    type: map
    default:
      se: {project: 1, country: SWE}
      no: {project: 2, country: NOR}
providers:
  alviss.market:
    for_each: ${var.markets}
    endpoint: emulator://alviss
    team: 1
    project: ${each.value.project}
data:
  alviss.model.base:
    for_each: ${var.markets}
    provider: alviss.market[${each.key}]
    combination: {country: "${each.value.country}"}
  alviss.active_dataset.now:
    for_each: ${var.markets}
    provider: alviss.market[${each.key}]
resources:
  alviss.refit.weekly:
    for_each: ${var.markets}
    provider: alviss.market[${each.key}]
    model: data.alviss.model.base[${each.key}]
    dataset: data.alviss.active_dataset.now[${each.key}]
"""


async def test_data_sources_with_for_each_one_per_market(demo: Demo) -> None:
    markets = Demo(root=demo.root, settings=demo.settings, name="markets")
    markets.spec.write_text(MARKETS)
    result = await markets.workspace().plan()
    assert {
        read.address: read.outputs["model_id"] for read in result.plan.data if "model" in read.address
    } == {
        "data.alviss.model.base[se]": 3,
        "data.alviss.model.base[no]": 11,
    }
    assert result.plan["alviss.refit.weekly[no]"].after["model"] == 11
    assert (await markets.workspace().apply()).report.ok
    assert not (await markets.workspace().plan()).plan.has_changes
    markets.spec.write_text(MARKETS.replace("country: NOR}", "country: DNK}"))
    with pytest.raises(errors.SpecErrors) as caught:
        await markets.workspace().plan()
    (error,) = caught.value.errors
    assert (error.line, error.column) == (19, 18)
    assert error.message.startswith("data.alviss.model.base[no]: no completed model of DNK/all/all")


MODULE = """\
variables:
  country: {type: string}
  model: {type: number}
data:
  alviss.model.base:
    combination: {country: "${var.country}"}
resources:
  alviss.refit.base:
    model: data.alviss.model.base
    dataset: 1
  alviss.refit.named:
    model: ${var.model}
    dataset: 1
"""

CALLER = """\
version: 1
state: {path: ../state/called.json}
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
modules:
  market:
    source: modules/lookups.yaml
    for_each: ${var.markets}
    providers: {alviss: "alviss.market[${each.key}]"}
    inputs: {country: "${each.value.country}", model: "${each.value.model}"}
"""


async def test_data_sources_and_ids_inside_modules(demo: Demo) -> None:
    called = Demo(root=demo.root, settings=demo.settings, name="called")
    (demo.root / "specs" / "modules").mkdir(exist_ok=True)
    module = demo.root / "specs" / "modules" / "lookups.yaml"
    module.write_text(MODULE)
    called.spec.write_text(CALLER)
    result = await called.workspace().plan()
    reads = {read.address: read.outputs["model_id"] for read in result.plan.data}
    assert reads == {
        "module.market[se].data.alviss.model.base": 3,
        "module.market[no].data.alviss.model.base": 11,
    }
    assert result.plan["module.market[no].alviss.refit.base"].after["model"] == 11
    called.spec.write_text(CALLER.replace("country: NOR, model: 11", "country: DNK, model: 99"))
    with pytest.raises(errors.SpecErrors) as caught:
        await called.workspace().plan()
    found = [
        (error.file, error.line, error.column, error.message.split(":")[0]) for error in caught.value.errors
    ]
    assert found == [
        (str(module), 6, 18, "module.market[no].data.alviss.model.base"),
        (str(module), 12, 12, "module.market[no].alviss.refit.named"),
    ]
    assert mutating(await called.stats()) == 0


def test_the_schema_describes_data_sources() -> None:
    import yaml

    from reconciler.providers.registry import spec_registry
    from reconciler.spec.schema import spec_schema
    from tests import schema_check

    schema = spec_schema(spec_registry())
    for text in (SPEC, MARKETS):
        assert schema_check.errors(yaml.safe_load(text), schema, schema) == []
    wrong = yaml.safe_load(
        SPEC.replace(
            "combination: {country: SWE}\n  alviss.active", "combinaton: {country: SWE}\n  alviss.active"
        )
    )
    assert any("combinaton: unknown key" in error for error in schema_check.errors(wrong, schema, schema))
    unknown = yaml.safe_load(SPEC.replace("alviss.active_dataset.se: {", "alviss.active_datasett.se: {"))
    assert any(
        "alviss.active_datasett.se: unknown key" in error
        for error in schema_check.errors(unknown, schema, schema)
    )


IMPORTED = """\
version: 1
state: {path: ../state/imported.json}
providers:
  alviss: {endpoint: emulator://alviss, team: 1, project: 1}
data:
  alviss.model.latest_se:
    combination: {country: SWE}
resources:
  alviss.upload.sales: {dataset_name: Sales, file: data/demo/sales_w47.csv}
  alviss.active_dataset.built:
    exactly: [alviss.upload.sales]
    activate: false
  alviss.refit.se:
    model: data.alviss.model.latest_se
    dataset: 1
"""


async def dataset_outside(demo: Demo, uploads: list[int]) -> int:
    """Someone else builds a dataset of ``uploads`` in project 1/1 (not this spec)."""
    app = emulators.create_app("alviss", data_dir=demo.settings.emulator_dir or demo.root, durations=INSTANT)
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": "Bearer outsider"}
    async with httpx.AsyncClient(transport=transport, base_url="http://e", headers=headers) as client:
        response = await client.post("/api/v1/api/projects/1/1/datasets", json={"upload_ids": uploads})
        response.raise_for_status()
        made: int = response.json()["IId"]
        return made


def test_an_imported_object_hides_no_object_of_another_kind_from_the_lookups(demo: Demo) -> None:
    """Importing dataset 3 leaves model 3 to ``data.alviss.model``: only imported models are left out."""
    imported = Demo(root=demo.root, settings=demo.settings, name="imported")
    imported.spec.write_text(IMPORTED)
    assert asyncio.run(dataset_outside(imported, [1])) == 2  # so that the spec's dataset is 3, as model 3
    assert asyncio.run(imported.workspace().apply()).report.ok
    resources = imported.state()["resources"]
    assert resources["alviss.active_dataset.built"]["outputs"]["dataset_id"] == 3
    assert resources["alviss.refit.se"]["outputs"]["model_id"] == 12
    imported.workspace().state_rm(["alviss.active_dataset.built"])
    env = {
        "RECONCILER_EMULATOR_DIR": str(imported.settings.emulator_dir),
        "RECONCILER_EMULATOR_DURATIONS": "refit=0,attribution=0",
    }
    result = CliRunner().invoke(
        main,
        ["import", str(imported.spec), "alviss.active_dataset.built", "3"],
        env=env,
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert imported.state()["resources"]["alviss.active_dataset.built"]["outputs"]["dataset_id"] == 3
    again = asyncio.run(imported.workspace().plan())
    reads = {read.address: read for read in again.plan.data}
    assert reads["data.alviss.model.latest_se"].outputs["model_id"] == 3  # model 12 is this spec's refit
    assert not again.plan.has_changes


def test_an_imported_model_is_left_out_of_the_latest_of_its_combination(looked: Demo) -> None:
    """A model adopted by ``import`` is this spec's, as one its refit made: never "the latest" to refit."""
    newer = asyncio.run(refit_outside(looked, 3))
    edit(looked, "    model: data.alviss.model.latest_se\n", "    model: 3\n")
    env = {
        "RECONCILER_EMULATOR_DIR": str(looked.settings.emulator_dir),
        "RECONCILER_EMULATOR_DURATIONS": "refit=0,attribution=0",
    }
    result = CliRunner().invoke(
        main, ["import", str(looked.spec), "alviss.refit.se", str(newer)], env=env, catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    edit(looked, "    model: 3\n", "    model: data.alviss.model.latest_se\n")
    plan = asyncio.run(looked.workspace().plan()).plan
    reads = {read.address: read for read in plan.data}
    assert reads["data.alviss.model.latest_se"].outputs["model_id"] == 3


async def test_an_import_block_object_is_left_out_of_the_latest_of_its_kind(looked: Demo) -> None:
    """An ``import:`` block adopting the spec's own refit: the lookup of "the latest" does not chase it."""
    assert (await looked.workspace().apply()).report.ok
    model_id = looked.state()["resources"]["alviss.refit.se"]["outputs"]["model_id"]
    looked.workspace().state_rm(["alviss.refit.se"])
    looked.spec.write_text(
        looked.spec.read_text() + f"import:\n  - {{to: alviss.refit.se, id: {model_id}}}\n"
    )
    planned = (await looked.workspace().plan()).plan
    reads = {read.address: read for read in planned.data}
    assert reads["data.alviss.model.latest_se"].outputs["model_id"] == 3
    assert planned["alviss.refit.se"].action is Action.ADOPT
