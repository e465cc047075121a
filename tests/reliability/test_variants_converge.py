"""Every example spec converges against each emulator variant, and the next apply sends nothing.

``documented`` serves only what the vendors' pages show and ``strict`` also
refuses what they require; a provider that leans on an INFERRED field, word
or endpoint fails here.  The table says which (spec, variant) pairs are
promised: a platform's specs join it as its provider learns each variant.
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
from tests.reliability.test_convergence import mutating_requests
from tests.workflow.support import REPO, no_wait

#: (spec in specs/, variant) pairs that must converge with a quiet second apply.
CONVERGES: list[tuple[str, str]] = [
    (spec, variant)
    for spec in ("demo.yaml", "weekly-refresh.yaml", "multi-platform.yaml")
    for variant in emulators.VARIANTS
]


@pytest.mark.parametrize(("spec_name", "variant"), CONVERGES)
async def test_apply_converges_against_the_variant(
    tmp_path: Path, spec_name: str, variant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    monkeypatch.chdir(tmp_path)
    world = tmp_path / "emulators"
    settings = Settings(
        environ={},
        emulator_dir=world,
        emulator_variant=variant,
        emulator_durations={name: dict.fromkeys(kinds, 0.0) for name, kinds in emulators.JOB_KINDS.items()},
        client=ClientOptions(sleep=no_wait),
    )
    spec = tmp_path / "specs" / spec_name
    first = await Workspace(spec, settings=settings).apply()
    assert first.report.ok, first.report.messages
    assert first.plan.has_changes
    sent = await mutating_requests(world)

    again = await Workspace(spec, settings=settings).apply()
    assert not again.plan.has_changes, [(change.address, change.reasons) for change in again.plan.actionable]
    assert await mutating_requests(world) == sent


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
