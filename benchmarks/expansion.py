"""W8: expanding and validating a spec of many markets written once, with variables and for_each.

The spec is the weekly refresh as a template: one provider instance and six
resources (two uploads, the active dataset, the refit, the attribution, the
attribution set) with ``for_each: ${var.markets}``, the markets coming from a
var file.  The figure is the CPU time of ``load_spec`` (YAML, variables,
expansion into instances, models, references, data files), the median of
several loads after one to warm up, for 30 markets × 6 resources; nothing
remote is read.  CPU time, not wall time, so that a busy machine changes it
little.
"""

from __future__ import annotations

import time
from pathlib import Path

from benchmarks.harness import median
from benchmarks.results import Result

#: docs/performance.md: 30 markets × 6 resources expand and validate in under 50 ms of CPU.
TARGET_MS = 50.0

SPEC = """\
version: 1
variables:
  markets:
    type: map
    description: The markets of the weekly refresh, by key.
  week:
    type: number
    default: 47
locals:
  params: {epochs: 500, learning_rate: 0.001, samples: 3}
providers:
  alviss.market:
    for_each: ${var.markets}
    endpoint: emulator://alviss
    team: 1
    project: ${each.value.project}
resources:
  alviss.upload.sales:
    for_each: ${var.markets}
    provider: alviss.market[${each.key}]
    dataset_name: Sales
    file: data/${each.key}/sales_w${var.week}.csv
  alviss.upload.media:
    for_each: ${var.markets}
    provider: alviss.market[${each.key}]
    dataset_name: Media
    file: data/${each.key}/media_w${var.week}.csv
  alviss.active_dataset.main:
    for_each: ${var.markets}
    provider: alviss.market[${each.key}]
    contains: [alviss.upload.sales[${each.key}], alviss.upload.media[${each.key}]]
  alviss.refit.weekly:
    for_each: ${var.markets}
    provider: alviss.market[${each.key}]
    model: ${each.value.model}
    dataset: alviss.active_dataset.main[${each.key}]
    combination: {country: ${each.value.country}, region: all, grouping: all}
    train_fraction: 0.75
    params: ${local.params}
  alviss.attribution.weekly:
    for_each: ${var.markets}
    provider: alviss.market[${each.key}]
    model: alviss.refit.weekly[${each.key}]
    dataset: alviss.active_dataset.main[${each.key}]
    samples: 20
  alviss.active_attribution_set.main:
    for_each: ${var.markets}
    provider: alviss.market[${each.key}]
    includes: [alviss.attribution.weekly[${each.key}]]
    keep_existing: true
"""


def write(work: Path, *, markets: int) -> tuple[Path, Path]:
    """The template spec and a var file of ``markets`` markets (with their data files) in ``work``."""
    work.mkdir(parents=True, exist_ok=True)
    lines = ["markets:"]
    for index in range(1, markets + 1):
        key = f"m{index}"
        lines.append(f"  {key}: {{project: {index}, model: 3, country: C{index:02d}}}")
        folder = work / "data" / key
        folder.mkdir(parents=True, exist_ok=True)
        for kind in ("sales", "media"):
            (folder / f"{kind}_w47.csv").write_text("Date,Value\n2024-01-01,1\n")
    spec, values = work / "markets.yaml", work / "markets.vars.yaml"
    spec.write_text(SPEC)
    values.write_text("\n".join(lines) + "\n")
    return spec, values


def measure(work: Path, *, markets: int = 30, runs: int = 15) -> tuple[float, int]:
    """The median CPU milliseconds of one expand-and-validate, and how many resources it made."""
    from reconciler.providers.registry import spec_registry
    from reconciler.spec import load_spec
    from reconciler.spec.variables import VarInputs

    spec, values = write(work, markets=markets)
    registry = spec_registry()
    inputs = VarInputs(files=(str(values),))
    loaded = load_spec(spec, registry=registry, environ={}, variables=inputs)  # warm-up
    times = []
    for _ in range(runs):
        started = time.process_time()
        load_spec(spec, registry=registry, environ={}, variables=inputs)
        times.append((time.process_time() - started) * 1000)
    return median(times), len(loaded.resources)


def run(work: Path, *, markets: int, runs: int, result: Result) -> None:
    milliseconds, resources = measure(work, markets=markets, runs=runs)
    result.add(
        f"CPU ms to expand and validate {markets} markets × 6 resources",
        milliseconds,
        unit="ms",
        target=TARGET_MS if markets == 30 else None,
    )
    result.details.update(markets=markets, resources=resources, runs=runs, cpu_ms=milliseconds)
