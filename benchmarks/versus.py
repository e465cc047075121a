"""W7: a no-op plan of the 2,000 uploads beside Terraform's no-op plan of 2,000 ``terraform_data``.

The reconciler plans the world W5 applied (``benchmarks.scale``: 100 Alviss
projects × 20 uploads), served again with no added latency; it reads every
object it manages from the emulator over loopback.  Terraform plans as many
``terraform_data`` resources, applied once beforehand so that its plan is a
no-op as well; it reads nothing remote at all.  Both plans run as
subprocesses, taking turns for a few rounds after one warm-up each; the
medians of wall and CPU time (user + system, from ``wait4``) and the largest
peak RSS are kept, and the figure is the ratio of the wall times.  The
emulator's own CPU is not counted: it stands in for the platform.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks import terraform
from benchmarks.harness import Run, Timed, alternate, median, reconciler_command
from benchmarks.results import Result
from benchmarks.scale import World

MIB = 1024  # ru_maxrss is in KiB


def _summary(runs: list[Run]) -> tuple[float, float, float]:
    """Median wall, median CPU (seconds) and the largest peak RSS (MiB) of some runs."""
    return (
        median([r.wall for r in runs]),
        median([r.cpu for r in runs]),
        max(r.max_rss_kib for r in runs) / MIB,
    )


def run(world: World, work: Path, *, rounds: int, executable: Path | None, result: Result) -> None:
    commands = {
        "reconciler": Timed([*reconciler_command(), "plan", "--detailed-exitcode", str(world.spec)],
                            env=world.env, timeout=300),
    }  # fmt: skip
    if executable is not None:
        reference = terraform.prepare(executable, work / "terraform", names=world.names())
        commands["terraform"] = reference.plan()
        result.details.update(terraform=terraform.version_text(executable, work / "terraform"),
                              terraform_apply_wall=reference.apply_wall)  # fmt: skip
    with world.serve():
        runs = alternate(commands, rounds=rounds)
    wall, cpu, rss = _summary(runs["reconciler"])
    if "terraform" in runs:
        tf_wall, tf_cpu, tf_rss = _summary(runs["terraform"])
        result.add("no-op plan wall ÷ Terraform's", wall / tf_wall, target=1.0)
        result.add("no-op plan CPU ÷ Terraform's", cpu / tf_cpu)
    result.add("no-op plan wall", wall, unit="s")
    result.add("no-op plan CPU", cpu, unit="s")
    result.add("no-op plan CPU per resource", cpu * 1000 / world.resources, unit="ms", target=0.75)
    result.add("no-op plan peak RSS", rss, unit="MiB", target=100)
    if "terraform" in runs:
        result.add("Terraform no-op plan wall", tf_wall, unit="s")
        result.add("Terraform no-op plan CPU", tf_cpu, unit="s")
        result.add("Terraform no-op plan peak RSS", tf_rss, unit="MiB")
    result.details.update(
        resources=world.resources,
        rounds=rounds,
        plan_cpu=cpu,
        samples={
            name: [{"wall": r.wall, "cpu": r.cpu, "max_rss_kib": r.max_rss_kib} for r in done]
            for name, done in runs.items()
        },
    )
