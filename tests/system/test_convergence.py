"""Every example spec, whatever platforms it uses, against every emulator variant: apply converges, and
the next apply sends nothing.

This is the promise every resource type must keep, present and future
("after applying this step, the plan was not empty" must never happen): it
runs over every file in ``specs/`` against the in-process emulators, with
every job instant, and checks each emulator's request counts.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from reconciler import emulators
from reconciler.providers.base import ClientOptions
from reconciler.providers.registry import PLATFORMS
from reconciler.spec.variables import VarInputs
from reconciler.workflow import Settings, Workspace
from tests.support import REPO, no_wait

SPECS = sorted(path.name for path in (REPO / "specs").glob("*.yaml"))
#: The var files an example spec is run with (its variables without a default).
VAR_FILES = {"many-markets.yaml": ("vars/30-markets.yaml",)}


def var_files(root: Path, spec_name: str) -> VarInputs:
    return VarInputs(files=tuple(str(root / "specs" / name) for name in VAR_FILES.get(spec_name, ())))


async def mutating_requests(data_dir: Path) -> int:
    """Non-GET requests answered so far by every emulator whose world lives in ``data_dir``."""
    total = 0
    for name in emulators.EMULATORS:
        app = emulators.create_app(name, data_dir=data_dir)
        try:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://e") as client:
                stats: dict[str, Any] = (await client.get("/_emulator/stats")).json()
        finally:
            app.state.store.close()
        total += sum(count for route, count in stats["requests"].items() if not route.startswith("GET "))
    return total


def test_every_resource_type_is_in_an_example_spec() -> None:
    """The tests below run every example spec: a resource type that none uses would never be converged."""
    used = set()
    for path in [*(REPO / "specs").glob("*.yaml"), *(REPO / "specs" / "modules").glob("*.yaml")]:
        resources = yaml.safe_load(path.read_text()).get("resources") or {}
        used |= {address.rsplit(".", 1)[0] for address in resources}
    registered = {name for platform in PLATFORMS.values() for name in platform.resource_types}
    assert registered - used == set(), "add a resource of each of these types to an example spec in specs/"


@pytest.mark.parametrize("variant", emulators.VARIANTS)
@pytest.mark.parametrize("spec_name", SPECS)
async def test_apply_then_nothing_to_do(
    tmp_path: Path, spec_name: str, variant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Against every emulator variant: ``documented`` serves only what the vendors' pages show and
    ``strict`` also refuses what they require, so a provider leaning on an INFERRED field, word or
    endpoint fails here."""
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    monkeypatch.chdir(tmp_path)
    world = tmp_path / "emulators"
    settings = Settings(
        environ={},
        emulator_dir=world,
        emulator_variant=variant,
        emulator_durations={name: dict.fromkeys(kinds, 0.0) for name, kinds in emulators.JOB_KINDS.items()},
        client=ClientOptions(sleep=no_wait),
        variables=var_files(tmp_path, spec_name),
    )
    spec = tmp_path / "specs" / spec_name
    first = await Workspace(spec, settings=settings).apply()
    assert first.report.ok, first.report.messages
    assert first.plan.has_changes
    sent = await mutating_requests(world)

    again = await Workspace(spec, settings=settings).apply()
    assert not again.plan.has_changes, [change.address for change in again.plan.actionable]
    assert await mutating_requests(world) == sent


@pytest.mark.parametrize("spec_name", SPECS)
async def test_detach_submits_records_and_the_next_plan_resumes(
    tmp_path: Path, spec_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every resource type waits through the same Waiter, so ``--detach`` leaves every job recorded."""
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    monkeypatch.chdir(tmp_path)
    settings = Settings(
        environ={},
        emulator_dir=tmp_path / "emulators",
        emulator_durations={name: dict.fromkeys(kinds, 600.0) for name, kinds in emulators.JOB_KINDS.items()},
        client=ClientOptions(sleep=no_wait),
        variables=var_files(tmp_path, spec_name),
    )
    spec = tmp_path / "specs" / spec_name
    result = await Workspace(spec, settings=settings).apply(detach=True)
    outcomes = set(result.report.outcomes.values())
    assert "failed" not in outcomes, result.report.messages
    assert "pending" in outcomes
    plan = (await Workspace(spec, settings=settings).plan()).plan
    assert any(change.action.value == "resume" for change in plan.changes)


@pytest.mark.parametrize("spec_name", SPECS)
async def test_saved_plan_applies_and_converges(
    tmp_path: Path, spec_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``plan -out FILE`` then ``apply FILE`` for every example: accepted, applied, then nothing to do."""
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    monkeypatch.chdir(tmp_path)
    world = tmp_path / "emulators"
    settings = Settings(
        environ={},
        emulator_dir=world,
        emulator_durations={name: dict.fromkeys(kinds, 0.0) for name, kinds in emulators.JOB_KINDS.items()},
        client=ClientOptions(sleep=no_wait),
        variables=var_files(tmp_path, spec_name),
    )
    spec = tmp_path / "specs" / spec_name
    plan_file = tmp_path / "plan.json"
    planned = await Workspace(spec, settings=settings).plan(out=plan_file)
    assert planned.plan.has_changes
    applied = await Workspace(spec, settings=settings).apply(plan_file=plan_file)
    assert applied.report.ok, applied.report.messages
    sent = await mutating_requests(world)

    again = await Workspace(spec, settings=settings).plan(out=plan_file)
    assert not again.plan.has_changes, [change.address for change in again.plan.actionable]
    still = await Workspace(spec, settings=settings).apply(plan_file=plan_file)
    assert not still.plan.has_changes
    assert await mutating_requests(world) == sent
