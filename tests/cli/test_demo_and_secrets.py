"""The quick start as a user runs it (real subprocesses), and a canary token through every path.

``make demo`` runs ``reconciler plan`` then ``reconciler apply --auto-approve``
on ``specs/demo.yaml``; run twice, the second prints ``No changes.`` and sends
no mutating request (the in-process emulator keeps its request counts in its
SQLite world, so they can be read after the processes end).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from reconciler import emulators
from tests.served import served_emulator
from tests.support import REPO, mutating

INSTANT = "upload=0,dataset=0,refit=0,build=0,attribution=0,attribution_set=0"
CANARY = "canary-7f3a9c1e-token-do-not-print"


def reconciler(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reconciler", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def stats(data_dir: Path) -> dict[str, object]:
    async def read() -> dict[str, object]:
        app = emulators.create_app("alviss", data_dir=data_dir)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://e") as client:
            body: dict[str, object] = (await client.get("/_emulator/stats")).json()
        app.state.store.close()
        return body

    return asyncio.run(read())


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    (tmp_path / "state").mkdir()
    return tmp_path


def base_env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("RECONCILER_")}
    env["PYTHONPATH"] = str(REPO)
    env.update(extra)
    return env


def test_demo_twice_second_run_changes_nothing(checkout: Path) -> None:
    env = base_env(RECONCILER_EMULATOR_DURATIONS=INSTANT)
    first_plan = reconciler("plan", "specs/demo.yaml", cwd=checkout, env=env)
    assert first_plan.returncode == 0, first_plan.stderr
    assert "Plan: 2 to create, 1 to change" in first_plan.stdout
    first_apply = reconciler("apply", "--auto-approve", "specs/demo.yaml", cwd=checkout, env=env)
    assert first_apply.returncode == 0, first_apply.stderr
    assert "Apply complete! Resources: 2 added, 1 changed" in first_apply.stdout
    world = checkout / "state" / ".reconciler" / "emulators"  # beside the state, not the working directory
    assert not (checkout / ".reconciler").exists()
    after_first = stats(world)
    assert mutating(after_first) > 0

    second_plan = reconciler("plan", "specs/demo.yaml", cwd=checkout, env=env)
    second_apply = reconciler("apply", "--auto-approve", "specs/demo.yaml", cwd=checkout, env=env)
    assert second_plan.stdout.startswith("No changes.")
    assert second_apply.stdout.startswith("No changes.")
    assert mutating(stats(world)) == mutating(after_first)


SERVED_SPEC = """
state: {{path: state.json}}
providers:
  alviss:
    endpoint: {base}/api/v1/api
    token: ${{env:ALVISS_TOKEN}}
    team: 1
    project: 1
resources:
  alviss.upload.sales: {{dataset_name: Sales, file: {sales}}}
  alviss.active_dataset.main: {{contains: [alviss.upload.sales]}}
"""


def test_canary_token_never_printed_or_stored(checkout: Path) -> None:
    spec = checkout / "served.yaml"
    with served_emulator("alviss", data_dir=checkout / "served", token=CANARY) as base:
        spec.write_text(SERVED_SPEC.format(base=base, sales=checkout / "specs/data/demo/sales_w47.csv"))
        env = base_env(ALVISS_TOKEN=CANARY)
        runs = [
            reconciler("validate", str(spec), cwd=checkout, env=env),
            reconciler("plan", str(spec), cwd=checkout, env=env),
            reconciler("apply", "--auto-approve", str(spec), cwd=checkout, env=env),
            reconciler("show", str(spec), cwd=checkout, env=env),
        ]
        assert [run.returncode for run in runs] == [0, 0, 0, 0], [run.stderr for run in runs]
        rejected = reconciler("plan", str(spec), cwd=checkout, env=base_env(ALVISS_TOKEN=CANARY[::-1]))
    assert rejected.returncode == 1
    assert "token rejected" in rejected.stderr
    assert "Traceback" not in rejected.stderr
    for run in [*runs, rejected]:
        assert CANARY not in run.stdout + run.stderr
        assert CANARY[::-1] not in run.stdout + run.stderr
    for path in checkout.rglob("*"):
        if path.is_file() and path.suffix in {".json", ".backup", ".lock", ".yaml"}:
            assert CANARY not in path.read_text(errors="replace"), path
