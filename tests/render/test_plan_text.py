"""Readable plans: what, why and how big, within a screen, in colour only when asked."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

from reconciler.engine import saved
from reconciler.engine.plan import Change, Plan
from reconciler.providers.base import Decision
from reconciler.render.plan_json import render_plan_json
from reconciler.render.plan_markdown import render_plan_markdown
from reconciler.render.plan_text import NO_CHANGES, render_plan
from reconciler.state.document import PendingOperation, ResourceState
from reconciler.vocabulary import KNOWN_AFTER_APPLY, Action, Reason
from tests.schema_check import errors as schema_errors
from tests.support import REPO, Demo

ANSI = re.compile(r"\x1b\[")


async def test_a_change_to_one_market_fits_a_screen_and_says_what_why_and_how_big(weekly: Demo) -> None:
    assert (await weekly.workspace().apply()).report.ok
    sales = weekly.root / "specs" / "data" / "weekly" / "se" / "sales_w47.csv"
    sales.write_text(sales.read_text() + "SWE,all,all,2026-11-23,Light,120,11.5\n")
    text = render_plan((await weekly.workspace().plan()).plan, width=100)
    lines = text.splitlines()
    assert len(lines) <= 50, text
    assert max(len(line) for line in lines) <= 100
    assert "alviss.no" not in text  # the other market is untouched
    assert "-/+ module.market[se].alviss.upload.sales" in text  # what
    assert re.search(r"sales_w47\.csv \(\d+ B, sha256 [0-9a-f]{12}\)", text)  # how big
    assert "why: new upload (module.market[se].alviss.upload.sales) → new active dataset" in text  # why
    assert "(known after apply)" in text
    assert lines[-1] == "Plan: 0 to create, 2 to change, 3 to replace, 0 to resume, 0 to forget."
    assert not ANSI.search(text)


def change_of(address: str, action: Action, reason: Reason = Reason.NO_RECORD, **decided: Any) -> Change:
    """A change of an ``alviss.upload`` (or of the type its address names) with this decision."""
    kind = address.rsplit(".", 1)[0]
    return Change(address, kind, "alviss", Decision(action=action, reason=reason, **decided))


def plan_of(*changes: Change) -> Plan:
    return Plan(
        changes=changes, lineage="l", serial=1, providers={"alviss": "emulator://alviss, project 1/1"}
    )


def test_nested_parameters_show_as_a_structured_diff() -> None:
    change = change_of(
        "module.market[se].alviss.refit.weekly",
        Action.REPLACE,
        Reason.INPUTS_CHANGED,
        summary="refit of model 3",
        before={"params": {"epochs": 500, "learning_rate": 0.001}, "model_id": 12},
        after={
            "params": {"epochs": 800, "learning_rate": 0.001, "samples": 3},
            "model_id": KNOWN_AFTER_APPLY,
        },
    )
    lines = render_plan(plan_of(change), width=100).splitlines()
    assert "      params" in lines
    assert any(re.fullmatch(r"\s+~ epochs\s+500 → 800", line) for line in lines), lines
    assert any(re.fullmatch(r"\s+learning_rate\s+0\.001", line) for line in lines), lines
    assert any(re.fullmatch(r"\s+\+ samples\s+3", line) for line in lines), lines
    assert any(re.fullmatch(r"\s+model_id\s+12 → \(known after apply\)", line) for line in lines), lines


def test_markdown_shows_a_changing_mapping_row_by_row_and_the_rest_as_before() -> None:
    change = change_of(
        "alviss.model.remodel",
        Action.REPLACE,
        Reason.INPUTS_CHANGED,
        before={
            "params": {"epochs": 50},
            "edits": {"nodes": {"tv": {"label": "TV"}, "social": ""}},
            "graph": "high",
        },
        after={
            "params": {"epochs": 50},
            "edits": {"nodes": {"tv": {"label": "TV (linear)"}, "radio": {"type": "media"}}},
            "graph": "high",
        },
    )
    markdown = render_plan_markdown(plan_of(change))
    assert "| ~ edits.nodes.tv.label | TV | TV (linear) |" in markdown
    assert "| + edits.nodes.radio.type |  | media |" in markdown
    assert "| - edits.nodes.social |  |  |" in markdown
    assert "| params | {epochs: 50} | (unchanged) |" in markdown  # an unchanged mapping stays one row
    assert "| graph | high | (unchanged) |" in markdown


def test_long_values_are_cut_to_the_width_keeping_size_and_hash() -> None:
    label = "data/" + "very-long-directory/" * 8 + "sales.csv (1.2 MB, sha256 0123456789ab)"
    change = change_of("alviss.upload.s", Action.CREATE, after={"file": label})
    for width in (72, 100, 140):  # the summary line needs 72
        lines = render_plan(plan_of(change), width=width).splitlines()
        assert max(len(line) for line in lines) <= width
        assert any("…" in line and line.endswith("(1.2 MB, sha256 0123456789ab)") for line in lines)


def test_every_action_has_its_symbol_and_the_summary_counts_them() -> None:
    changes = [
        change_of(f"alviss.upload.{action.value}", action)
        for action in (Action.CREATE, Action.UPDATE, Action.REPLACE, Action.RESUME, Action.FORGET)
    ]
    text = render_plan(plan_of(*changes), width=100)
    for symbol, action in (
        ("+", "create"),
        ("~", "update"),
        ("-/+", "replace"),
        (">", "resume"),
        ("x", "forget"),
    ):
        assert f"  {symbol} alviss.upload.{action}" in text
    assert text.endswith("Plan: 1 to create, 1 to change, 1 to replace, 1 to resume, 1 to forget.")


def test_colour_only_when_asked_with_the_same_words() -> None:
    change = change_of("alviss.upload.s", Action.CREATE, after={"upload_id": KNOWN_AFTER_APPLY})
    plain = render_plan(plan_of(change), width=100)
    coloured = render_plan(plan_of(change), color=True, width=100)
    assert ANSI.search(coloured) and not ANSI.search(plain)
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain


def test_no_changes() -> None:
    assert render_plan(plan_of(change_of("alviss.upload.s", Action.NOOP, Reason.IN_SYNC))) == NO_CHANGES


def _adoption() -> Change:
    record = ResourceState(
        type="alviss.upload",
        provider="alviss",
        status="pending",
        pending=PendingOperation(
            action="adopt",
            step="adopt",
            fingerprint="sha256:f",
            job_id=7,
            detail={"matched": {"FileSize": 559}},
        ),
    )
    return Change(
        "alviss.upload.s",
        "alviss.upload",
        "alviss",
        Decision(
            action=Action.ADOPT,
            reason=Reason.ADOPT_FOUND,
            summary="adopt 7",
            reasons=("not in the state; found 7 on the platform by file name, size and dataset type",),
            after={"FileName": "s.csv", "FileSize": 559, "upload_id": 7},
            fingerprint="sha256:f",
            refreshed=record,
        ),
        cause="spec",
    )


def test_an_adoption_shows_what_matched_in_every_format() -> None:
    adoption = _adoption()
    plan = plan_of(adoption)
    text = render_plan(plan, width=100)
    assert "  <= alviss.upload.s: adopt 7" in text
    assert "<= adopt (found on the platform; recorded, nothing is sent)" in text
    assert "FileSize   559" in text
    assert "- not in the state; found 7 on the platform by file name, size and dataset type" in text
    assert "reason: adopt_found" in text
    assert text.endswith("0 to forget, 1 to adopt.")

    markdown = render_plan_markdown(plan)
    assert "0 to forget, 1 to adopt." in markdown
    assert "<code>&lt;=</code> <b>alviss.upload.s</b>" in markdown
    assert "| FileName |  | s.csv |" in markdown
    assert "reason: `adopt_found`" in markdown

    document = json.loads(render_plan_json(plan))
    assert document["summary"]["adopt"] == 1
    assert document["changes"][0]["action"] == "adopt"
    assert document["changes"][0]["refreshed"]["pending"]["job_id"] == 7
    schema = json.loads((REPO / "docs" / "plan.schema.json").read_text())
    assert schema_errors(document, schema, schema) == []
    # A saved plan keeps the adoption exactly.
    again = saved.from_document(document).plan
    assert again.changes[0] == dataclasses.replace(adoption, basis=None)


def test_a_plan_without_adoptions_keeps_its_summary_line() -> None:
    text = render_plan(plan_of(change_of("alviss.upload.s", Action.CREATE)), width=100)
    assert "adopt" not in text


def test_moves_are_shown_whole_and_counted() -> None:
    from reconciler.engine.plan import Move, Plan
    from reconciler.render.plan_text import render_plan

    long = "module.market[no].alviss.active_attribution_set.main"
    plan = Plan(
        changes=(),
        lineage="l",
        serial=1,
        moved=(Move(long, long.replace("market", "markets")), Move("alviss.upload.a", "alviss.upload.b")),
    )
    assert render_plan(plan, width=80).splitlines()[2:] == [
        "# moved blocks (the records follow; nothing is sent)",
        f"  {long}",
        f"      has moved to {long.replace('market', 'markets')}",
        "  alviss.upload.a has moved to alviss.upload.b",
        "",
        "Plan: 0 to create, 0 to change, 0 to replace, 0 to resume, 0 to forget, 2 to move.",
    ]
