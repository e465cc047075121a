"""Interruptions: SIGKILL at every stage, SIGINT once and twice, detach, a state that cannot be written.

The kill and interrupt tests run ``reconciler apply`` as a real subprocess
against an emulator served on loopback (so the emulator outlives the killed
process), the others go through the library.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler import errors
from reconciler.providers.base import ClientOptions
from reconciler.spec.names import parse_instance
from reconciler.state.document import StateDocument
from reconciler.state.local import LocalBackend
from reconciler.vocabulary import Action
from reconciler.workflow import Settings, Workspace
from tests.served import served_emulator
from tests.support import REPO, Demo
from tests.system.reported import Reported, event, kind_of, statuses_of
from tests.system.weekly_support import CONVERGED, PROJECTS, TOKEN, held, weekly_against

SHORT_JOBS = {
    "upload": 0.3,
    "dataset": 0.3,
    "refit": 0.8,
    "build": 0.8,
    "attribution": 0.5,
    "attribution_set": 0.3,
}


def start_apply(spec: Path, cwd: Path, *options: str) -> subprocess.Popen[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("RECONCILER_")}
    env.update(ALVISS_TOKEN=TOKEN, PYTHONPATH=str(REPO))
    return subprocess.Popen(
        [sys.executable, "-m", "reconciler", "apply", "--auto-approve", *options, str(spec)],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def state_of(spec: Path) -> StateDocument | None:
    path = spec.parent.parent / "state" / "weekly-refresh.json"
    if not path.exists():
        return None
    return StateDocument.model_validate(json.loads(path.read_text()))


#: The weekly chain in the order its stages run, and the events of one change in the order they come.
STAGES = ("upload", "active_dataset", "refit", "attribution", "active_attribution_set")
KINDS = {"start": 0, "status": 1}  # any other kind ends the change

#: Where each kill lands: at the first event of this stage and kind or later in the chain.  Every
#: stage is hit before its job is sent (start), while it runs (status) and as it ends (done); the
#: last one leaves the sets to the final run.
KILL_AT = (
    ("upload", "start"),
    ("upload", "status"),
    ("upload", "done"),
    ("active_dataset", "start"),
    ("active_dataset", "status"),
    ("refit", "start"),
    ("refit", "status"),
    ("refit", "done"),
    ("attribution", "start"),
    ("attribution", "status"),
    ("attribution", "done"),
    ("active_attribution_set", "start"),
)


def reached(stage: str, kind: str) -> Callable[[str], bool]:
    """An ``apply --format json`` event at ``stage``/``kind`` or later in the chain."""
    target = (STAGES.index(stage), KINDS.get(kind, 2))

    def wanted(line: str) -> bool:
        item = event(line)
        if item is None:
            return False
        here = STAGES.index(parse_instance(item["address"]).kind), KINDS.get(item["kind"], 2)
        return here >= target

    return wanted


def test_sigkill_at_every_stage_then_rerun_converges_without_duplicates(tmp_path: Path) -> None:
    with served_emulator("alviss", data_dir=tmp_path / "world", token=TOKEN, durations=SHORT_JOBS) as base:
        spec = weekly_against(tmp_path, base)
        for stage, kind in KILL_AT:
            process = start_apply(spec, tmp_path, "--format", "json")
            reported = Reported(process)
            reported.until(reached(stage, kind), f"an event at {stage} {kind} or later")
            process.send_signal(signal.SIGKILL)
            output, _ = reported.finish(timeout=30)
            assert process.returncode == -signal.SIGKILL, f"done before the kill at {stage} {kind}:\n{output}"
            state_of(spec)  # always parses (raises otherwise)
        final = start_apply(spec, tmp_path)
        output, problems = final.communicate(timeout=120)
        assert final.returncode == 0, output + problems
        assert held(base) == dict.fromkeys(PROJECTS, CONVERGED)
        state = state_of(spec)
        assert state is not None
        assert all(record.status == "ready" and record.pending is None for record in state.resources.values())


def test_sigint_stops_waiting_keeps_jobs_and_releases_the_lock(tmp_path: Path) -> None:
    slow = {**SHORT_JOBS, "refit": 600.0}
    with served_emulator("alviss", data_dir=tmp_path / "world", token=TOKEN, durations=slow) as base:
        spec = weekly_against(tmp_path, base)
        process = start_apply(spec, tmp_path, "--format", "json")
        reported = Reported(process)
        # A status word for each refit: both were submitted and are running.
        reported.until(
            statuses_of({"module.market[se].alviss.refit.weekly", "module.market[no].alviss.refit.weekly"}),
            "both refits running",
        )
        interrupted = time.monotonic()
        process.send_signal(signal.SIGINT)
        output, problems = reported.finish(timeout=30)
        assert time.monotonic() - interrupted < 5
        assert process.returncode == 130
        summary = json.loads(output.splitlines()[-1])
        assert summary["interrupted"] is True
        assert (
            summary["outcomes"]["module.market[se].alviss.refit.weekly"]
            == summary["outcomes"]["module.market[no].alviss.refit.weekly"]
            == "pending"
        )
        assert "Traceback" not in problems

        state = state_of(spec)
        assert state is not None
        assert all(
            state.resources[f"module.market[{market}].alviss.refit.weekly"].pending is not None
            for market in ("se", "no")
        )
        backend = LocalBackend(spec.parent.parent / "state" / "weekly-refresh.json")
        with backend.lock(operation="test"):
            pass  # released
        plan = asyncio.run(Workspace(spec, settings=Settings(environ={"ALVISS_TOKEN": TOKEN})).plan()).plan
        assert plan["module.market[se].alviss.refit.weekly"].action is Action.RESUME
        assert held(base)["1/1"]["model"] == CONVERGED["model"]  # submitted once, not again


def test_second_sigint_exits_at_once(tmp_path: Path) -> None:
    slow = {kind: 600.0 for kind in SHORT_JOBS}
    with served_emulator("alviss", data_dir=tmp_path / "world", token=TOKEN, durations=slow) as base:
        spec = weekly_against(tmp_path, base)
        process = start_apply(spec, tmp_path, "--format", "json")
        reported = Reported(process)
        reported.until(kind_of("status"), "a job running")
        process.send_signal(signal.SIGINT)
        # The first interrupt was taken: the waits end, each running job reported as still pending.
        reported.until(kind_of("pending"), "a wait ended")
        process.send_signal(signal.SIGINT)
        _, problems = reported.finish(timeout=15)
        assert process.returncode == 130
        assert "Traceback" not in problems
        assert state_of(spec) is not None


async def test_detached_apply_records_jobs_and_the_next_apply_resumes(demo: Demo) -> None:
    clock = [2_000_000_000.0]
    settings = dict(
        emulator_durations={"alviss": {"upload": 60.0, "dataset": 60.0}}, emulator_clock=lambda: clock[0]
    )
    first = await demo.workspace(**settings).apply(detach=True)
    assert first.report.outcomes["alviss.upload.sales_w47"] == "pending"
    assert first.report.outcomes["alviss.active_dataset.main"] == "waiting"
    planned = (await demo.workspace(**settings).plan()).plan
    assert planned["alviss.upload.sales_w47"].action is Action.RESUME

    async def advance(seconds: float) -> None:
        clock[0] += 30
        await asyncio.sleep(0)

    finishing = demo.workspace(**settings, client=ClientOptions(sleep=advance))
    assert (await finishing.apply()).report.ok
    assert (await demo.stats())["objects"]["upload"] == 4  # two default, two uploaded once each


async def test_state_write_failure_leaves_an_emergency_copy_and_releases_the_lock(
    demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    import reconciler.state.local as local

    real = local.atomic_write
    calls = [0]

    def failing(path: Path, data: bytes) -> None:
        calls[0] += 1
        if calls[0] > 2:
            raise OSError(28, "No space left on device")
        real(path, data)

    monkeypatch.setattr(local, "atomic_write", failing)
    monkeypatch.chdir(demo.root)
    with pytest.raises(errors.StateWriteFailed) as caught:
        await demo.workspace().apply()
    emergency = caught.value.emergency_path
    assert emergency is not None
    saved = StateDocument.model_validate(json.loads(Path(emergency).read_text()))
    assert saved.resources
    assert caught.value.hint
    with LocalBackend(demo.state_file).lock(operation="test"):
        pass  # released on the error path


async def test_checkpoint_journal_failure_stops_the_run_and_releases_the_lock(
    demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_space(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("os.fdatasync", no_space)
    monkeypatch.chdir(demo.root)
    with pytest.raises(errors.StateWriteFailed) as caught:
        await demo.workspace().apply()
    assert caught.value.emergency_path is not None
    assert StateDocument.model_validate_json(Path(caught.value.emergency_path).read_text()).resources
    with LocalBackend(demo.state_file).lock(operation="test"):
        pass  # released on the error path
