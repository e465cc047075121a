"""Which workloads to run, with what sizes, and in what order; each in its own scratch directory."""

from __future__ import annotations

import compileall
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from benchmarks import applies, bigfile, expansion, scale, startup, terraform, versus, weekly
from benchmarks.harness import ROOT
from benchmarks.results import Result

IDS = ("W1", "W1b", "W2", "W3", "W4", "W5", "W6", "W7", "W8", "W9")
TITLES = {
    "W1": "weekly refresh, N markets: apply wall ÷ critical path of one market",
    "W1b": "the same by the seed script, market after market: seed wall ÷ reconciler wall",
    "W2": "waiting on W1: status requests per job, lag from completion to noticing",
    "W3": "no-op plan of 100 projects × 20 resources, 20 ms latency per request",
    "W4": "upload of a 1 GiB file",
    "W5": "apply creating 2,000 small uploads: cost of the state checkpoints",
    "W6": "start-up, and beside Terraform's",
    "W7": "no-op plan of 100 projects × 20 resources, no added latency, beside Terraform's of 2,000",
    "W8": "expand and validate a for_each spec of 30 markets × 6 resources (CPU time)",
    "W9": "apply creating 100 projects × 20 uploads, beside Terraform's apply of 2,000 terraform_data",
}


@dataclass(frozen=True)
class Sizes:
    """How big each workload is; the defaults are those of docs/performance.md."""

    markets: int = 8
    duration_scale: float = 1.0
    projects: int = 100
    per_project: int = 20
    big_mib: int = 1024
    startup_runs: int = 10
    rounds: int = 5
    expansion_markets: int = 30
    expansion_runs: int = 15
    apply_rounds: int = 1


def compiled() -> None:
    """The package's bytecode written before anything is timed, as installing it from a wheel does.

    The warm-up runs were meant to leave ``.pyc`` files behind, but with
    ``PYTHONDONTWRITEBYTECODE`` set (as on the benchmark machines) nothing an
    import compiles is kept, and every timed run compiled a hundred modules
    again (≈ 0.1 s of each start).  ``compileall`` writes them whatever that
    variable says; a module edited later is compiled afresh, as always.
    """
    compileall.compile_dir(str(ROOT / "reconciler"), quiet=1)


def run(
    ids: Iterable[str],
    *,
    sizes: Sizes,
    terraform_path: str | None = None,
    progress: Callable[[str], None] = print,
) -> list[Result]:
    """Run the ``ids`` workloads; ``terraform_path`` is Terraform's executable (default: found on PATH)."""
    wanted = set(ids)
    reference = terraform.find(terraform_path)
    compiled()
    results = {name: Result(name, TITLES[name]) for name in IDS}
    scratch = Path(tempfile.mkdtemp(prefix="reconciler-bench-"))
    try:
        if wanted & {"W1", "W1b", "W2"}:
            durations = {kind: seconds * sizes.duration_scale for kind, seconds in weekly.DURATIONS.items()}
            progress(f"W1/W2: apply of {sizes.markets} markets")
            started = time.perf_counter()
            wall, waiting = weekly.run_reconciler(
                scratch / "w1", markets=sizes.markets, durations=durations, result=results["W1"]
            )
            weekly.record(results["W1"], results["W2"], markets=sizes.markets, durations=durations,
                          apply_wall=wall, waiting=waiting)  # fmt: skip
            results["W1"].seconds = results["W2"].seconds = time.perf_counter() - started
            if "W1b" in wanted:
                progress(f"W1b: the seed script, {sizes.markets} markets one after another")
                started = time.perf_counter()
                seed_wall = weekly.run_seed_script(
                    scratch / "w1b", markets=sizes.markets, durations=durations
                )
                results["W1b"].add(
                    "seed-code wall ÷ reconciler wall", seed_wall / wall, target=6, direction="min"
                )
                results["W1b"].details.update(
                    seed_wall=seed_wall, reconciler_wall=wall, markets=sizes.markets
                )
                results["W1b"].seconds = time.perf_counter() - started
        if wanted & {"W3", "W5", "W7"}:
            progress(f"W5: apply of {sizes.projects * sizes.per_project} uploads")
            started = time.perf_counter()
            world = scale.apply_world(scratch / "w5", projects=sizes.projects, per_project=sizes.per_project)
            scale.record_checkpoints(world, results["W5"])
            if wanted & {"W3", "W5"}:
                progress("W3: a no-op plan of them with latency")
                scale.plan_with_latency(world, results["W3"])
            results["W3"].seconds = results["W5"].seconds = time.perf_counter() - started
            if "W7" in wanted:
                progress(f"W7: no-op plans of them, {sizes.rounds} round(s) beside Terraform's"
                         + ("" if reference else " (terraform missing)"))  # fmt: skip
                started = time.perf_counter()
                if reference is None:
                    results["W7"].notes.append(terraform.missing_note("W7", terraform_path))
                versus.run(
                    world, scratch / "w7", rounds=sizes.rounds, executable=reference, result=results["W7"]
                )
                results["W7"].seconds = time.perf_counter() - started
        if "W4" in wanted:
            progress(f"W4: upload of {sizes.big_mib} MiB")
            started = time.perf_counter()
            bigfile.run(scratch / "w4", size=sizes.big_mib * 1024 * 1024, result=results["W4"])
            results["W4"].seconds = time.perf_counter() - started
        if "W6" in wanted:
            progress("W6: start-up")
            started = time.perf_counter()
            if reference is None:
                results["W6"].notes.append(terraform.missing_note("W6", terraform_path))
            startup.run(scratch / "w6", runs=sizes.startup_runs, executable=reference, result=results["W6"])
            results["W6"].seconds = time.perf_counter() - started
        if "W9" in wanted:
            progress(f"W9: applies of {sizes.projects * sizes.per_project} resources, "
                     f"{sizes.apply_rounds} round(s) beside Terraform's"
                     + ("" if reference else " (terraform missing)"))  # fmt: skip
            started = time.perf_counter()
            if reference is None:
                results["W9"].notes.append(terraform.missing_note("W9", terraform_path))
            applies.run(
                scratch / "w9", projects=sizes.projects, per_project=sizes.per_project,
                rounds=sizes.apply_rounds, executable=reference, result=results["W9"],
            )  # fmt: skip
            results["W9"].seconds = time.perf_counter() - started
        if "W8" in wanted:
            progress(f"W8: expansion of {sizes.expansion_markets} markets")
            started = time.perf_counter()
            expansion.run(
                scratch / "w8",
                markets=sizes.expansion_markets,
                runs=sizes.expansion_runs,
                result=results["W8"],
            )
            results["W8"].seconds = time.perf_counter() - started
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return [results[name] for name in IDS if name in wanted]
