"""The scheduler in-process: a whole agent against the in-process emulator, on a fake clock at times."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime
from pathlib import Path

import httpx

from reconciler.agent import Agent, AgentOptions, Timing
from reconciler.state import LocalBackend
from reconciler.state.runs import RunRecord, recent_runs, record_run
from tests.support import Demo, mutating

T0 = 1_800_000_000.0


def options(**changes: object) -> AgentOptions:
    values: dict[str, object] = {
        "specs": ("specs/demo.yaml",),
        "apply": "auto",
        "port": 0,
        "interval": 100.0,
        **changes,
    }
    return AgentOptions(**values)  # type: ignore[arg-type]


def history(demo: Demo) -> list[RunRecord]:
    return recent_runs(LocalBackend(demo.state_file), limit=100)


async def test_once_runs_one_cycle_of_each_workspace_and_records_it(demo: Demo) -> None:
    urls: list[str] = []
    agent = Agent(options(once=True), settings=demo.settings, cwd=demo.root, on_serving=urls.append)
    assert await agent.run() == 0
    (run,) = history(demo)
    assert (run.kind, run.outcome, run.agent) == ("apply", "applied", agent.id)
    assert urls and urls[0].startswith("http://127.0.0.1:")
    assert "reconciler_workspace_drift" in agent.metrics.render().decode()


async def test_a_workspace_planned_by_another_agent_within_the_interval_is_left_to_it(demo: Demo) -> None:
    now = datetime.now(UTC)
    other = RunRecord(
        workspace="demo",
        kind="plan",
        started_at=now,
        finished_at=now,
        outcome="changes",
        drift="spec",
        agent="b:2",
    )
    record_run(LocalBackend(demo.state_file), other)
    agent = Agent(options(once=True), settings=demo.settings, cwd=demo.root)
    assert await agent.run() == 0
    assert [run.agent for run in history(demo)] == ["b:2"]
    assert mutating(await demo.stats()) == 0
    text = agent.metrics.render().decode()
    assert 'reconciler_workspace_drift{class="spec",workspace="demo"} 1.0' in text
    assert "reconciler_agent_cycles_total{" not in text  # not this agent's cycle


async def test_cycles_follow_the_jittered_interval_on_a_fake_clock(demo: Demo) -> None:
    clock = [T0]
    agent: Agent

    async def sleep(seconds: float) -> None:
        if agent._tasks:  # a cycle takes no time on this clock: let it finish first
            await asyncio.sleep(0.001)
            return
        clock[0] += seconds
        if clock[0] > T0 + 450:
            agent.stop.set()
        await asyncio.sleep(0)

    chances = iter([0.0, 1.0, 0.5] * 50)
    timing = Timing(clock=lambda: clock[0], sleep=sleep, random=lambda: next(chances))
    agent = Agent(options(interval=100.0, jitter=0.1), settings=demo.settings, cwd=demo.root, timing=timing)
    assert await agent.run() == 0
    starts = [run.started_at.timestamp() - T0 for run in reversed(history(demo))]
    assert len(starts) == 5, starts
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert all(90 <= gap <= 110 + 1.0 for gap in gaps), gaps  # the interval ±10 %, to a tick
    assert len({round(gap) for gap in gaps}) > 1  # jittered, not a fixed period


async def test_endpoints_while_running_and_a_broken_spec_beside_a_good_one(demo: Demo) -> None:
    broken = demo.root / "specs" / "broken.yaml"
    broken.write_text("version: 1\nresources: [\n")
    urls: list[str] = []
    agent = Agent(
        options(specs=("specs/demo.yaml", "specs/broken.yaml"), apply="never", interval=3600.0),
        settings=demo.settings,
        cwd=demo.root,
        on_serving=urls.append,
    )
    running = asyncio.create_task(agent.run())
    try:
        while not urls or not all(slot.cycles for slot in agent.slots):
            assert not running.done(), running
            await asyncio.sleep(0.02)
        async with httpx.AsyncClient(base_url=urls[0]) as http:
            assert (await http.get("/healthz")).status_code == 200
            assert (await http.get("/readyz")).status_code == 200
            metrics = (await http.get("/metrics")).text
            page = await http.get("/")
        assert 'reconciler_last_plan_outcome{outcome="changes",workspace="demo"} 1.0' in metrics
        assert 'reconciler_last_plan_outcome{outcome="error",workspace="broken"} 1.0' in metrics
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "demo" in page.text and "broken" in page.text
    finally:
        agent.stop.set()
        assert await asyncio.wait_for(running, 30) == 0
    assert not agent.health.ready


def test_the_agent_lock_file_sits_beside_the_state(demo: Demo, tmp_path: Path) -> None:
    asyncio.run(Agent(options(once=True, apply="never"), settings=demo.settings, cwd=demo.root).run())
    assert (demo.root / "state" / "demo.json.agent").exists()


async def test_each_spec_is_loaded_with_the_var_files_its_pattern_names(weekly: Demo) -> None:
    agent = Agent(
        options(
            specs=("specs/demo.yaml", "specs/weekly-refresh.yaml"),
            var_files=("weekly-refresh=specs/vars/30-markets.yaml",),
            apply="never",
            once=True,
        ),
        settings=weekly.settings,
        cwd=weekly.root,
    )
    assert await agent.run() == 0
    (weekly_run,) = recent_runs(LocalBackend(weekly.state_file), limit=5)
    (demo_run,) = history(Demo(root=weekly.root, settings=weekly.settings))
    assert weekly_run.outcome == "changes", weekly_run.error
    assert weekly_run.plan_summary["create"] >= 30 * 2  # thirty markets' uploads, not the default two
    assert demo_run.plan_summary == {"create": 2, "update": 1}  # the pattern left the demo alone
