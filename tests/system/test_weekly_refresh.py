"""The weekly refresh of two markets: the whole chain, convergence, one market's change, drift, remodels."""

from __future__ import annotations

import json
import shutil

import pytest

from reconciler.vocabulary import Action
from tests.support import REPO, Demo, mutating

SE_CHAIN = [
    "module.market[se].alviss.upload.sales",
    "module.market[se].alviss.active_dataset.main",
    "module.market[se].alviss.refit.weekly",
    "module.market[se].alviss.attribution.weekly",
    "module.market[se].alviss.active_attribution_set.main",
]
KINDS = ("upload", "dataset", "model", "attribution", "attribution_set")


def counts(stats: dict[str, object], project: str) -> dict[str, int]:
    projects = stats["projects"]
    assert isinstance(projects, dict)
    found: dict[str, int] = projects[project]
    return {kind: found[kind] for kind in KINDS}


async def test_whole_chain_for_every_market_then_nothing(weekly: Demo) -> None:
    result = await weekly.workspace().apply()
    assert result.report.ok, result.report.messages
    assert result.report.count("done") == 12
    state = weekly.state()
    for market, source in (("se", 3), ("no", 11)):
        refit = state["resources"][f"module.market[{market}].alviss.refit.weekly"]
        dataset = state["resources"][f"module.market[{market}].alviss.active_dataset.main"]["outputs"][
            "dataset_id"
        ]
        project = 1 if market == "se" else 2
        model = await weekly.call("GET", f"/models/{refit['outputs']['model_id']}", project=project)
        assert model["RefitOf"] == source
        assert model["DataSet"]["IId"] == dataset
        assert model["Status"] == "completed"
        attribution_id = state["resources"][f"module.market[{market}].alviss.attribution.weekly"]["outputs"][
            "attribution_id"
        ]
        attribution = await weekly.call("GET", f"/attributions/{attribution_id}", project=project)
        assert attribution["Model"]["IId"] == model["IId"]
        assert attribution["EndDate"] == "2026-11-23"  # this week's upload is in the range
        active_set = await weekly.call("GET", "/attributionset/active", project=project)
        assert attribution_id in [item["IId"] for item in active_set["Attributions"]]
        assert 4 in [item["IId"] for item in active_set["Attributions"]]  # keep_existing

    first = await weekly.stats()
    again = await weekly.workspace().apply()
    assert not again.plan.has_changes
    assert mutating(await weekly.stats()) == mutating(first)


async def test_refit_splits_the_dates_as_the_vendor_does(weekly: Demo) -> None:
    await weekly.workspace().apply()
    model_id = weekly.state()["resources"]["module.market[se].alviss.refit.weekly"]["outputs"]["model_id"]
    model = await weekly.call("GET", f"/models/{model_id}")
    total = len(model["TrainDates"]) + len(model["EvalDates"])
    assert len(model["TrainDates"]) == int(total * 0.75)
    assert model["EvalDates"][-1] == "2026-11-23"


async def test_one_market_changes_only_that_market_replans_with_reasons(weekly: Demo) -> None:
    await weekly.workspace().apply()
    sales = weekly.root / "specs" / "data" / "weekly" / "se" / "sales_w47.csv"
    sales.write_text(sales.read_text() + "SWE,all,all,2026-11-23,Lime,250,13.5\n")
    before = await weekly.stats()

    plan = (await weekly.workspace().plan()).plan
    assert [change.address for change in plan.actionable] == SE_CHAIN
    assert [
        step.address for step in plan.chain("module.market[se].alviss.active_attribution_set.main")
    ] == SE_CHAIN
    assert "se/sales_w47.csv changed" in plan["module.market[se].alviss.upload.sales"].reasons[0]

    result = await weekly.workspace().apply()
    assert result.report.ok, result.report.messages
    after = await weekly.stats()
    assert counts(after, "1/1") == {kind: count + 1 for kind, count in counts(before, "1/1").items()}
    assert counts(after, "1/2") == counts(before, "1/2")
    assert not (await weekly.workspace().plan()).plan.has_changes


async def test_changed_params_plan_a_new_refit_naming_the_change(weekly: Demo) -> None:
    await weekly.workspace().apply()
    module = weekly.spec.parent / "modules" / "market.yaml"  # the refit every market makes
    text = module.read_text()
    assert "params: {epochs: 500, learning_rate: 0.001, samples: 3}" in text
    module.write_text(text.replace("epochs: 500", "epochs: 800"))
    plan = (await weekly.workspace().plan()).plan
    assert sorted(change.address for change in plan.actionable) == sorted(
        address.replace("[se]", f"[{market}]") for market in ("se", "no") for address in SE_CHAIN[2:]
    )
    for market in ("se", "no"):
        assert plan[f"module.market[{market}].alviss.refit.weekly"].action is Action.REPLACE
        assert plan[f"module.market[{market}].alviss.refit.weekly"].reasons == ("params.epochs: 500 → 800",)


async def test_drift_another_dataset_activated_outside(weekly: Demo) -> None:
    await weekly.workspace().apply()
    await weekly.call("POST", "/datasets/1/activate")  # someone re-activates the old dataset
    plan = (await weekly.workspace().plan()).plan
    change = plan["module.market[se].alviss.active_dataset.main"]
    assert change.action is Action.UPDATE
    assert any("changed outside reconciler: now 1" in reason for reason in change.reasons)
    assert [c.address for c in plan.actionable] == SE_CHAIN[1:]
    assert (await weekly.workspace().apply()).report.ok
    assert not (await weekly.workspace().plan()).plan.has_changes


async def test_drift_another_attribution_set_activated_outside(weekly: Demo) -> None:
    await weekly.workspace().apply()
    await weekly.call("PATCH", "/attributionset/1/activate", project=2)
    plan = (await weekly.workspace().plan()).plan
    assert [c.address for c in plan.actionable] == ["module.market[no].alviss.active_attribution_set.main"]
    change = plan["module.market[no].alviss.active_attribution_set.main"]
    assert any("changed outside reconciler: now 1" in reason for reason in change.reasons)


async def test_drift_recorded_job_gone(weekly: Demo) -> None:
    await weekly.workspace().apply()
    state = weekly.state()
    state["resources"]["module.market[no].alviss.attribution.weekly"]["outputs"]["attribution_id"] = 999
    weekly.state_file.write_text(json.dumps(state))
    plan = (await weekly.workspace().plan()).plan
    change = plan["module.market[no].alviss.attribution.weekly"]
    assert change.action is Action.CREATE
    assert "attribution 999 no longer exists on the platform" in change.reasons


REMODEL_SPEC = """
state: {path: ../state/remodel.json}
providers:
  alviss: {endpoint: "emulator://alviss", team: 1, project: 3}
resources:
  alviss.model.high:
    from_model: 11
    graph: high
  alviss.model.low:
    from_model: 11
    graph: low
    params: {epochs: 60, learning_rate: 0.01, samples: 2}
    activate: true
"""


@pytest.mark.parametrize("level", ["high", "low"])
async def test_remodel_from_either_graph_level(demo: Demo, level: str) -> None:
    (demo.root / "specs" / "remodel.yaml").write_text(REMODEL_SPEC)
    remodel = Demo(root=demo.root, settings=demo.settings, name="remodel")
    result = await remodel.workspace().apply()
    assert result.report.ok, result.report.messages
    model_id = remodel.state()["resources"][f"alviss.model.{level}"]["outputs"]["model_id"]
    model = await remodel.call("GET", f"/models/{model_id}", project=3)
    source = await remodel.call("GET", "/models/11", project=3)
    assert model["Status"] == "completed"
    assert (model["Country"], model["Region"], model["Grouping"]) == ("NOR", "all", "all")
    assert model["DataSet"] == source["DataSet"]
    assert not (await remodel.workspace().plan()).plan.has_changes


async def test_a_module_instance_or_the_whole_module_can_be_targeted(weekly: Demo) -> None:
    plan = (await weekly.workspace().plan(targets=["module.market[se]"])).plan
    assert {change.address.split(".alviss.")[0] for change in plan.changes} == {"module.market[se]"}
    assert len(plan.actionable) == 6
    plan = (await weekly.workspace().plan(targets=["module.market"])).plan
    assert len(plan.actionable) == 12
    result = await weekly.workspace().apply(targets=["module.market[no]"])
    assert result.report.ok and result.report.count("done") == 6
    assert {address.split(".alviss.")[0] for address in weekly.state()["resources"]} == {"module.market[no]"}


#: The hand-written two-market spec's addresses, and the module form's for the same resources.
MOVES = {
    f"alviss.{old}": f"module.market[{market}].alviss.{new}"
    for market in ("se", "no")
    for old, new in (
        (f"upload.{market}_sales_w47", "upload.sales"),
        (f"upload.{market}_media_w47", "upload.media"),
        (f"active_dataset.{market}", "active_dataset.main"),
        (f"refit.{market}", "refit.weekly"),
        (f"attribution.{market}", "attribution.weekly"),
        (f"active_attribution_set.{market}", "active_attribution_set.main"),
    )
}


async def test_from_the_hand_written_spec_to_the_module_form_with_moved_blocks_sends_nothing(
    weekly: Demo,
) -> None:
    """A team that applied the hand-written spec moves to the module form: moved blocks, no new jobs."""
    module_form = weekly.spec.read_text()
    shutil.copy(REPO / "tests" / "fixtures" / "state-v1" / "weekly-refresh.yaml", weekly.spec)
    assert (await weekly.workspace().apply()).report.ok
    sent = mutating(await weekly.stats())
    blocks = "".join(f"  - {{from: {old}, to: '{new}'}}\n" for old, new in MOVES.items())
    weekly.spec.write_text(module_form + "moved:\n" + blocks)
    plan = (await weekly.workspace().plan()).plan
    assert plan.actionable == ()
    assert {(move.source, move.to) for move in plan.moved} == set(MOVES.items())
    result = await weekly.workspace().apply()
    assert result.report.ok
    assert mutating(await weekly.stats()) == sent
    assert set(weekly.state()["resources"]) == set(MOVES.values())
    assert not (await weekly.workspace().plan()).plan.has_changes
