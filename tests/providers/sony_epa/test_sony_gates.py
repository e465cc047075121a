"""Quality gates on a Sony EPA retrain: one that misses its accuracy gate is not switched to.

The results file behind the status check's ``download_url`` reports an
accuracy (INFERRED; the emulator's grows with the training rows): a retrain
on ten rows misses ``at_least: 0.8``, so the model's API keeps serving the old
model; on forty rows it passes and the API is switched to it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from reconciler import emulators
from reconciler.providers.base import ClientOptions
from reconciler.workflow import Settings, Workspace
from tests.support import no_wait

SPEC = """\
version: 1
state: {backend: local, path: state.json}
providers:
  sony_epa.churn: {endpoint: "emulator://sony_epa"}
resources:
  sony_epa.retrain.churn:
    provider: sony_epa.churn
    train_file: train.csv
    checks: [{metric: accuracy, at_least: 0.8}]
"""
ADDRESS = "sony_epa.retrain.churn"


def rows(count: int) -> str:
    return "customer_id,tenure,churned\n" + "".join(
        f"C{n:04},{n % 70},{'yes' if n % 4 else 'no'}\n" for n in range(count)
    )


async def switches(world: Path) -> int:
    """How many model switches the emulator has made."""
    app = emulators.create_app("sony_epa", data_dir=world)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://e") as client:
            stats = (await client.get("/_emulator/stats")).json()
    finally:
        app.state.store.close()
    return int(stats["objects"].get("switch", 0))


def workspace(spec: Path, world: Path) -> Workspace:
    return Workspace(
        spec,
        settings=Settings(
            environ={},
            emulator_dir=world,
            emulator_durations={
                name: dict.fromkeys(kinds, 0.0) for name, kinds in emulators.JOB_KINDS.items()
            },
            client=ClientOptions(sleep=no_wait),
        ),
    )


def test_a_retrain_missing_its_gate_is_not_switched_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    (tmp_path / "train.csv").write_text(rows(10))
    world = tmp_path / "emulators"

    first = asyncio.run(workspace(spec, world).apply())
    assert first.report.outcomes[ADDRESS] == "rejected"
    assert (
        first.report.messages[ADDRESS]
        == "rejected by its checks: accuracy is 0.7167, below 0.8 (at_least) by 0.0833"
    )
    assert asyncio.run(switches(world)) == 0  # the API still serves the old model

    again = asyncio.run(workspace(spec, world).plan())
    [change] = again.plan.rejected
    assert change.address == ADDRESS and not again.plan.has_changes

    (tmp_path / "train.csv").write_text(rows(40))
    fixed = asyncio.run(workspace(spec, world).apply())
    assert fixed.report.ok, fixed.report.messages
    assert asyncio.run(switches(world)) == 1  # switched to the retrained model
    assert not asyncio.run(workspace(spec, world).plan()).plan.has_changes
