"""State commands through the command line: list, show, rm, mv, import, force-unlock, migrate."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from reconciler.workflow import Settings
from tests.support import Demo, mutating

from .support import run

SALES, MEDIA, ACTIVE = "alviss.upload.sales_w47", "alviss.upload.media_w47", "alviss.active_dataset.main"


def state(project: Path) -> dict[str, dict[str, object]]:
    resources: dict[str, dict[str, object]] = json.loads((project / "state" / "demo.json").read_text())[
        "resources"
    ]
    return resources


def test_list_show_rm_and_mv(project: Path) -> None:
    run("apply", "specs/demo.yaml", "--auto-approve")
    listed = run("state", "list", "specs/demo.yaml")[1].splitlines()
    assert sorted(listed) == sorted(f"{address}\tready" for address in (SALES, MEDIA, ACTIVE))
    code, output = run("state", "show", "specs/demo.yaml", SALES)
    assert code == 0
    assert json.loads(output)[SALES]["outputs"] == state(project)[SALES]["outputs"]
    assert run("state", "show", "specs/demo.yaml", "alviss.upload.nope")[0] == 1

    assert run("state", "mv", "specs/demo.yaml", SALES, "alviss.upload.sales")[0] == 0
    assert "alviss.upload.sales" in state(project) and SALES not in state(project)
    code, output = run("state", "mv", "specs/demo.yaml", MEDIA, "alviss.refit.media")
    assert code == 1 and "keeps its type" in output

    assert run("state", "rm", "specs/demo.yaml", "alviss.upload.sales")[0] == 0
    assert "alviss.upload.sales" not in state(project)


def test_import_adopts_an_existing_upload_without_sending_anything(project: Path) -> None:
    run("apply", "specs/demo.yaml", "--auto-approve")
    upload_id = state(project)[SALES]["outputs"]["upload_id"]  # type: ignore[index]
    run("state", "rm", "specs/demo.yaml", SALES)
    outsider = Demo(root=project, settings=Settings(emulator_dir=project / "emulators"))
    before = asyncio.run(outsider.stats())

    code, output = run("import", "specs/demo.yaml", SALES, "999")
    assert code == 1 and "not known to the platform" in output
    code, output = run("import", "specs/demo.yaml", SALES, str(upload_id))
    assert code == 0, output
    assert "recorded as ready" in output
    assert mutating(asyncio.run(outsider.stats())) == mutating(before)
    assert state(project)[SALES]["outputs"] == {"upload_id": upload_id}
    assert run("plan", "specs/demo.yaml", "--detailed-exitcode")[0] == 0
    code, output = run("import", "specs/demo.yaml", SALES, str(upload_id))
    assert code == 1 and "already in the state" in output


def test_a_held_lock_is_named_waited_for_and_force_unlocked(project: Path) -> None:
    from reconciler.state.local import LocalBackend

    run("apply", "specs/demo.yaml", "--auto-approve")
    backend = LocalBackend(project / "state" / "demo.json")
    with backend.lock(operation="apply") as info:
        code, output = run("state", "rm", "specs/demo.yaml", SALES)
        assert code == 1
        assert info.id in output
        code, output = run("force-unlock", "specs/demo.yaml", info.id)
        assert code == 0, output
        assert run("state", "rm", "specs/demo.yaml", SALES, "--lock-timeout", "1")[0] == 0
    assert SALES not in state(project)


def test_migrate_moves_a_workspace_to_another_backend_keeping_lineage_and_serial(project: Path) -> None:
    run("apply", "specs/demo.yaml", "--auto-approve")
    source = json.loads((project / "state" / "demo.json").read_text())
    other = project / "specs" / "moved.yaml"
    other.write_text(
        (project / "specs" / "demo.yaml").read_text().replace("../state/demo.json", "../moved.json")
    )
    code, output = run("state", "migrate", "specs/demo.yaml", "--to-spec", "specs/moved.yaml")
    assert code == 0, output
    moved = json.loads((project / "moved.json").read_text())
    assert (moved["lineage"], moved["serial"], moved["resources"]) == (
        source["lineage"],
        source["serial"],
        source["resources"],
    )
    assert run("plan", "specs/moved.yaml", "--detailed-exitcode")[0] == 0
    code, output = run("state", "migrate", "specs/demo.yaml", "--to-spec", "specs/demo.yaml")
    assert code == 1
