"""A no-op plan reads each project's uploads in one list, and falls back to reading each upload.

Against the full emulator, planning 2 projects × 3 applied uploads sends two list reads and no
per-upload read; against ``documented`` (no list endpoints) it reads each upload; either way it
plans ``No changes.``.  An upload the platform no longer has is planned again, from its own two
404s, not from its absence in the list.  The data files' hashes are remembered beside the state
and ``--rehash`` is accepted by every command that plans.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.served import served_emulator
from tests.system.support import run

TOKEN = "bulk-reads-token"
LIST = "GET /api/v1/api/projects/{team_id}/{project_id}/datauploads"
ONE = "GET /api/v1/api/projects/{team_id}/{project_id}/datauploads/{upload_id}"


def write_spec(directory: Path, base: str) -> Path:
    lines = ["version: 1", "providers:"]
    for project in (1, 2):
        lines.append(
            f"  alviss.p{project}: {{endpoint: '{base}/api/v1/api', token: '${{env:ALVISS_TOKEN}}', "
            f"team: 1, project: {project}}}"
        )
    lines.append("resources:")
    (directory / "data").mkdir(exist_ok=True)
    for project in (1, 2):
        for number in range(3):
            name = f"p{project}_u{number}"
            (directory / "data" / f"{name}.csv").write_text(
                f"Country,Region,Grouping,Date,Product,UnitsSold,Price\nSWE,all,all,2026-11-23,A,{number},1\n"
            )
            lines.append(
                f"  alviss.upload.{name}: {{provider: alviss.p{project}, dataset_name: Sales, "
                f"file: data/{name}.csv}}"
            )
    spec = directory / "bulk.yaml"
    spec.write_text("\n".join(lines) + "\n")
    return spec


def requests(base: str) -> dict[str, int]:
    stats: dict[str, Any] = httpx.get(f"{base}/_emulator/stats", timeout=10).json()
    counts: dict[str, int] = stats["requests"]
    return counts


def reset(base: str) -> None:
    httpx.delete(f"{base}/_emulator/stats", timeout=10)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ALVISS_TOKEN", TOKEN)
    return tmp_path


@pytest.mark.parametrize("variant", ["full", "documented"])
def test_a_no_op_plan_reads_one_list_per_project_where_the_platform_lists(
    project: Path, variant: str
) -> None:
    with served_emulator("alviss", data_dir=project / "world", token=TOKEN, variant=variant) as base:
        spec = write_spec(project, base)
        code, output = run("apply", str(spec), "--auto-approve")
        assert code == 0, output[-2000:]
        reset(base)
        code, output = run("plan", str(spec), "--detailed-exitcode")
        assert (code, output.splitlines()[0]) == (0, "No changes. The live platforms match the spec.")
        sent = requests(base)
    if variant == "full":
        assert (sent.get(LIST), sent.get(ONE, 0)) == (2, 0)
    else:  # no list served (tried once per project), so each upload is read on its own
        assert sent == {ONE: 6}  # the unserved lists (404) are not counted by the emulator


def test_an_upload_missing_from_the_list_is_read_and_planned_again_only_when_gone(project: Path) -> None:
    with served_emulator("alviss", data_dir=project / "world", token=TOKEN) as base:
        spec = write_spec(project, base)
        assert run("apply", str(spec), "--auto-approve")[0] == 0
        state_file = project / "state" / "bulk.json"
        state = json.loads(state_file.read_text())
        state["resources"]["alviss.upload.p1_u0"]["outputs"]["upload_id"] = 9999  # nothing has that id
        state_file.write_text(json.dumps(state))
        reset(base)
        code, output = run("plan", str(spec), "--detailed-exitcode")
        sent = requests(base)
    assert code == 2, output
    assert "alviss.upload.p1_u0" in output
    assert "gone" in output
    assert sent.get(ONE) == 2  # the object's own read, twice (two 404s), for that one upload only


def test_hashes_are_remembered_and_rehash_is_accepted(project: Path) -> None:
    with served_emulator("alviss", data_dir=project / "world", token=TOKEN) as base:
        spec = write_spec(project, base)
        assert run("apply", str(spec), "--auto-approve")[0] == 0
        cache = project / "state" / ".reconciler" / "file-hashes.json"  # beside the state
        assert sorted(Path(name).name for name in json.loads(cache.read_text())["files"]) == sorted(
            f"p{project}_u{number}.csv" for project in (1, 2) for number in range(3)
        )
        for command in (("plan", "--rehash"), ("plan", "-rehash"), ("drift", "--rehash")):
            code, output = run(command[0], str(spec), *command[1:])
            assert code == 0, output
        # Same size, new content: planned as a change, cache or not.
        data = project / "data" / "p2_u1.csv"
        data.write_text(data.read_text().replace(",1,1\n", ",7,1\n"))
        code, output = run("plan", str(spec), "--detailed-exitcode")
        assert code == 2, output
        assert "alviss.upload.p2_u1" in output
