"""``python -m benchmarks run [W1 …]``: run workloads, print the table, write the JSON."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from benchmarks import suite
from benchmarks.harness import ROOT, machine
from benchmarks.results import table, write_json


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run workloads (all when none is named)")
    run.add_argument("ids", nargs="*", metavar="ID", help=f"any of {', '.join(suite.IDS)}")
    run.add_argument("--json", type=Path, default=ROOT / ".reconciler" / "benchmarks" / "latest.json")
    defaults = suite.Sizes()
    run.add_argument("--markets", type=int, default=defaults.markets, help="W1: markets")
    run.add_argument(
        "--duration-scale", type=float, default=defaults.duration_scale, help="W1: job durations ×"
    )
    run.add_argument("--projects", type=int, default=defaults.projects, help="W3/W5: projects")
    run.add_argument("--per-project", type=int, default=defaults.per_project, help="W3/W5: resources each")
    run.add_argument("--big-mib", type=int, default=defaults.big_mib, help="W4: file size in MiB")
    run.add_argument("--startup-runs", type=int, default=defaults.startup_runs, help="W6: runs per command")
    run.add_argument("--rounds", type=int, default=defaults.rounds, help="W7: rounds of the two plans")
    run.add_argument(
        "--apply-rounds", type=int, default=defaults.apply_rounds, help="W9: rounds of the two applies"
    )
    run.add_argument("--expansion-markets", type=int, default=defaults.expansion_markets, help="W8: markets")
    run.add_argument(
        "--terraform", metavar="PATH", help="W6/W7/W9: Terraform's executable (default: terraform on PATH)"
    )
    args = parser.parse_args(argv)

    ids = [name.upper().replace("W1B", "W1b") for name in args.ids] or list(suite.IDS)
    unknown = [name for name in ids if name not in suite.IDS]
    if unknown:
        parser.error(f"unknown workload {', '.join(unknown)}; known: {', '.join(suite.IDS)}")
    sizes = suite.Sizes(
        markets=args.markets, duration_scale=args.duration_scale, projects=args.projects,
        per_project=args.per_project, big_mib=args.big_mib, startup_runs=args.startup_runs,
        rounds=args.rounds, expansion_markets=args.expansion_markets,
        apply_rounds=args.apply_rounds,
    )  # fmt: skip
    started = time.perf_counter()
    results = suite.run(
        ids,
        sizes=sizes,
        terraform_path=args.terraform,
        progress=lambda line: print(line, file=sys.stderr, flush=True),
    )
    total = time.perf_counter() - started
    described = machine()
    write_json(args.json, results, machine=described, total=total)
    print(table(results))
    print(
        f"\n{described['cores']} cores ({described['cpu'] or 'unknown CPU'}), Python {described['python']}; "
        f"{total:.0f} s in all; figures written to {args.json}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
