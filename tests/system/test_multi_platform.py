"""``specs/multi-platform.yaml``: four platforms in one spec and one state, applied side by side.

Applied against the in-process emulators (every job instant), the spec makes
exactly one object per resource on each platform; the next plan is empty and
neither that plan nor a second apply sends a single mutating request to any
platform.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler import emulators, platforms
from reconciler.providers.base import ClientOptions
from reconciler.workflow import Settings, Workspace
from tests.support import REPO, no_wait

SPEC = "multi-platform.yaml"


async def all_stats(world: Path) -> dict[str, dict[str, Any]]:
    """``/_emulator/stats`` of each platform whose world lives in ``world``."""
    found = {}
    for name in platforms.NAMES:
        app = emulators.create_app(name, data_dir=world)
        try:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://e") as client:
                found[name] = (await client.get("/_emulator/stats")).json()
        finally:
            app.state.store.close()
    return found


def mutating(stats: dict[str, dict[str, Any]]) -> dict[str, int]:
    return {
        name: sum(count for route, count in one["requests"].items() if not route.startswith("GET "))
        for name, one in stats.items()
    }


@pytest.fixture
def spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "specs" / SPEC


def settings(world: Path) -> Settings:
    return Settings(
        environ={},
        emulator_dir=world,
        emulator_durations={
            name: dict.fromkeys(emulators.plugin(name).job_kinds, 0.0) for name in platforms.NAMES
        },
        client=ClientOptions(sleep=no_wait),
    )


async def test_four_platforms_converge_and_then_nothing_is_sent(spec: Path, tmp_path: Path) -> None:
    world = tmp_path / "emulators"
    first = await Workspace(spec, settings=settings(world)).apply()
    assert first.report.ok, first.report.messages
    assert {change.address.split(".")[0] for change in first.plan.actionable} == set(platforms.NAMES)
    assert len(first.report.outcomes) == 7

    applied = await all_stats(world)
    assert applied["alviss"]["projects"]["1/3"]["upload"] == 2 + 2  # the project's default world, plus two
    assert applied["alviss"]["projects"]["1/3"]["dataset"] == 1 + 1
    assert {
        kind: applied["akkio"]["objects"][kind] for kind in ("dataset", "task", "model")
    } == dict.fromkeys(("dataset", "task", "model"), 1)
    assert applied["sony_epa"]["objects"]["retrain_started"] == 1
    assert applied["sony_epa"]["objects"]["switch"] == 1
    assert applied["datrics"]["objects"] == {"prediction_task": 1}
    assert all(count > 0 for count in mutating(applied).values())
    assert (tmp_path / "predictions" / "multi-platform" / "credit_scores.json").exists()

    planned = await Workspace(spec, settings=settings(world)).plan()
    assert not planned.plan.has_changes, [change.address for change in planned.plan.actionable]
    again = await Workspace(spec, settings=settings(world)).apply()
    assert not again.plan.has_changes
    assert mutating(await all_stats(world)) == mutating(applied)
