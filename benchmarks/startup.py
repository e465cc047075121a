"""W6: how long the command takes to start, and to find that the demo has nothing to do.

``hyperfine`` is used when installed; otherwise each command runs a few
times as a subprocess and the median wall time is kept.  The plan runs
``specs/demo.yaml`` (the in-process emulator) in a scratch copy that one
apply has already brought up to date.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from benchmarks.harness import ROOT, median, reconciler_command, run_timed
from benchmarks.results import Result


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


def run(work: Path, *, runs: int, result: Result) -> None:
    shutil.copytree(ROOT / "specs", work / "specs", ignore=shutil.ignore_patterns("*.json"))
    env = {"RECONCILER_EMULATOR_DIR": str(work / "emulators")}
    spec = str(work / "specs" / "demo.yaml")
    run_timed([*reconciler_command(), "apply", "--auto-approve", spec], env=env, cwd=work)
    version, how = _time([*reconciler_command(), "--version"], env=env, runs=runs, work=work)
    plan, _ = _time(
        [*reconciler_command(), "plan", "--detailed-exitcode", spec], env=env, runs=runs, work=work
    )
    result.add("reconciler --version", version, unit="s", target=0.15)
    result.add("no-op plan of specs/demo.yaml", plan, unit="s", target=0.7)
    result.details.update(runs=runs, timed_with=how)
