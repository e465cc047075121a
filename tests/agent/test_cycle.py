"""One cycle of one workspace in each ``--apply`` mode, against the in-process emulator (no waiting)."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime
from pathlib import Path

from reconciler.agent import approval
from reconciler.agent.cycle import CycleResult, CycleSettings, plan_file_for, run_cycle
from reconciler.agent.options import ApplyMode
from tests.support import Demo, mutating

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


async def cycle(demo: Demo, mode: ApplyMode, **settings: object) -> CycleResult:
    jobs: list[tuple[str, str, str, float]] = []
    values = {
        "mode": mode,
        "agent": "host:1",
        "now": lambda: NOW,
        "on_job": lambda *args: jobs.append(args),
        **settings,
    }
    result = await run_cycle(
        demo.workspace(),
        name="demo",
        spec_path=demo.spec,
        settings=CycleSettings(**values),  # type: ignore[arg-type]
        stop=asyncio.Event(),
    )
    object.__setattr__(result, "jobs", jobs)  # for the tests' eyes only
    return result


async def test_never_plans_and_sends_nothing(demo: Demo) -> None:
    result = await cycle(demo, "never")
    run = result.run
    assert (run.kind, run.outcome, run.drift) == ("plan", "changes", "spec")
    assert run.plan_summary == {"create": 2, "update": 1}
    assert run.apply_summary == {} and run.agent == "host:1" and run.workspace == "demo"
    assert result.plan is not None and result.spec is not None and result.planned_at == NOW
    assert mutating(await demo.stats()) == 0


async def test_auto_applies_then_finds_nothing_to_do(demo: Demo) -> None:
    result = await cycle(demo, "auto")
    run = result.run
    assert (run.kind, run.outcome, run.drift) == ("apply", "applied", "spec")
    assert run.apply_summary == {"done": 3} and run.failures == {}
    assert result.state is not None and len(result.state.resources) == 3
    ended = {(platform, kind, outcome) for platform, kind, outcome, _ in result.jobs}  # type: ignore[attr-defined]
    assert ("alviss", "upload", "done") in ended
    sent = mutating(await demo.stats())

    again = await cycle(demo, "auto")
    assert (again.run.kind, again.run.outcome, again.run.drift) == ("plan", "in_sync", "in_sync")
    assert mutating(await demo.stats()) == sent


async def test_approved_waits_for_the_approval_of_the_saved_plan(demo: Demo) -> None:
    plan_file = plan_file_for("demo", demo.spec, None)
    assert plan_file == demo.root / "specs" / "plans" / "demo.plan"

    first = await cycle(demo, "approved")
    assert (first.run.outcome, first.run.plan_file) == ("changes", str(plan_file))
    saved_bytes = plan_file.read_bytes()
    second = await cycle(demo, "approved")  # not approved: the same plan, left as it was
    assert second.run.outcome == "changes" and plan_file.read_bytes() == saved_bytes
    assert mutating(await demo.stats()) == 0

    approval.approve(plan_file, now=NOW, who="ann@desk")
    applied = await cycle(demo, "approved")
    assert (applied.run.kind, applied.run.outcome) == ("apply", "applied")
    assert not plan_file.exists() and not approval.approval_path(plan_file).exists()
    after = await cycle(demo, "approved")
    assert after.run.outcome == "in_sync" and not plan_file.exists()


async def test_an_approved_plan_that_went_stale_is_withdrawn_not_applied(demo: Demo) -> None:
    plan_file = plan_file_for("demo", demo.spec, demo.root / "waiting")
    await cycle(demo, "approved", plan_dir=demo.root / "waiting")
    approval.approve(plan_file)
    demo.data("sales_w47.csv").write_text(
        demo.data("sales_w47.csv").read_text() + "NOR,all,all,2026-11-23,Zero,1,9.9\n"
    )

    stale = await cycle(demo, "approved", plan_dir=demo.root / "waiting")
    assert (stale.run.kind, stale.run.outcome) == ("apply", "error")
    assert stale.run.error is not None and "no longer matches" in stale.run.error
    assert not plan_file.exists()
    assert mutating(await demo.stats()) == 0
    fresh = await cycle(demo, "approved", plan_dir=demo.root / "waiting")
    assert fresh.run.outcome == "changes" and plan_file.exists()
    assert approval.approval_of(plan_file) is None


async def test_a_new_plan_replaces_the_waiting_one_and_its_approval(demo: Demo) -> None:
    plan_file = plan_file_for("demo", demo.spec, None)
    await cycle(demo, "approved")
    old = plan_file.read_bytes()
    approval.approval_path(plan_file).write_text(
        '{"plan_sha256": "0", "approved_at": "2026-12-01T00:00:00+00:00"}'
    )
    assert approval.approval_of(plan_file) is None  # an approval of other bytes is none
    demo.data("media_w47.csv").write_text(demo.data("media_w47.csv").read_text() + "\n")
    await cycle(demo, "approved")
    assert plan_file.read_bytes() != old
    assert not approval.approval_path(plan_file).exists()


async def test_never_still_resumes_jobs_an_apply_left_running(demo: Demo) -> None:
    clock = [1_000.0]
    durations = {"alviss": {**demo.settings.emulator_durations["alviss"], "upload": 60.0}}  # type: ignore[index]
    demo.settings = dataclasses.replace(
        demo.settings, emulator_durations=durations, emulator_clock=lambda: clock[0]
    )
    await demo.workspace().apply(detach=True)
    assert demo.state()["resources"]["alviss.upload.sales_w47"]["status"] == "pending"
    clock[0] += 120  # the uploads are done by now
    sent = mutating(await demo.stats())

    result = await cycle(demo, "never")
    run = result.run
    assert run.kind == "apply" and run.apply_summary == {"done": 2}
    assert run.plan_summary == {"resume": 2, "update": 1}  # the whole plan: the dataset still waits
    assert mutating(await demo.stats()) == sent  # resuming sends nothing
    assert demo.state()["resources"]["alviss.upload.sales_w47"]["status"] == "ready"


async def test_a_broken_spec_is_an_error_on_the_record(demo: Demo) -> None:
    demo.spec.write_text(demo.spec.read_text().replace("dataset_name: Sales", "dataset_name: [Sales"))
    result = await cycle(demo, "auto")
    run = result.run
    assert (run.kind, run.outcome, run.drift) == ("plan", "error", None)
    assert run.error is not None and "demo.yaml:" in run.error
    assert result.plan is None


def test_plan_files_are_named_safely(tmp_path: Path) -> None:
    assert plan_file_for("team a/ws:1", tmp_path / "s.yaml", tmp_path / "p").name == "team_a_ws_1.plan"


async def test_approved_resumes_without_approval_and_saves_the_rest_for_it(demo: Demo) -> None:
    clock = [1_000.0]
    durations = {"alviss": {**demo.settings.emulator_durations["alviss"], "upload": 60.0}}  # type: ignore[index]
    demo.settings = dataclasses.replace(
        demo.settings, emulator_durations=durations, emulator_clock=lambda: clock[0]
    )
    await demo.workspace().apply(detach=True, targets=["alviss.upload.sales_w47", "alviss.upload.media_w47"])
    clock[0] += 120
    sent = mutating(await demo.stats())

    result = await cycle(demo, "approved")
    run = result.run
    assert (run.kind, run.outcome) == ("apply", "changes")
    assert run.apply_summary == {"done": 2}
    assert run.plan_summary == {"update": 1}  # what waits for approval: the new active dataset
    plan_file = plan_file_for("demo", demo.spec, None)
    assert run.plan_file == str(plan_file) and plan_file.exists()
    assert mutating(await demo.stats()) == sent
    assert not list(plan_file.parent.glob(".agent-*"))  # no temporary plan left behind
