"""SIGTERM in the middle of an apply: the agent records its jobs, releases its locks and exits 0."""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

from reconciler.state import LocalBackend
from reconciler.state.runs import recent_runs
from tests.served import served_emulator

from .agent_support import TOKEN, AgentProcess, stats, wait_for, write_workspace

UPLOAD = "POST /api/v1/api/projects/{team_id}/{project_id}/datauploads"


def _submitted(state: Path) -> bool:
    if not state.exists():
        return False
    resources = json.loads(state.read_text()).get("resources", {})
    log = state.with_name(state.name + ".checkpoints")
    text = log.read_text() if log.exists() else ""
    recorded = [r for r in resources.values() if (r.get("pending") or {}).get("job_id") is not None]
    return len(recorded) == 2 or text.count('"job_id"') >= 2


def _free(path: Path) -> bool:
    if not path.exists():  # a lock file is removed when its lock is released
        return True
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def test_sigterm_mid_apply_keeps_the_jobs_recorded_and_exits_0(tmp_path: Path) -> None:
    state = tmp_path / "state" / "ws1.json"
    env = {"ALVISS_TOKEN": TOKEN}
    durations = {"upload": 600.0, "dataset": 600.0}
    with served_emulator("alviss", data_dir=tmp_path / "world", token=TOKEN, durations=durations) as emulator:
        write_workspace(tmp_path, 1, emulator_url=emulator, state="{backend: local, path: ../state/ws1.json}")
        args = ["--specs", "specs/ws1.yaml", "--apply", "auto", "--interval", "1h"]
        agent = AgentProcess(args, cwd=tmp_path, env=env)
        try:
            wait_for(lambda: _submitted(state), timeout=30, what="both uploads to be submitted and recorded")
            assert agent.terminate(timeout=30) == 0, agent.log()
        finally:
            agent.kill()
        assert "SIGTERM: finishing the current checkpoints" in agent.log()
        assert "claims released" in agent.log()
        backend = LocalBackend(state)
        records = backend.read().resources
        assert {r.status for a, r in records.items() if a.startswith("alviss.upload.")} == {"pending"}
        assert all(records[a].pending.job_id is not None for a in records if a.startswith("alviss.upload."))  # type: ignore[union-attr]
        assert _free(state.with_name("ws1.json.lock")) and _free(state.with_name("ws1.json.agent"))
        (last, *_) = recent_runs(backend)
        assert (last.kind, last.outcome) == ("apply", "running")
        assert last.error is not None and "stopped by the agent's shutdown" in last.error

        # Another agent resumes the recorded jobs: nothing is sent twice.
        again = AgentProcess([*args, "--once", "--detach"], cwd=tmp_path, env=env)
        assert again.process.wait(60) == 0, again.log()
        again.kill()
        assert stats(emulator)["requests"][UPLOAD] == 2
        (resumed, *_) = recent_runs(backend)
        assert resumed.outcome == "running" and resumed.apply_summary.get("pending") == 2
