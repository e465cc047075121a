"""moved and import blocks, and lifecycle, end to end: planned, shown, applied with no mutating request."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler import errors
from reconciler.engine.plan import Move
from reconciler.render.plan_text import render_plan
from reconciler.vocabulary import Action, Reason
from tests.support import Demo, mutating

from .support import run

SALES, MEDIA, ACTIVE = "alviss.upload.sales_w47", "alviss.upload.media_w47", "alviss.active_dataset.main"


def rename_sales(demo: Demo, new: str = "alviss.upload.sales", *, blocks: str | None = None) -> None:
    """The demo spec with the Sales upload renamed to ``new``, and a moved block (or ``blocks``)."""
    text = demo.spec.read_text().replace(f"{SALES}:", f"{new}:").replace(f"- {SALES}", f"- {new}")
    text += blocks if blocks is not None else f"moved:\n  - from: {SALES}\n    to: {new}\n"
    demo.spec.write_text(text)


def spec_errors(error: errors.SpecErrors) -> list[str]:
    return [f"{e.file}:{e.line}:{e.column}: {e.message}" for e in error.errors]


# -- moved -----------------------------------------------------------------------------------------------


async def test_moved_is_planned_shown_applied_without_a_request_then_nothing(demo: Demo) -> None:
    await demo.workspace().apply()
    upload = demo.state()["resources"][SALES]["outputs"]
    rename_sales(demo)
    before = mutating(await demo.stats())

    planned = (await demo.workspace().plan()).plan
    assert planned.moved == (Move(source=SALES, to="alviss.upload.sales"),)
    assert planned.has_changes and not planned.actionable  # the record is in sync at its new address
    text = render_plan(planned)
    assert f"{SALES} has moved to alviss.upload.sales" in text
    assert text.endswith("1 to move.")

    drift = (await demo.workspace().drift()).report
    assert (drift.exit_code, drift.addresses("spec")) == (2, ["alviss.upload.sales"])

    applied = await demo.workspace().apply()
    assert applied.report.moved == 1
    assert mutating(await demo.stats()) == before
    resources = demo.state()["resources"]
    assert SALES not in resources and resources["alviss.upload.sales"]["outputs"] == upload
    assert resources["alviss.upload.sales"]["moved_from"] == [SALES]

    again = (await demo.workspace().plan()).plan  # the block stays in the spec: applied already
    assert not again.has_changes and render_plan(again).startswith("No changes.")


async def test_moved_from_an_address_never_recorded_is_located(demo: Demo) -> None:
    await demo.workspace().apply()
    rename_sales(demo, blocks="moved:\n  - from: alviss.upload.sales_w46\n    to: alviss.upload.sales\n")
    with pytest.raises(errors.SpecErrors) as caught:
        await demo.workspace().plan()
    [message] = spec_errors(caught.value)
    lines = demo.spec.read_text().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "alviss.upload.sales_w46" in text)
    assert message.startswith(f"{demo.spec}:{line}:")
    assert "'alviss.upload.sales_w46': nothing is recorded there" in message


async def test_moved_block_with_a_typo_fails_even_where_to_is_recorded(demo: Demo) -> None:
    await demo.workspace().apply()
    text = demo.spec.read_text() + f"moved:\n  - from: alviss.upload.sales_w4\n    to: {SALES}\n"
    demo.spec.write_text(text)
    with pytest.raises(errors.SpecErrors, match="nothing is recorded there"):
        await demo.workspace().plan()


async def test_moved_to_an_address_already_recorded_is_located(demo: Demo) -> None:
    await demo.workspace().apply()
    text = (
        demo.spec.read_text()
        .replace(f"  {SALES}:", "  alviss.upload.gone:")
        .replace(f"- {SALES}", "- alviss.upload.gone")
    )
    demo.spec.write_text(text + f"moved:\n  - from: {SALES}\n    to: {MEDIA}\n")
    with pytest.raises(errors.SpecErrors) as caught:
        await demo.workspace().plan()
    assert any(f"{MEDIA} is already in the state" in line for line in spec_errors(caught.value))


async def test_a_chain_of_moves_is_one_move_and_stays_applied(demo: Demo) -> None:
    await demo.workspace().apply()
    blocks = (
        f"moved:\n  - {{from: {SALES}, to: alviss.upload.b}}\n"
        "  - {from: alviss.upload.b, to: alviss.upload.c}\n"
    )
    rename_sales(demo, "alviss.upload.c", blocks=blocks)
    planned = (await demo.workspace().plan()).plan
    assert planned.moved == (Move(source=SALES, to="alviss.upload.c"),)
    await demo.workspace().apply()
    assert demo.state()["resources"]["alviss.upload.c"]["moved_from"] == [SALES, "alviss.upload.b"]
    assert not (await demo.workspace().plan()).plan.has_changes


async def test_moved_to_an_instance_key(demo: Demo) -> None:
    """A resource given for_each: its record becomes one instance (the state only; nothing is sent)."""
    await demo.workspace().apply()
    state = demo.workspace().state_mv(SALES, "alviss.upload.sales[se]")
    assert "alviss.upload.sales[se]" in state.resources
    assert demo.workspace().state_mv("alviss.upload.sales", "alviss.upload.s2").resources.keys() >= {
        "alviss.upload.s2[se]"
    }


async def test_a_saved_plan_carries_its_moves(demo: Demo, tmp_path: Path) -> None:
    await demo.workspace().apply()
    rename_sales(demo)
    out = tmp_path / "plan.json"
    await demo.workspace().plan(out=out)
    assert json.loads(out.read_text())["moved"] == [{"from": SALES, "to": "alviss.upload.sales"}]
    before = mutating(await demo.stats())
    workspace, path = type(demo.workspace()).from_plan_file(out, settings=demo.settings)
    result = await workspace.apply(plan_file=path)
    assert result.report.moved == 1 and "alviss.upload.sales" in result.state.resources
    assert mutating(await demo.stats()) == before


# -- import ----------------------------------------------------------------------------------------------


async def two_matching_uploads(demo: Demo) -> tuple[int, int]:
    """Two Sales uploads of the same file on the platform, and none of them recorded."""
    await demo.workspace().apply()
    first = demo.state()["resources"][SALES]["outputs"]["upload_id"]
    await demo.workspace().apply(replace=[SALES])
    second = demo.state()["resources"][SALES]["outputs"]["upload_id"]
    demo.workspace().state_rm([SALES])
    return first, second


async def test_import_block_chooses_among_matching_objects_and_sends_nothing(demo: Demo) -> None:
    first, second = await two_matching_uploads(demo)
    with pytest.raises(errors.PlanError, match="2 objects on the platform match it"):
        await demo.workspace().plan()
    demo.spec.write_text(demo.spec.read_text() + f"import:\n  - to: {SALES}\n    id: {first}\n")
    before = mutating(await demo.stats())

    planned = (await demo.workspace().plan()).plan
    change = planned[SALES]
    assert (change.action, change.reason) == (Action.ADOPT, Reason.IMPORT_BLOCK)
    assert f"import {first}" in render_plan(planned)
    applied = await demo.workspace().apply()
    assert applied.report.outcomes[SALES] == "done"
    assert demo.state()["resources"][SALES]["outputs"]["upload_id"] == first != second
    assert mutating(await demo.stats()) == before
    assert not (await demo.workspace().plan()).plan.has_changes  # the block stays: recorded already


async def test_import_block_of_an_unknown_id_is_located(demo: Demo) -> None:
    await two_matching_uploads(demo)
    demo.spec.write_text(demo.spec.read_text() + f"import:\n  - to: {SALES}\n    id: 999\n")
    with pytest.raises(errors.SpecErrors) as caught:
        await demo.workspace().plan()
    [message] = spec_errors(caught.value)
    line = len(demo.spec.read_text().splitlines())
    assert message.startswith(f"{demo.spec}:{line}:9: import of 999 as {SALES}: ")
    assert "not known to the platform" in message


async def test_import_block_of_an_object_recorded_elsewhere_is_refused(demo: Demo) -> None:
    await demo.workspace().apply()
    media = demo.state()["resources"][MEDIA]["outputs"]["upload_id"]
    demo.workspace().state_rm([SALES])
    demo.spec.write_text(demo.spec.read_text() + f"import:\n  - {{to: {SALES}, id: {media}}}\n")
    with pytest.raises(errors.SpecErrors, match=f"the state records it for {MEDIA}"):
        await demo.workspace().plan()


async def test_import_block_of_an_object_whose_inputs_are_not_made_yet_is_located(demo: Demo) -> None:
    demo.spec.write_text(demo.spec.read_text() + f"import:\n  - to: {ACTIVE}\n    id: 1\n")
    with pytest.raises(errors.SpecErrors) as caught:
        await demo.workspace().plan()
    [message] = spec_errors(caught.value)
    assert f"import of 1 as {ACTIVE}: it refers to {MEDIA}, which has no object yet" in message


# -- lifecycle -------------------------------------------------------------------------------------------


def with_lifecycle(demo: Demo, lifecycle: str) -> None:
    text = demo.spec.read_text().replace(
        "    file: data/demo/sales_w47.csv\n",
        f"    file: data/demo/sales_w47.csv\n    lifecycle: {lifecycle}\n",
    )
    demo.spec.write_text(text)


async def test_prevent_replace_stops_every_kind_of_replacement(demo: Demo) -> None:
    with_lifecycle(demo, "{prevent_replace: true}")
    await demo.workspace().apply()
    line = next(
        i for i, text in enumerate(demo.spec.read_text().splitlines(), 1) if "prevent_replace" in text
    )
    with pytest.raises(errors.SpecErrors) as caught:
        await demo.workspace().plan(replace=[SALES])
    [message] = spec_errors(caught.value)
    assert message.startswith(f"{demo.spec}:{line}:")
    assert "would replace it (replace_requested" in message

    data = demo.data("sales_w47.csv")
    data.write_text(data.read_text() + "2024-12-01,1,1\n")
    before = mutating(await demo.stats())
    with pytest.raises(
        errors.SpecErrors, match=r"would replace it \(inputs_changed: .*sales_w47.csv changed"
    ):
        await demo.workspace().apply()
    assert mutating(await demo.stats()) == before


async def test_prevent_replace_names_a_tainted_record(demo: Demo) -> None:
    with_lifecycle(demo, "{prevent_replace: true}")
    await demo.workspace().apply()
    state = demo.state()
    state["resources"][SALES]["status"] = "tainted"
    demo.state_file.write_text(json.dumps(state))
    with pytest.raises(errors.SpecErrors, match=r"would replace it \(tainted"):
        await demo.workspace().plan()


async def test_ignore_changes_keeps_an_edit_out_of_the_plan(demo: Demo) -> None:
    await demo.workspace().apply()
    with_lifecycle(demo, "{ignore_changes: [dataset_name]}")
    demo.spec.write_text(demo.spec.read_text().replace("dataset_name: Sales", "dataset_name: Media"))
    assert not (await demo.workspace().plan()).plan.has_changes
    # Without it, the same edit is a new upload.
    demo.spec.write_text(
        demo.spec.read_text().replace("    lifecycle: {ignore_changes: [dataset_name]}\n", "")
    )
    assert (await demo.workspace().plan()).plan[SALES].action is Action.REPLACE


async def test_ignore_changes_does_not_freeze_a_new_object(demo: Demo) -> None:
    """Something else makes a new upload: it is made from the spec as written, ignored field included."""
    await demo.workspace().apply()
    with_lifecycle(demo, "{ignore_changes: [dataset_name]}")
    demo.spec.write_text(demo.spec.read_text().replace("dataset_name: Sales", "dataset_name: Media"))
    change = (await demo.workspace().plan(replace=[SALES])).plan[SALES]
    assert change.action is Action.REPLACE and change.after["dataset_name"] == "Media"


def test_lifecycle_mistakes_are_located(project: Path) -> None:
    spec = project / "specs" / "demo.yaml"
    text = spec.read_text().replace(
        "    file: data/demo/sales_w47.csv\n",
        "    file: data/demo/sales_w47.csv\n"
        "    lifecycle: {prevent_replace: yes please, ignore_changes: [fiel]}\n",
    )
    spec.write_text(text)
    code, output = run("validate", "specs/demo.yaml")
    assert code == 1 and "Traceback" not in output
    assert (
        "specs/demo.yaml:23:34: alviss.upload.sales_w47: 'lifecycle.prevent_replace' must be true or false"
        in output
    )
    assert "ignore_changes names 'fiel', which is not one of its fields" in output
    assert "hint: did you mean 'file'?" in output


def test_plan_prints_block_errors_located_without_a_traceback(project: Path) -> None:
    assert run("apply", "specs/demo.yaml", "--auto-approve")[0] == 0
    spec = project / "specs" / "demo.yaml"
    spec.write_text(spec.read_text() + "moved:\n  - {from: alviss.upload.old, to: alviss.upload.media_w47}\n")
    code, output = run("plan", "specs/demo.yaml")
    assert code == 1 and "Traceback" not in output
    assert "specs/demo.yaml:31:12: moved from 'alviss.upload.old': nothing is recorded there" in output


def test_moved_and_import_through_the_command_line(project: Path) -> None:
    assert run("apply", "specs/demo.yaml", "--auto-approve")[0] == 0
    spec = project / "specs" / "demo.yaml"
    text = (
        spec.read_text()
        .replace(f"{SALES}:", "alviss.upload.sales:")
        .replace(f"- {SALES}", "- alviss.upload.sales")
    )
    spec.write_text(text + f"moved:\n  - from: {SALES}\n    to: alviss.upload.sales\n")
    code, output = run("plan", "specs/demo.yaml", "--detailed-exitcode")
    assert code == 2 and f"{SALES} has moved to alviss.upload.sales" in output
    code, output = run("plan", "specs/demo.yaml", "--format", "markdown")
    assert code == 0 and "1 to move" in output and f"moved from `{SALES}`" in output
    code, output = run("plan", "specs/demo.yaml", "-out", "moves.plan")
    assert code == 0
    code, output = run("show", "moves.plan")
    assert code == 0 and f"{SALES} has moved to alviss.upload.sales" in output
    code, output = run("apply", "specs/demo.yaml", "--auto-approve", "--format", "json")
    summary = json.loads(output.splitlines()[-1])
    assert code == 0 and summary["type"] == "summary", output
    assert summary["resources"]["moved"] == 1 and summary["ok"] is True, summary
    assert run("plan", "specs/demo.yaml", "--detailed-exitcode")[0] == 0


def test_moved_and_import_against_a_served_emulator_send_nothing_mutating(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command line against an emulator over HTTP, its own request counters as the witness."""
    import httpx

    from tests.served import served_emulator

    monkeypatch.setenv("ALVISS_TOKEN", "blocks-token")
    spec = project / "specs" / "demo.yaml"
    with served_emulator("alviss", data_dir=project / "served", token="blocks-token") as base:

        def posts() -> int:
            requests: dict[str, int] = httpx.get(f"{base}/_emulator/stats", timeout=10).json()["requests"]
            return sum(count for route, count in requests.items() if not route.startswith("GET "))

        endpoint = f"endpoint: {base}/api/v1/api\n    token: ${{env:ALVISS_TOKEN}}"
        spec.write_text(spec.read_text().replace("endpoint: emulator://alviss", endpoint))
        assert run("apply", "specs/demo.yaml", "--auto-approve")[0] == 0
        state = json.loads((project / "state" / "demo.json").read_text())["resources"]
        sales_id = state[SALES]["outputs"]["upload_id"]
        assert run("state", "rm", "specs/demo.yaml", SALES)[0] == 0
        text = (
            spec.read_text()
            .replace(f"  {MEDIA}:", "  alviss.upload.media:")
            .replace(f"- {MEDIA}", "- alviss.upload.media")
        )
        spec.write_text(
            text
            + f"moved:\n  - from: {MEDIA}\n    to: alviss.upload.media\n"
            + f"import:\n  - to: {SALES}\n    id: {sales_id}\n"
        )
        before = posts()
        code, output = run("plan", "specs/demo.yaml")
        assert code == 0, output
        assert f"{MEDIA} has moved to alviss.upload.media" in output
        assert f"<= {SALES}: import {sales_id}" in output and "reason: import_block" in output
        code, output = run("apply", "specs/demo.yaml", "--auto-approve")
        assert code == 0 and "1 adopted, 1 moved" in output, output
        assert posts() == before
        assert run("plan", "specs/demo.yaml", "--detailed-exitcode")[0] == 0


FOR_EACH = """\
variables:
  weeks: {type: list, default: [w47]}
resources:
  alviss.upload.sales:
    for_each: ${var.weeks}
    dataset_name: Sales
    file: data/demo/sales_${each.key}.csv
  alviss.upload.media:
    for_each: ${var.weeks}
    dataset_name: Media
    file: data/demo/media_${each.key}.csv
  alviss.active_dataset.main:
    contains: [alviss.upload.sales[w47], alviss.upload.media[w47]]
moved:
  - {from: alviss.upload.sales_w47, to: "alviss.upload.sales[w47]"}
  - {from: alviss.upload.media_w47, to: "alviss.upload.media[w47]"}
"""


async def test_moved_into_for_each_instances_and_import_of_an_instance(demo: Demo) -> None:
    await demo.workspace().apply()
    upload = demo.state()["resources"][SALES]["outputs"]["upload_id"]
    head = demo.spec.read_text().split("resources:")[0]
    demo.spec.write_text(head + FOR_EACH)
    before = mutating(await demo.stats())

    planned = (await demo.workspace().plan()).plan
    assert planned.moved == (
        Move(source=SALES, to="alviss.upload.sales[w47]"),
        Move(source=MEDIA, to="alviss.upload.media[w47]"),
    )
    assert not planned.actionable
    await demo.workspace().apply()
    assert not (await demo.workspace().plan()).plan.has_changes

    # A record removed from the state takes its moved_from with it: its moved block goes too.
    demo.workspace().state_rm(["alviss.upload.sales[w47]"])
    demo.spec.write_text(
        demo.spec.read_text().split("moved:")[0]
        + f"import:\n  - {{to: 'alviss.upload.sales[w47]', id: {upload}}}\n"
    )
    change = (await demo.workspace().plan()).plan["alviss.upload.sales[w47]"]
    assert (change.action, change.reason) == (Action.ADOPT, Reason.IMPORT_BLOCK)
    await demo.workspace().apply()
    assert demo.state()["resources"]["alviss.upload.sales[w47]"]["outputs"]["upload_id"] == upload
    assert mutating(await demo.stats()) == before
    assert not (await demo.workspace().plan()).plan.has_changes


async def test_moving_every_instance_of_a_renamed_resource(demo: Demo) -> None:
    head = demo.spec.read_text().split("resources:")[0]
    demo.spec.write_text(head + FOR_EACH.split("moved:")[0])
    await demo.workspace().apply()
    renamed = FOR_EACH.split("moved:")[0].replace("alviss.upload.sales", "alviss.upload.sales_files")
    demo.spec.write_text(
        head + renamed + "moved:\n  - {from: alviss.upload.sales, to: alviss.upload.sales_files}\n"
    )
    before = mutating(await demo.stats())
    planned = (await demo.workspace().plan()).plan
    assert planned.moved == (Move(source="alviss.upload.sales[w47]", to="alviss.upload.sales_files[w47]"),)
    assert not planned.actionable
    await demo.workspace().apply()
    assert mutating(await demo.stats()) == before
    assert not (await demo.workspace().plan()).plan.has_changes


async def test_moving_a_module_call_moves_everything_in_it(weekly: Demo) -> None:
    await weekly.workspace().apply()
    recorded = set(weekly.state()["resources"])
    text = (
        weekly.spec.read_text()
        .replace("\n  market:", "\n  markets:")
        .replace("module.market}", "module.markets}")
    )
    weekly.spec.write_text(text + "\nmoved:\n  - {from: module.market, to: module.markets}\n")
    before = mutating(await weekly.stats())

    planned = (await weekly.workspace().plan()).plan
    assert {move.source for move in planned.moved} == recorded
    assert all(move.to == move.source.replace("module.market[", "module.markets[") for move in planned.moved)
    assert not planned.actionable
    await weekly.workspace().apply()
    assert mutating(await weekly.stats()) == before
    assert set(weekly.state()["resources"]) == {
        a.replace("module.market[", "module.markets[") for a in recorded
    }
    assert not (await weekly.workspace().plan()).plan.has_changes
