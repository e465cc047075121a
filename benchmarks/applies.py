"""W9: an apply creating 2,000 uploads beside Terraform's apply creating 2,000 ``terraform_data``.

The reconciler applies W5's workload (``benchmarks.scale``: 100 Alviss
projects × 20 small uploads, jobs finishing at once) into a fresh emulator
and a fresh state; Terraform applies as many ``terraform_data`` resources
into a fresh, initialised directory (``terraform init`` is not timed).  Each
round runs both, one after the other, the one going first changing every
round, so a machine that gets busier weighs on each alike; the medians of
the walls are compared.  The reconciler sends 2,000 uploads over loopback
HTTP, waits for each job and checkpoints every step; Terraform creates
2,000 values in its own state and sends nothing anywhere.  Without
``terraform`` the reconciler's figure is reported alone.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks import terraform
from benchmarks.harness import Run, median
from benchmarks.results import Result
from benchmarks.scale import apply_world, upload_name

MIB = 1024  # ru_maxrss is in KiB


def run(
    work: Path, *, projects: int, per_project: int, rounds: int, executable: Path | None, result: Result
) -> None:
    names = [upload_name(p, n) for p in range(1, projects + 1) for n in range(per_project)]
    ours: list[Run] = []
    theirs: list[float] = []
    for number in range(rounds):
        turns = ["reconciler", "terraform"] if executable is not None else ["reconciler"]
        for name in turns[number % len(turns) :] + turns[: number % len(turns)]:
            if name == "reconciler":
                world = apply_world(
                    work / f"reconciler-{number}", projects=projects, per_project=per_project, probe=False
                )
                ours.append(world.applied)
            else:
                assert executable is not None
                made = terraform.prepare(executable, work / f"terraform-{number}", names=names)
                theirs.append(made.apply_wall)
    wall = median([run.wall for run in ours])
    if theirs:
        ratio = median(theirs) / wall
        result.add("Terraform's apply wall ÷ the reconciler's", ratio, target=6, direction="min")
    result.add("apply wall", wall, unit="s")
    result.add("apply CPU", median([run.cpu for run in ours]), unit="s")
    result.add("apply peak RSS", max(run.max_rss_kib for run in ours) / MIB, unit="MiB")
    if executable is not None and theirs:
        result.add("Terraform apply wall", median(theirs), unit="s")
        result.details.update(terraform=terraform.version_text(executable, work / "version"))
    result.details.update(
        resources=len(names),
        rounds=rounds,
        samples={"reconciler": [run.wall for run in ours], "terraform": theirs},
    )
