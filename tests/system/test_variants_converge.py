"""Alviss without what the vendor never documented: what the provider does instead.

(That every example spec converges against each variant is checked with the
other convergence promises, in ``test_convergence.py``.)
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from reconciler import emulators
from reconciler.emulators.faults import Faults
from reconciler.providers.base import ClientOptions
from reconciler.workflow import Settings, Workspace
from tests.support import REPO, no_wait


async def test_without_list_endpoints_a_lost_create_answer_is_kept_not_repeated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """documented serves no list to look the dataset up in: the record stays, nothing is sent again."""
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    monkeypatch.chdir(tmp_path)
    world = tmp_path / "emulators"
    base = Settings(
        environ={},
        emulator_dir=world,
        emulator_variant="documented",
        emulator_durations={"alviss": dict.fromkeys(emulators.JOB_KINDS["alviss"], 0.0)},
        client=ClientOptions(sleep=no_wait),
    )
    lost = Faults(rate=1.0, kinds=("lost",), only="POST /api/v1/api/projects/{team_id}/{project_id}/datasets")
    spec = tmp_path / "specs" / "demo.yaml"
    first = await Workspace(spec, settings=replace(base, emulator_faults=lost)).apply()
    address = "alviss.active_dataset.main"
    assert first.report.outcomes[address] == "failed"
    assert "looked up" in first.report.messages[address]
    assert first.state.resources[address].pending is not None

    for _ in range(2):
        again = await Workspace(spec, settings=base).apply()
        assert again.report.outcomes[address] == "failed"
        assert "cannot be looked up" in again.report.messages[address]
        assert again.state.resources[address].pending is not None
    assert (await datasets(world)) == 2  # the seeded one and the one whose answer was lost


async def datasets(world: Path) -> int:
    app = emulators.create_app("alviss", data_dir=world)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://e") as client:
            count: int = (await client.get("/_emulator/stats")).json()["projects"]["1/1"]["dataset"]
            return count
    finally:
        app.state.store.close()
