"""W6: how long the command takes to start, and to find that the demo has nothing to do.

``hyperfine`` is used when installed; otherwise each command runs a few
times as a subprocess and the median wall time is kept.  The plan runs
``specs/demo.yaml`` (the in-process emulator) in a scratch copy that one
apply has already brought up to date, and again with its provider pointed at
the Alviss emulator served over ``http://`` (what a spec with a real
endpoint costs: no in-process emulator, no FastAPI in the plan's process).

Beside Terraform (when installed): ``reconciler --version`` and
``terraform version``, then the demo's no-op plan and Terraform's no-op plan
of 2 ``terraform_data`` (applied once before), each pair taking turns
(``harness.alternate``); the figures are the ratios of the median wall times.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from benchmarks import terraform
from benchmarks.harness import ROOT, TOKEN, Timed, alternate, median, reconciler_command, run_timed, served
from benchmarks.results import Result
from benchmarks.scale import INSTANT


def _time(command: Sequence[str], *, env: Mapping[str, str], runs: int, work: Path) -> tuple[float, str]:
    hyperfine = shutil.which("hyperfine")
    if hyperfine:
        out = work / "hyperfine.json"
        subprocess.run(
            [
                hyperfine,
                "--warmup",
                "1",
                "--runs",
                str(runs),
                "--export-json",
                str(out),
                "--style",
                "none",
                " ".join(command),
            ],
            env={**os.environ, **env},
            check=True,
            capture_output=True,
            cwd=work,
        )
        return float(json.loads(out.read_text())["results"][0]["median"]), "hyperfine"
    run_timed(command, env=env, cwd=work)  # warm-up: the page cache, .pyc files
    return median([run_timed(command, env=env, cwd=work).wall for _ in range(runs)]), "subprocess loop"


def run(work: Path, *, runs: int, executable: Path | None, result: Result) -> None:
    shutil.copytree(ROOT / "specs", work / "specs", ignore=shutil.ignore_patterns("*.json"))
    env = {"RECONCILER_EMULATOR_DIR": str(work / "emulators")}
    spec = str(work / "specs" / "demo.yaml")
    run_timed([*reconciler_command(), "apply", "--auto-approve", spec], env=env, cwd=work)
    version, how = _time([*reconciler_command(), "--version"], env=env, runs=runs, work=work)
    plan, _ = _time(
        [*reconciler_command(), "plan", "--detailed-exitcode", spec], env=env, runs=runs, work=work
    )
    result.add("reconciler --version", version, unit="s", target=0.15)
    result.add("no-op plan of specs/demo.yaml", plan, unit="s", target=0.25)
    served_plan = _served_plan(work / "http", runs=runs)
    result.add("no-op plan of specs/demo.yaml, http:// endpoint", served_plan, unit="s", target=0.2)
    result.details.update(runs=runs, timed_with=how)
    if executable is not None:
        _beside_terraform(work, spec, env=env, runs=runs, executable=executable, result=result)


def _served_plan(work: Path, *, runs: int) -> float:
    """The demo's no-op plan against the Alviss emulator served over ``http://`` (no in-process app)."""
    shutil.copytree(ROOT / "specs", work / "specs", ignore=shutil.ignore_patterns("*.json"))
    spec = work / "specs" / "demo.yaml"
    text = spec.read_text()
    endpoint = re.compile(r"^    endpoint: emulator://alviss.*$", re.MULTILINE)
    if not endpoint.search(text):
        raise RuntimeError("specs/demo.yaml no longer names emulator://alviss: update benchmarks/startup.py")
    env = {"ALVISS_TOKEN": TOKEN}
    with served(work / "world", durations=INSTANT, log=work / "emulator.log") as emulator:
        block = f"    endpoint: {emulator.api}\n    token: ${{env:ALVISS_TOKEN}}"
        spec.write_text(endpoint.sub(lambda _: block, text, count=1))
        run_timed([*reconciler_command(), "apply", "--auto-approve", str(spec)], env=env, cwd=work)
        plan, _ = _time(
            [*reconciler_command(), "plan", "--detailed-exitcode", str(spec)], env=env, runs=runs, work=work
        )
    return plan


def _beside_terraform(
    work: Path, spec: str, *, env: Mapping[str, str], runs: int, executable: Path, result: Result
) -> None:
    """The same two commands taking turns with Terraform's: its version, its no-op plan of 2 resources."""
    reference = terraform.prepare(executable, work / "terraform", names=["sales_w47", "media_w47"])
    ours = {
        "version": Timed([*reconciler_command(), "--version"], env=env, cwd=work, timeout=60),
        "plan": Timed([*reconciler_command(), "plan", "--detailed-exitcode", spec], env=env, cwd=work,
                      timeout=120),
    }  # fmt: skip
    theirs = {"version": reference.version(), "plan": reference.plan()}
    medians: dict[str, float] = {}
    for what in ("version", "plan"):
        done = alternate({f"reconciler {what}": ours[what], f"terraform {what}": theirs[what]}, rounds=runs)
        for name, timed_runs in done.items():
            medians[name] = median([r.wall for r in timed_runs])
    result.add("reconciler --version ÷ terraform version",
               medians["reconciler version"] / medians["terraform version"], target=1.2)  # fmt: skip
    result.add("no-op plan of specs/demo.yaml ÷ Terraform's of 2 terraform_data",
               medians["reconciler plan"] / medians["terraform plan"], target=5)  # fmt: skip
    result.add("terraform version", medians["terraform version"], unit="s")
    result.add("Terraform no-op plan of 2 terraform_data", medians["terraform plan"], unit="s")
    result.details.update(
        terraform=terraform.version_text(executable, work / "terraform"),
        side_by_side_medians=medians,
    )
