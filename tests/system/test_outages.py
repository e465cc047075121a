"""The world outside the lab: an outage while polling, garbled answers to creating calls.

Each test runs the weekly refresh (or the demo) against the in-process Alviss
emulator on one fake clock shared by the emulator and the client, so a minute
of outage passes in milliseconds, and counts the objects the emulator holds:
whatever the platform does, no expensive job is submitted twice.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.responses import JSONResponse

from reconciler import emulators
from reconciler.emulators.faults import ANSWER_KINDS, Faults
from reconciler.providers.base import ClientOptions
from reconciler.vocabulary import Action
from reconciler.workflow import Settings, Workspace
from tests.support import REPO, Demo, mutating

KINDS = ("upload", "dataset", "model", "attribution", "attribution_set")
#: One market's project after one weekly refresh: the default world plus one of each job.
ONE_OF_EACH = {"upload": 4, "dataset": 2, "model": 3, "attribution": 3, "attribution_set": 2}
PREFIX = "/api/v1/api/projects/{team_id}/{project_id}"


class FakeTime:
    """One clock for the emulator and the client; sleeping moves it on."""

    def __init__(self) -> None:
        # Now, as the state's write-ahead records are stamped with the real time and a lost create
        # is matched by the platform's creation time.
        self.now = time.time()

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


def faulty(demo: Demo, faults: Faults, *, durations: dict[str, float] | None = None) -> tuple[Demo, FakeTime]:
    clock = FakeTime()
    jobs = dict.fromkeys(emulators.JOB_KINDS["alviss"], 0.0) | (durations or {})
    settings = replace(
        demo.settings,
        emulator_clock=clock.clock,
        emulator_faults=faults,
        emulator_durations={"alviss": jobs},
        client=ClientOptions(sleep=clock.sleep, clock=clock.clock, random=lambda: 0.5),
    )
    return Demo(root=demo.root, settings=settings, name=demo.name), clock


async def held(demo: Demo) -> dict[str, dict[str, int]]:
    stats = await demo.stats()
    return {project: {kind: stats["projects"][project][kind] for kind in KINDS} for project in ("1/1", "1/2")}


@pytest.mark.parametrize(
    ("after", "job"),
    [(f"POST {PREFIX}/models/{{model_id}}/refit", "refit"), (f"POST {PREFIX}/datauploads", "upload")],
    ids=["after a refit", "after an upload"],
)
async def test_a_minute_of_failed_status_polls_is_ridden_out(weekly: Demo, after: str, job: str) -> None:
    space, _ = faulty(weekly, Faults(outage=60.0, outage_after=after), durations={job: 90.0})
    result = await space.workspace().apply()
    assert result.report.ok, result.report.messages
    stats = await space.stats()
    assert stats["faults"].get("outage", 0) > 8  # more failed polls than one request's retries
    assert await held(space) == {"1/1": ONE_OF_EACH, "1/2": ONE_OF_EACH}
    again = await space.workspace().apply()
    assert not again.plan.has_changes
    assert mutating(await space.stats()) == mutating(stats)


async def test_a_longer_outage_keeps_the_job_recorded_and_the_next_apply_resumes_it(weekly: Demo) -> None:
    after = f"POST {PREFIX}/models/{{model_id}}/refit"
    space, fake = faulty(weekly, Faults(outage=4 * 3600.0, outage_after=after), durations={"refit": 60.0})
    first = await space.workspace().apply()
    assert not first.report.ok
    message = first.report.messages["module.market[se].alviss.refit.weekly"]
    assert message.startswith("still running, unknown: ")
    assert "HTTP 503" in message
    record = space.state()["resources"]["module.market[se].alviss.refit.weekly"]
    assert record["status"] != "tainted"
    assert record["pending"]["job_id"] is not None
    assert first.report.outcomes["module.market[se].alviss.attribution.weekly"] == "skipped"

    fake.now += 4 * 3600.0  # the platform is back
    plan = await space.workspace().plan()
    assert plan.plan["module.market[se].alviss.refit.weekly"].action is Action.RESUME
    second = await space.workspace().apply()
    assert second.report.ok, second.report.messages
    assert await held(space) == {"1/1": ONE_OF_EACH, "1/2": ONE_OF_EACH}


CREATING_CALLS = [
    f"POST {PREFIX}/datauploads",
    f"POST {PREFIX}/datasets",
    f"POST {PREFIX}/models/{{model_id}}/refit",
    f"POST {PREFIX}/attributions",
    f"POST {PREFIX}/attributionset_align_dates",
]


@pytest.mark.parametrize("kind", ANSWER_KINDS)
@pytest.mark.parametrize("call", CREATING_CALLS, ids=lambda call: call.rsplit("/", 1)[-1])
async def test_a_garbled_answer_to_a_creating_call_is_looked_up_not_repeated(
    weekly: Demo, call: str, kind: str
) -> None:
    space, _ = faulty(weekly, Faults(rate=1.0, kinds=(kind,), only=call))
    result = await space.workspace().apply()
    stats = await space.stats()
    assert stats["faults"].get(kind, 0) >= 2  # each market's call was garbled
    if not result.report.ok:  # a call that could not be looked up stays recorded for the next run
        result = (
            await replace(space, settings=replace(space.settings, emulator_faults=None)).workspace().apply()
        )
        assert result.report.ok, result.report.messages
    assert await held(space) == {"1/1": ONE_OF_EACH, "1/2": ONE_OF_EACH}


STATUS = {
    "akkio": "GET /api/v1/models/train/{task_id}/status",
    "sony_epa": "GET /v1/external/retrain_jobs/{retrain_job_id}",
    "datrics": "GET /api/v1/proxy/pipeline/model/predict/info/{task_id}",
}


async def platform_stats(world: Path, name: str) -> dict[str, Any]:
    app = emulators.create_app(name, data_dir=world)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://e") as client:
            body: dict[str, Any] = (await client.get("/_emulator/stats")).json()
            return body
    finally:
        app.state.store.close()


@pytest.mark.parametrize(
    ("spec", "name", "after", "jobs"),
    [
        ("akkio-leads.yaml", "akkio", "POST /api/v1/models/train/new", {"task": 1, "model": 1}),
        ("sony-retrain.yaml", "sony_epa", "PUT /_uploads", {"retrain_started": 2}),
        (
            "datrics-scoring.yaml",
            "datrics",
            "POST /api/v1/proxy/pipeline/model/predict",
            {"prediction_task": 2},
        ),
    ],
    ids=["akkio", "sony_epa", "datrics"],
)
async def test_every_platform_rides_out_a_minute_of_failed_polls(
    tmp_path: Path, spec: str, name: str, after: str, jobs: dict[str, int]
) -> None:
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    fake = FakeTime()
    world = tmp_path / "emulators"
    settings = Settings(
        environ={},
        emulator_dir=world,
        emulator_durations={name: dict.fromkeys(emulators.JOB_KINDS[name], 90.0)},
        emulator_clock=fake.clock,
        # The status polls are down; the platform's other pages stay up (a new job's upload URL, say).
        emulator_faults=Faults(outage=60.0, outage_after=after, outage_on=STATUS[name]),
        client=ClientOptions(sleep=fake.sleep, clock=fake.clock, random=lambda: 0.5),
    )
    space = Workspace(tmp_path / "specs" / spec, settings=settings)
    first = await space.apply()
    assert first.report.ok, first.report.messages
    applied = await platform_stats(world, name)
    assert applied["faults"].get("outage", 0) > 8  # more failed polls than one request's retries
    assert {kind: applied["objects"][kind] for kind in jobs} == jobs
    fake.now += 120.0
    again = await space.apply()
    assert not again.plan.has_changes
    after_again = await platform_stats(world, name)
    assert {kind: after_again["objects"][kind] for kind in jobs} == jobs


async def test_a_token_rejected_while_waiting_keeps_the_job_for_the_next_run(
    weekly: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The refit is submitted, then its status page says 401: the job stays recorded, nothing is resent."""
    create_app = emulators.create_app
    refits: list[str] = []

    def rejecting(name: str, **options: Any) -> Any:
        app = create_app(name, **options)

        async def wrapper(scope: Any, receive: Any, send: Any) -> None:
            path = str(scope.get("path", ""))
            if scope["type"] == "http" and scope["method"] == "POST" and path.endswith("/refit"):
                refits.append(path)
            elif refits and scope["type"] == "http" and scope["method"] == "GET" and "/models/" in path:
                await JSONResponse({"detail": "Invalid token"}, status_code=401)(scope, receive, send)
                return
            await app(scope, receive, send)

        wrapper.state = app.state  # type: ignore[attr-defined]
        return wrapper

    monkeypatch.setattr(emulators, "create_app", rejecting)
    first = await weekly.workspace().apply()
    monkeypatch.setattr(emulators, "create_app", create_app)
    assert first.report.messages["module.market[se].alviss.refit.weekly"].startswith(
        "still running, unknown: "
    )
    assert "token rejected (HTTP 401)" in first.report.messages["module.market[se].alviss.refit.weekly"]
    record = weekly.state()["resources"]["module.market[se].alviss.refit.weekly"]
    assert record["status"] != "tainted" and record["pending"]["job_id"] is not None

    plan = await weekly.workspace().plan()
    assert plan.plan["module.market[se].alviss.refit.weekly"].action is Action.RESUME
    second = await weekly.workspace().apply()
    assert second.report.ok, second.report.messages
    assert await held(weekly) == {"1/1": ONE_OF_EACH, "1/2": ONE_OF_EACH}
