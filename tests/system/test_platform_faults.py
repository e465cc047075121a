"""Akkio, Sony EPA and Datrics under injected faults: apply converges with no duplicate jobs; failures taint.

Each run serves a fresh emulator world over real HTTP with its own fault seed
(rate 0.2), points the platform's example spec at it (keys from the
environment), applies at most three times until the plan is empty, and reads
``/_emulator/stats`` to check that every expensive job ran exactly once.

The fault kinds differ where a platform gives a client no way to find out
what an unanswered call did; there a duplicate is the platform's limit, not
the reconciler's, and the kinds are restricted to those that cannot cause it:

* **Sony EPA**: every kind.  A lost upload-URL request leaves a job that never
  receives data (``waiting`` forever, no retrain); a lost PUT is found again
  by reading the recorded job's status.  So ``retrain_started`` counts jobs.
* **Datrics**: every kind but ``lost``.  Tasks cannot be listed, so a task
  whose answer was lost cannot be looked up and is sent again (the prediction
  runs twice).  5xx answered before the route, 429 and dropped connections
  queue nothing, so with those a resend never duplicates.
* **Akkio**: only ``429`` for the whole spec.  Adding rows to a dataset is not
  idempotent and the legacy API cannot tell how many rows a dataset holds, so
  a row batch without an answer (5xx, drop or lost alike: the client cannot
  tell them apart) makes the provider fill a fresh dataset.  Trainings are
  never repeated, though: a second test retrains an applied spec under every
  fault kind and finds exactly one new training (a resent request goes out
  with ``force: false``, and the platform answers its earlier, finished task).
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.emulators.faults import KINDS, Faults
from reconciler.providers.base import ClientOptions
from reconciler.workflow import Settings, Workspace
from tests.served import served_emulator
from tests.support import REPO, no_wait

SEEDS = range(5)
AKKIO_KEY = "reliability-akkio-key"
DATRICS_SECRET = "reliability-datrics-secret-0123456789abcdef"
ENVIRON = {
    "AKKIO_API_KEY": AKKIO_KEY,
    "SONY_CHURN_KEY": "reliability-sony-churn-key",
    "SONY_DEMAND_KEY": "reliability-sony-demand-key",
    "DATRICS_SECRET": DATRICS_SECRET,
}


@dataclass(frozen=True)
class Platform:
    """One platform's example spec, how to point it at a served emulator, and the faults it meets."""

    emulator: str
    spec: str
    token: str | None
    endpoints: dict[str, str]  # provider instance → the credential line it gets, under its endpoint
    api_path: str
    kinds: tuple[str, ...]
    failing: tuple[str, ...]  # the resources a failed platform job taints


AKKIO = Platform(
    "akkio", "akkio-leads.yaml", AKKIO_KEY, {"akkio": "api_key: ${env:AKKIO_API_KEY}"}, "/api/v1",
    ("429",), ("akkio.model.positive_lead",),
)  # fmt: skip
SONY = Platform(
    "sony_epa", "sony-retrain.yaml", None,
    {"sony_epa.churn": "api_key: ${env:SONY_CHURN_KEY}",
     "sony_epa.demand": "api_key: ${env:SONY_DEMAND_KEY}"},
    "/v1/external", KINDS, ("sony_epa.retrain.churn", "sony_epa.retrain.demand"),
)  # fmt: skip
DATRICS = Platform(
    "datrics", "datrics-scoring.yaml", DATRICS_SECRET,
    {"datrics": "secret: ${env:DATRICS_SECRET}"}, "/api/v1",
    tuple(kind for kind in KINDS if kind != "lost"),
    ("datrics.predictions.credit_applications", "datrics.predictions.passengers"),
)  # fmt: skip
PLATFORMS = {platform.emulator: platform for platform in (AKKIO, SONY, DATRICS)}


def against(root: Path, platform: Platform, base: str) -> Path:
    """A copy of specs/ under ``root`` whose spec for ``platform`` talks to the emulator at ``base``."""
    shutil.copytree(REPO / "specs", root / "specs", dirs_exist_ok=True)
    spec = root / "specs" / platform.spec
    text = spec.read_text()
    for instance, credential in platform.endpoints.items():
        block = re.compile(
            rf"(\n  {re.escape(instance)}:\n    )endpoint: emulator://{platform.emulator}[^\n]*"
        )
        text, found = block.subn(rf"\1endpoint: {base}{platform.api_path}\n    {credential}", text)
        assert found == 1, instance
    spec.write_text(text)
    return spec


def stats(base: str) -> dict[str, Any]:
    body: dict[str, Any] = httpx.get(f"{base}/_emulator/stats", timeout=10).json()
    return body


def converged(platform: str, found: dict[str, Any]) -> dict[str, int]:
    """The counts that would show a duplicate job, from the emulator's stats."""
    objects = found["objects"]
    if platform == "akkio":
        return {kind: objects[kind] for kind in ("dataset", "task", "model")}
    if platform == "sony_epa":
        return {"retrain_started": objects["retrain_started"], "switch": objects["switch"]}
    return dict(objects)


EXPECTED = {
    "akkio": {"dataset": 1, "task": 1, "model": 1},
    "sony_epa": {"retrain_started": 2, "switch": 1},  # the demand model is not switched (switch: false)
    "datrics": {"prediction_task": 2},
}
SETTINGS = Settings(environ=ENVIRON, client=ClientOptions(sleep=no_wait))


async def converge(spec: Path) -> None:
    for _ in range(3):
        await Workspace(spec, settings=SETTINGS).apply()
        if not (await Workspace(spec, settings=SETTINGS).plan()).plan.has_changes:
            return
    pytest.fail(f"{spec.name}: still changes after three applies")


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", list(PLATFORMS))
async def test_apply_converges_under_faults_with_no_duplicate_jobs(
    tmp_path: Path, name: str, seed: int
) -> None:
    platform = PLATFORMS[name]
    faults = Faults(rate=0.2, seed=seed, kinds=platform.kinds)
    with served_emulator(name, data_dir=tmp_path / "world", token=platform.token, faults=faults) as base:
        spec = against(tmp_path, platform, base)
        await converge(spec)
        found = stats(base)
        assert converged(name, found) == EXPECTED[name]
        assert sum(found["faults"].values()) > 0, "the run met no fault at all: the test would prove nothing"


@pytest.mark.parametrize("seed", SEEDS)
async def test_an_akkio_retrain_under_every_fault_kind_trains_once(tmp_path: Path, seed: int) -> None:
    await retrain_under(tmp_path, Faults(rate=0.2, seed=seed))


async def test_a_lost_akkio_training_request_is_resent_and_answered_with_the_same_task(
    tmp_path: Path,
) -> None:
    """Seed 22 loses the answer to the training request (more than once): each resend trains nothing new."""
    found = await retrain_under(tmp_path, Faults(rate=0.25, seed=22, kinds=("lost",)))
    assert found["requests"]["POST /api/v1/models/train/new"] >= 1 + 3  # one clean run, then resends


async def retrain_under(tmp_path: Path, faults: Faults) -> dict[str, Any]:
    """Apply the Akkio spec cleanly, then retrain it (a new duration) with ``faults``; the stats."""
    world = tmp_path / "world"
    with served_emulator("akkio", data_dir=world, token=AKKIO_KEY) as base:
        spec = against(tmp_path, AKKIO, base)
        await converge(spec)
    with served_emulator("akkio", data_dir=world, token=AKKIO_KEY, faults=faults) as base:
        spec = against(tmp_path, AKKIO, base)
        spec.write_text(spec.read_text().replace("duration: 60", "duration: 300"))
        await converge(spec)
        found = stats(base)
    assert converged("akkio", found) == {"dataset": 1, "task": 2, "model": 2}
    assert sum(found["faults"].values()) > 0, "the run met no fault at all: the test would prove nothing"
    model = Workspace(spec, settings=SETTINGS).state().resources["akkio.model.positive_lead"]
    assert model.inputs["duration"] == 300
    return found


@pytest.mark.parametrize("name", list(PLATFORMS))
async def test_a_failed_job_taints_with_the_platforms_message(tmp_path: Path, name: str) -> None:
    platform = PLATFORMS[name]
    faults = Faults(job_failure_rate=1.0, seed=9)
    with served_emulator(name, data_dir=tmp_path / "world", token=platform.token, faults=faults) as base:
        spec = against(tmp_path, platform, base)
        result = await Workspace(spec, settings=SETTINGS).apply()
        failed = {address for address, outcome in result.report.outcomes.items() if outcome == "failed"}
        assert failed == set(platform.failing)
        records = Workspace(spec, settings=SETTINGS).state().resources
        for address in platform.failing:
            assert "injected failure (seed 9)" in result.report.messages[address]
            assert records[address].status == "tainted"
            assert "injected failure (seed 9)" in (records[address].error or "")
        replanned = (await Workspace(spec, settings=SETTINGS).plan()).plan
        retried = {change.address: " ".join(change.reasons) for change in replanned.actionable}
        assert set(retried) == set(platform.failing)
        assert all("injected failure (seed 9)" in reason for reason in retried.values())
