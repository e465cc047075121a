"""W5 and W3: an apply that creates 2,000 uploads, then a no-op plan of them with latency injected.

W5 applies 100 projects × 20 small uploads against a served emulator whose
jobs finish at once, so the apply is dominated by requests and checkpoints;
the state writes are timed inside the process (``benchmarks.probe``).  Their
share of the wall time, and how the cost of one checkpoint grows with the
number of resources already recorded, are the figures.

W3 then serves the same world again with 20 ms added to every response and
times a ``plan`` that finds nothing to do: ideally every read overlaps with
the others up to the refresh's parallelism, so the plan takes
reads × 20 ms ÷ parallelism, and the CPU spent per resource is small.  Since
a plan reads each project's uploads in one list (100 reads, 0.125 s of
latency), its own CPU is most of its wall: the figure with a target is the
wall ÷ (the plan's CPU + reads × 20 ms ÷ parallelism), how much latency the
plan failed to hide; the reads-only ratio is reported beside it.

The applied world (``World``) is W7's as well (``benchmarks.versus``).
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.harness import ROOT, TEAM, TOKEN, Emulator, Run, median, reconciler_command, run_timed, served
from benchmarks.results import Result

#: How many reads the planner's refresh keeps in flight (``reconciler.engine.planner.refresh``).
REFRESH_PARALLELISM = 16
INSTANT = {"upload": 0, "dataset": 0, "refit": 0, "build": 0, "attribution": 0, "attribution_set": 0}
HEADER = "Country,Region,Grouping,Date,Product,UnitsSold,Price\n"


def upload_name(project: int, number: int) -> str:
    return f"p{project}_u{number}"


def write_spec(directory: Path, *, projects: int, per_project: int, endpoint: str) -> Path:
    data = directory / "data"
    data.mkdir(parents=True, exist_ok=True)
    lines = ["version: 1", "state: {backend: local, path: state/scale.json}", "providers:"]
    for project in range(1, projects + 1):
        lines.append(f"  alviss.p{project}: {{endpoint: '{endpoint}', token: '${{env:ALVISS_TOKEN}}', "
                     f"team: {TEAM}, project: {project}}}")  # fmt: skip
    lines.append("resources:")
    for project in range(1, projects + 1):
        for number in range(per_project):
            name = upload_name(project, number)
            (data / f"{name}.csv").write_text(
                f"{HEADER}SWE,all,all,2026-11-23,Classic,{project * 1000 + number},1\n"
            )
            lines.append(
                f"  alviss.upload.{name}: "
                f"{{provider: alviss.p{project}, dataset_name: Sales, file: data/{name}.csv}}"
            )
    spec = directory / "scale.yaml"
    spec.write_text("\n".join(lines) + "\n")
    return spec


@dataclass(frozen=True)
class World:
    """The uploads applied once: the spec naming them, and the port its emulator serves on."""

    work: Path
    spec: Path
    port: int
    projects: int
    per_project: int
    applied: Run
    writes: Path

    @property
    def resources(self) -> int:
        return self.projects * self.per_project

    def names(self) -> list[str]:
        """The uploads' names, as the spec has them."""
        return [upload_name(p, n) for p in range(1, self.projects + 1) for n in range(self.per_project)]

    @property
    def env(self) -> dict[str, str]:
        return {"ALVISS_TOKEN": TOKEN}

    def serve(self, *, latency_ms: float = 0.0) -> contextlib.AbstractContextManager[Emulator]:
        """The applied world served again, on the same port as before: the spec names the endpoint."""
        return served(self.work / "emulator", durations=INSTANT, latency_ms=latency_ms,
                      log=self.work / "emulator.log", port=self.port)  # fmt: skip


def apply_world(work: Path, *, projects: int, per_project: int, probe: bool = True) -> World:
    """W5's apply: ``projects`` × ``per_project`` uploads created against a served emulator.

    With ``probe`` the state writes are timed in-process (W5); without, the installed command runs (W9).
    """
    env = {"ALVISS_TOKEN": TOKEN}
    with served(work / "emulator", durations=INSTANT, log=work / "emulator.log") as emulator:
        spec = write_spec(work / "spec", projects=projects, per_project=per_project, endpoint=emulator.api)
        probe_out = work / "writes.json"
        probed = [sys.executable, "-m", "benchmarks.probe", str(probe_out)]
        command = probed if probe else reconciler_command()
        applied = run_timed([*command, "apply", "--auto-approve", str(spec)], env=env, cwd=ROOT)
    port = int(emulator.base.rsplit(":", 1)[1])
    return World(work, spec, port, projects, per_project, applied, probe_out)


def record_checkpoints(world: World, w5: Result) -> None:
    """W5's figures, from the state writes timed during the apply.

    The share is of the time state writing held the apply up (``benchmarks.probe``: all of a call on the
    event loop, the CPU time of one on the checkpointer's worker thread); the wall time inside the calls
    is kept beside it.  Flatness compares appends (one per group of checkpoints made together: an append
    is one fsync and its records): their cost must not grow with the records already in the state.
    """
    applied, resources = world.applied, world.resources
    log = [(*entry, entry[0])[:5] for entry in json.loads(world.writes.read_text())["writes"]]
    appends = [float(seconds) for seconds, _, kind, _, _ in log if kind == "append"]
    checkpoints = appends or [float(seconds) for seconds, *_ in log]
    held = sum(float(entry[4]) for entry in log)
    writing = sum(float(seconds) for seconds, *_ in log)
    w5.add("time state writing held the apply up ÷ apply wall", held / applied.wall, target=0.05)
    tenth = max(1, len(checkpoints) // 10)
    early = median(checkpoints[:tenth])
    late = median(checkpoints[-tenth:])
    w5.add("checkpoint cost (per append), last 10 % ÷ first 10 %", late / early if early else 0.0, target=1.5)
    w5.add("checkpoint cost (per append), last 10 %", late * 1000, unit="ms")
    w5.details.update(
        resources=resources, apply_wall=applied.wall, apply_cpu=applied.cpu, checkpoints=len(checkpoints),
        whole_writes=sum(1 for _, _, kind, _, _ in log if kind == "write"),
        records=sum(int(records) for _, _, kind, records, _ in log if kind == "append"),
        writing_seconds=writing, held_seconds=held, writing_share=writing / applied.wall,
        early_ms=early * 1000, late_ms=late * 1000,
    )  # fmt: skip


def plan_with_latency(world: World, w3: Result, *, latency_ms: float = 20.0) -> None:
    """W3: a no-op plan of the applied world with ``latency_ms`` added to every response."""
    resources, spec, env = world.resources, world.spec, world.env
    with world.serve(latency_ms=latency_ms) as emulator:
        emulator.reset_stats()
        started = time.perf_counter()
        planned = run_timed(
            [*reconciler_command(), "plan", "--detailed-exitcode", str(spec)], env=env, check=False
        )
        wall = time.perf_counter() - started
        if planned.returncode != 0:
            raise RuntimeError(
                f"the no-op plan was not empty (exit {planned.returncode}): "
                f"{planned.stdout[-500:]}{planned.stderr[-500:]}"
            )
        reads = sum(int(count) for count in emulator.stats().get("requests", {}).values())
    ideal = reads * latency_ms / 1000 / REFRESH_PARALLELISM
    # With one list read per project the reads' own ideal (100 × 20 ms ÷ 16 = 0.125 s) is far below the
    # CPU any plan of 2,000 resources needs; "latency hidden" compares the wall with that CPU plus it.
    hidden = planned.cpu + ideal
    w3.add("plan wall ÷ (plan CPU + reads × latency ÷ parallelism)", wall / hidden, target=1.5)
    w3.add("plan wall ÷ (reads × latency ÷ parallelism)", wall / ideal if ideal else 0.0, target=1.5)
    w3.add("reads per resource", reads / resources, target=1.1)
    w3.add("CPU per resource", planned.cpu * 1000 / resources, unit="ms", target=2.0)
    w3.details.update(
        resources=resources, reads=reads, plan_wall=wall, plan_cpu=planned.cpu, latency_ms=latency_ms,
        parallelism=REFRESH_PARALLELISM, ideal_seconds=ideal, latency_hidden_seconds=hidden,
    )  # fmt: skip
