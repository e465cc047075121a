"""An out-of-band activation is on the agent's /metrics and its page within one interval.

Someone activates another dataset directly on the platform (here: a request
to the served emulator, as a person with the platform's UI would); the next
scheduled plan classifies it as live drift, which the running agent reports.
"""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from reconciler.state import LocalBackend
from reconciler.state.runs import recent_runs
from tests.served import served_emulator
from tests.support import REPO

from .agent_support import TOKEN, AgentProcess, post, wait_for, write_workspace

INTERVAL = 3.0
JITTER = 0.1
#: The scheduler looks at its workspaces at least once a second (runner.TICK), and a plan takes a moment.
SLACK = 3.0


def test_an_out_of_band_activation_is_reported_within_one_interval(tmp_path: Path) -> None:
    env = {"ALVISS_TOKEN": TOKEN}
    with served_emulator("alviss", data_dir=tmp_path / "world", token=TOKEN) as emulator:
        spec = write_workspace(
            tmp_path, 1, emulator_url=emulator, state="{backend: local, path: ../state/ws1.json}"
        )
        applied = subprocess.run(
            [sys.executable, "-m", "reconciler", "apply", "--auto-approve", str(spec)],
            cwd=tmp_path,
            env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", **env},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert applied.returncode == 0, applied.stdout + applied.stderr
        args = ["--specs", "specs/ws1.yaml", "--apply", "never", "--interval", f"{INTERVAL:g}s"]
        agent = AgentProcess([*args, "--jitter", str(JITTER)], cwd=tmp_path, env=env)
        try:
            wait_for(
                lambda: (
                    agent.metric("reconciler_workspace_drift", workspace="ws1", **{"class": "in_sync"}) == 1
                ),
                timeout=30,
                what="the agent's first plan: in sync",
            )
            activated_at = time.time()
            post(f"{emulator}/api/v1/api/projects/1/1/datasets/1/activate")  # the seeded dataset, by hand

            wait_for(
                lambda: agent.metric("reconciler_workspace_drift", workspace="ws1", **{"class": "live"}) == 1,
                timeout=INTERVAL * (1 + JITTER) + SLACK + 10,
                what="live drift on /metrics",
            )
            assert agent.metric("reconciler_drift_detected_total", workspace="ws1", **{"class": "live"}) == 1
            assert agent.metric("reconciler_last_plan_outcome", workspace="ws1", outcome="changes") == 1
            # The first plan to start after the activation found it, and it started within one interval.
            runs = recent_runs(LocalBackend(tmp_path / "state" / "ws1.json"), limit=50)
            after = [run for run in reversed(runs) if run.started_at.timestamp() > activated_at]
            assert after and after[0].drift == "live", [(r.started_at, r.drift) for r in runs]
            assert after[0].started_at.timestamp() - activated_at <= INTERVAL * (1 + JITTER) + SLACK
            status, page = agent.get("/")
            assert status == 200
            assert "ws1" in page
            assert "live state changed outside reconciler" in page  # the drift class, as the page words it
            assert "drift class: live" in page  # and the plan's change, with its reason
            assert TOKEN not in page
            _, metrics = agent.get("/metrics")
            assert TOKEN not in metrics
        finally:
            agent.kill()
    assert isinstance(after[0].started_at, datetime)
