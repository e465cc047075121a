"""``init`` writes the CI recipe of docs/ci.md for the new repo, and both are valid workflows."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import yaml
from click.testing import CliRunner

from reconciler.cli import main
from tests.served import served_emulator
from tests.state.conftest import pg_cluster  # noqa: F401  (fixture)
from tests.state.pg_cluster import PgCluster
from tests.state.support import fresh_workspace
from tests.support import REPO


def jobs(text: str) -> dict[str, object]:
    document = yaml.safe_load(text)
    assert isinstance(document, dict)
    found = document["jobs"]
    assert isinstance(found, dict)
    return found


def test_documented_workflow_is_valid_yaml_with_plan_apply_and_drift() -> None:
    doc = (REPO / "docs" / "ci.md").read_text()
    block = re.search(r"```yaml\n(# \.github/workflows/reconciler\.yml\n.*?)```", doc, flags=re.S)
    assert block is not None
    assert sorted(jobs(block.group(1))) == ["apply", "drift", "plan"]


def test_init_writes_the_workflow_for_its_spec(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["init", str(tmp_path / "repo"), "--platform", "alviss"])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "repo" / ".github" / "workflows" / "reconciler.yml").read_text()
    assert sorted(jobs(text)) == ["apply", "drift", "plan"]
    assert "reconciler drift spec.yaml" in text
    assert "reconciler apply plan.json" in text
    drift = jobs(text)["drift"]
    assert isinstance(drift, dict)
    steps = drift["steps"]
    page = [step for step in steps if "reconciler report" in step.get("run", "")]
    assert [step["run"] for step in page] == ["reconciler report --html status/index.html spec.yaml"]
    assert page[0]["if"] == "always()"  # the page is kept whatever drift found
    upload = steps[steps.index(page[0]) + 1]
    assert upload["uses"].startswith("actions/upload-artifact@")
    assert upload["if"] == "always()"
    assert upload["with"] == {"name": "status-page", "path": "status/index.html"}


# --- the scaffolded workflow, run twice from two fresh checkouts ----------------------------------

TOKEN = "ci-token"


def reconciler_steps(text: str, job: str) -> list[str]:
    """The ``run:`` scripts of ``job`` that call reconciler (installing it is the runner's business)."""
    steps = jobs(text)[job]
    assert isinstance(steps, dict)
    return [step["run"] for step in steps["steps"] if "run" in step and "reconciler " in step["run"]]


def run_job(text: str, job: str, checkout: Path, env: dict[str, str]) -> list[str]:
    """Each reconciler step of ``job`` as GitHub runs it (bash -e -o pipefail), in ``checkout``."""
    outputs = []
    for script in reconciler_steps(text, job):
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
            cwd=checkout,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, f"{script}\n{done.stdout}\n{done.stderr}"
        outputs.append(done.stdout)
    return outputs


def scaffold(origin: Path, base: str, state: str, workspace: str) -> str:
    """``reconciler init`` for Alviss against the served emulator, committed to a git repo."""
    result = CliRunner().invoke(main, ["init", str(origin), "--platform", "alviss", "--state", state])
    assert result.exit_code == 0, result.output
    spec = origin / "spec.yaml"
    text = spec.read_text().replace(
        "endpoint: emulator://alviss", f"endpoint: {base}/api/v1/api\n    token: ${{env:ALVISS_TOKEN}}"
    )
    spec.write_text(text.replace(f"workspace: {origin.name}", f"workspace: {workspace}"))
    git = ["git", "-c", "user.name=ci", "-c", "user.email=ci@example.com"]
    subprocess.run(["git", "init", "-q", "-b", "main", str(origin)], check=True)
    subprocess.run([*git, "-C", str(origin), "add", "-A"], check=True)
    subprocess.run([*git, "-C", str(origin), "commit", "-q", "-m", "scaffold"], check=True)
    return (origin / ".github" / "workflows" / "reconciler.yml").read_text()


def fresh_checkout(origin: Path, into: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(origin), str(into)], check=True)
    assert not (into / "state").exists()
    return into


def objects(base: str) -> dict[str, int]:
    counts: dict[str, int] = httpx.get(f"{base}/_emulator/stats", timeout=10).json()["projects"]["1/1"]
    return counts


def runner_env(**extra: str) -> dict[str, str]:
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    env = {key: value for key, value in os.environ.items() if not key.startswith("RECONCILER_")}
    return {**env, "PATH": path, "ALVISS_TOKEN": TOKEN, "NO_COLOR": "1", **extra}


def test_the_postgres_workflow_run_from_two_fresh_checkouts_submits_no_second_job(
    tmp_path: Path,
    pg_cluster: PgCluster,  # noqa: F811
) -> None:
    env = runner_env(RECONCILER_PG_DSN=pg_cluster.dsn)
    with served_emulator("alviss", data_dir=tmp_path / "world", token=TOKEN) as base:
        text = scaffold(tmp_path / "origin", base, "postgres", fresh_workspace())
        assert "RECONCILER_PG_DSN: ${{ secrets.RECONCILER_PG_DSN }}" in text
        run_job(text, "apply", fresh_checkout(tmp_path / "origin", tmp_path / "run1"), env)
        after_first = objects(base)
        assert after_first["upload"] == 4 and after_first["dataset"] == 2  # the world's own, and ours

        second = fresh_checkout(tmp_path / "origin", tmp_path / "run2")
        run_job(text, "plan", second, env)
        assert "No changes." in (second / "plan.md").read_text()
        run_job(text, "apply", second, env)
        run_job(text, "drift", second, env)
        assert objects(base) == after_first  # the status page is read-only too
        page = (second / "status" / "index.html").read_text()
        assert page.lstrip().lower().startswith("<!doctype html")
        assert "alviss.active_dataset" in page


def test_the_local_state_workflow_says_what_is_lost_and_adopts_instead_of_repeating(tmp_path: Path) -> None:
    env = runner_env()
    with served_emulator("alviss", data_dir=tmp_path / "world", token=TOKEN) as base:
        text = scaffold(tmp_path / "origin", base, "local", "unused")
        assert "every runner starts WITHOUT state" in text
        assert "RECONCILER_PG_DSN" not in text.split("jobs:")[1]
        run_job(text, "apply", fresh_checkout(tmp_path / "origin", tmp_path / "run1"), env)
        after_first = objects(base)

        second = fresh_checkout(tmp_path / "origin", tmp_path / "run2")
        run_job(text, "plan", second, env)
        comment = (second / "plan.md").read_text()
        assert "to adopt" in comment and "0 to create" in comment
        run_job(text, "apply", second, env)
        assert objects(base) == after_first
