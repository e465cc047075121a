"""A saved plan edited, cut or replaced by garbage is refused up front: exit 1, a message, nothing sent.

Each case makes a real plan of the demo (three changes), tampers with the
file, applies it, and checks the emulator's mutating request counts and the
state file did not move.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.workflow import Settings
from tests.support import Demo, mutating

from .support import run

Document = dict[str, Any]


def outsider(project: Path) -> Demo:
    return Demo(root=project, settings=Settings(emulator_dir=project / "emulators"))


def first_mutating(document: Document) -> Document:
    change: Document = next(c for c in document["changes"] if c["action"] != "no-op")
    return change


def remove_a_change(document: Document) -> None:
    document["changes"].remove(first_mutating(document))
    document["summary"]["create"] -= 1


def remove_a_change_keep_summary(document: Document) -> None:
    document["changes"].remove(first_mutating(document))


def other_fingerprint(document: Document) -> None:
    first_mutating(document)["fingerprint"] = "sha256:" + "0" * 64


def other_action(document: Document) -> None:
    change = first_mutating(document)
    change["action"] = "update"
    document["summary"]["create"] -= 1
    document["summary"]["update"] += 1


def other_basis(document: Document) -> None:
    first_mutating(document)["basis"] = "sha256:" + "1" * 64


def refreshed_record_injected(document: Document) -> None:
    change = first_mutating(document)
    change["refreshed"] = {"type": change["type"], "provider": change["provider"], "status": "ready"}


def wrong_type_serial(document: Document) -> None:
    document["state"]["serial"] = "0"


def wrong_type_action(document: Document) -> None:
    first_mutating(document)["action"] = 3


def wrong_type_changes(document: Document) -> None:
    document["changes"] = {"alviss.upload.sales_w47": {}}


def wrong_type_reasons(document: Document) -> None:
    first_mutating(document)["reasons"] = "because"


def unknown_action(document: Document) -> None:
    first_mutating(document)["action"] = "destroy"


def duplicate_change(document: Document) -> None:
    document["changes"].append(dict(first_mutating(document)))
    document["summary"]["create"] += 1


def extra_field(document: Document) -> None:
    first_mutating(document)["run"] = "rm -rf /"


def refreshed_garbage(document: Document) -> None:
    first_mutating(document)["refreshed"] = {"status": 7}


TAMPERINGS: dict[str, tuple[Callable[[Document], None], str]] = {
    "change removed": (remove_a_change, "planned now (create), not in the plan"),
    "change removed, summary kept": (remove_a_change_keep_summary, "summary does not count its changes"),
    "other fingerprint": (other_fingerprint, "the plan's fingerprint differ from a plan made now"),
    "other action": (other_action, "planned as create now, update in the plan"),
    "other basis": (other_basis, "the live object changed"),
    "a record injected": (refreshed_record_injected, "the plan's refreshed differ"),
    "serial as a string": (wrong_type_serial, "is damaged: state.serial: Input should be a valid integer"),
    "action as a number": (wrong_type_action, "is damaged: changes[0].action"),
    "changes as a mapping": (wrong_type_changes, "is damaged: changes: Input should be a valid list"),
    "reasons as a string": (wrong_type_reasons, "is damaged: changes[0].reasons"),
    "unknown action": (unknown_action, "is damaged: changes[0].action"),
    "a change twice": (duplicate_change, "appears twice"),
    "an extra field": (extra_field, "is damaged: changes[0].run: Extra inputs are not permitted"),
    "a record of garbage": (refreshed_garbage, "is damaged: changes[0].refreshed"),
}


@pytest.mark.parametrize("case", list(TAMPERINGS))
def test_a_tampered_plan_is_refused_before_anything_is_applied(project: Path, case: str) -> None:
    tamper, expected = TAMPERINGS[case]
    assert run("plan", "specs/demo.yaml", "-out", "plan.json")[0] == 0
    document = json.loads(Path("plan.json").read_text())
    assert [c["action"] for c in document["changes"]] == ["create", "create", "update"]
    tamper(document)
    Path("plan.json").write_text(json.dumps(document))
    before = asyncio.run(outsider(project).stats())

    code, output = run("apply", "plan.json")

    assert code == 1, output
    assert expected in output, output
    assert "Traceback" not in output
    assert "Resources:" not in output
    assert mutating(asyncio.run(outsider(project).stats())) == mutating(before)
    assert not (project / "state" / "demo.json").exists()


GARBAGE: dict[str, tuple[bytes, str]] = {
    "not json": (b'{"format": "reconciler-plan", oops', "is not JSON"),
    "binary": (b'{"format": "reconciler-plan"\xff\xfe\x00', "not UTF-8 text"),
    "a list": (b'[{"format": "reconciler-plan"}]', "is not a reconciler plan"),
    "deeply nested": (
        b'{"format": "reconciler-plan", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        "nested too deeply",
    ),
    "cut short": (b'{"format": "reconciler-plan", "format_version": 1, "changes": [', "is not JSON"),
    "empty object of the format": (b'{"format": "reconciler-plan", "format_version": 1}', "is damaged"),
    "null changes": (
        b'{"format": "reconciler-plan", "format_version": 1, "spec_files": ["specs/demo.yaml"],'
        b' "state": {"lineage": "x", "serial": 0}, "providers": {}, "summary": {},'
        b' "has_changes": true, "changes": null}',
        "is damaged: changes: Input should be a valid list",
    ),
}


@pytest.mark.parametrize("case", list(GARBAGE))
def test_garbage_in_place_of_a_plan_is_a_message(project: Path, case: str) -> None:
    content, expected = GARBAGE[case]
    Path("plan.json").write_bytes(content)
    code, output = run("apply", "plan.json", "--spec", "specs/demo.yaml")
    assert code == 1, output
    assert expected in output
    assert "Traceback" not in output
    assert not (project / "state" / "demo.json").exists()


def test_an_untouched_plan_of_a_target_still_applies(project: Path) -> None:
    """The selection is part of the plan: a --target plan is not refused for the changes it left out."""
    assert run("plan", "specs/demo.yaml", "--target", "alviss.upload.sales_w47", "-out", "plan.json")[0] == 0
    code, output = run("apply", "plan.json")
    assert code == 0, output
    assert "Apply complete! Resources: 1 added, 0 changed, 0 replaced, 0 adopted." in output


def test_an_untouched_plan_with_replace_still_applies(project: Path) -> None:
    assert run("apply", "specs/demo.yaml", "--auto-approve")[0] == 0
    assert run("plan", "specs/demo.yaml", "--replace", "alviss.upload.sales_w47", "-out", "plan.json")[0] == 0
    code, output = run("apply", "plan.json")
    assert code == 0, output
    # Two changes (the new upload, the new dataset); the other upload is a no-op and not counted.
    assert "Apply complete! Resources: 0 added, 1 changed, 1 replaced, 0 adopted.\n" in output
