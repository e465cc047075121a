"""W1, W1b and W2: the weekly refresh of N markets, by the reconciler and by the seed script.

W1 applies a spec of N Alviss projects (one per market), each the chain
upload ×2 → extended active dataset → refit → attribution → active attribution
set, against a served emulator whose job durations are fixed.  The best
possible apply takes as long as one market's chain (the markets are
independent), so the figure is apply wall ÷ that critical path.

W2 reads the same run from the emulator's side: status requests per job come
from its request counts (minus the reads a plan makes on its own), and the lag
between a job's completion and the reconciler noticing it from its SQLite
world: a job's completion is its creation time plus its duration, and the
reconciler has noticed once it sends the next step of the chain (the dataset
after the uploads, the activation after a dataset, …).  So each lag includes
the requests between the two steps, which is what a user waits for.

W1b runs the vendor's own script (seed 000, "Full Example Code") once per
market, one after another, with only its URL, token, ids and file replaced.
"""

from __future__ import annotations

import shutil
import sqlite3
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from benchmarks.harness import ROOT, TEAM, TOKEN, Emulator, median, reconciler_command, run_timed, served
from benchmarks.results import Result

DURATIONS: dict[str, float] = {
    "upload": 1, "dataset": 1, "refit": 3, "build": 3, "attribution": 2, "attribution_set": 1,
}  # fmt: skip
SEED_SCRIPT = ROOT / "tests" / "emulators" / "alviss" / "seed000_upload_refit_attribute.py"
DATA = ROOT / "specs" / "data" / "weekly" / "se"

# Status routes (as the emulator counts them) and the job kind each one polls.
STATUS_ROUTES = {
    "upload": "GET /api/v1/api/projects/{team_id}/{project_id}/datauploads/{upload_id}",
    "dataset": "GET /api/v1/api/projects/{team_id}/{project_id}/datasets/{dataset_id}",
    "refit": "GET /api/v1/api/projects/{team_id}/{project_id}/models/{model_id}",
    "attribution": "GET /api/v1/api/projects/{team_id}/{project_id}/attributions/{attribution_id}",
    "attribution_set": "GET /api/v1/api/projects/{team_id}/{project_id}/attributionset/{set_id}",
}


def critical_path(durations: Mapping[str, float]) -> float:
    """One market's chain of dependent jobs (the two uploads run side by side)."""
    kinds = ("upload", "dataset", "refit", "attribution", "attribution_set")
    return sum(durations[kind] for kind in kinds)


def write_spec(directory: Path, *, markets: int, endpoint: str) -> Path:
    """A weekly-refresh spec (specs/weekly-refresh.yaml's pattern) for ``markets`` projects."""
    data = directory / "data"
    data.mkdir(parents=True, exist_ok=True)
    for name in ("sales_w47.csv", "media_w47.csv"):
        shutil.copyfile(DATA / name, data / name)
    lines = ["version: 1", "state: {backend: local, path: state/weekly.json}", "providers:"]
    for market in range(1, markets + 1):
        lines.append(f"  alviss.m{market}: {{endpoint: '{endpoint}', token: '${{env:ALVISS_TOKEN}}', "
                     f"team: {TEAM}, project: {market}}}")  # fmt: skip
    lines.append("resources:")
    for market in range(1, markets + 1):
        at = f"provider: alviss.m{market}"
        lines += [
            f"  alviss.upload.m{market}_sales: {{{at}, dataset_name: Sales, file: data/sales_w47.csv}}",
            f"  alviss.upload.m{market}_media: {{{at}, dataset_name: Media, file: data/media_w47.csv}}",
            f"  alviss.active_dataset.m{market}:",
            f"    {{{at}, contains: [alviss.upload.m{market}_sales, alviss.upload.m{market}_media]}}",
            f"  alviss.refit.m{market}:",
            f"    {at}",
            "    model: 3",
            f"    dataset: alviss.active_dataset.m{market}",
            "    combination: {country: SWE, region: all, grouping: all}",
            "    train_fraction: 0.75",
            "    params: {epochs: 500, learning_rate: 0.001, samples: 3}",
            f"  alviss.attribution.m{market}:",
            f"    {{{at}, model: alviss.refit.m{market},",
            f"     dataset: alviss.active_dataset.m{market}, samples: 20}}",
            f"  alviss.active_attribution_set.m{market}:",
            f"    {{{at}, includes: [alviss.attribution.m{market}], keep_existing: true}}",
        ]
    spec = directory / "weekly.yaml"
    spec.write_text("\n".join(lines) + "\n")
    return spec


def run_reconciler(
    work: Path, *, markets: int, durations: Mapping[str, float], result: Result
) -> tuple[float, dict[str, Any]]:
    """W1 and W2: one apply of N markets; returns its wall time and the W2 details."""
    with served(work / "emulator", durations=durations, log=work / "emulator.log") as emulator:
        spec = write_spec(work / "spec", markets=markets, endpoint=emulator.api)
        env = {"ALVISS_TOKEN": TOKEN, "RECONCILER_EMULATOR_DIR": str(work / "embedded")}
        # A plan first: the projects exist before the apply (as they would), and its reads are the
        # baseline subtracted from the apply's status requests.
        run_timed([*reconciler_command(), "plan", str(spec)], env=env)
        planned = emulator.stats()
        emulator.reset_stats()
        started = time.time()
        applied = run_timed([*reconciler_command(), "apply", "--auto-approve", str(spec)], env=env)
        stats = emulator.stats()
    waiting = _waiting(emulator, planned=planned, applied=stats, since=started)
    result.details.update(apply_wall=applied.wall, apply_cpu=applied.cpu, stats=stats.get("requests"))
    return applied.wall, waiting


def _requests(stats: Mapping[str, Any]) -> dict[str, int]:
    counts = stats.get("requests", {})
    return {str(route): int(count) for route, count in counts.items()} if isinstance(counts, dict) else {}


def _waiting(
    emulator: Emulator, *, planned: Mapping[str, Any], applied: Mapping[str, Any], since: float
) -> dict[str, Any]:
    jobs = _jobs(emulator.data_dir, since=since)
    before, after = _requests(planned), _requests(applied)
    per_job: dict[str, float] = {}
    for kind, route in STATUS_ROUTES.items():
        count = len(jobs.get(kind, []))
        if count:
            per_job[kind] = (after.get(route, 0) - before.get(route, 0)) / count
    lags = _lags(jobs)
    return {"requests_per_job": per_job, "lags": lags}


def _jobs(data_dir: Path, *, since: float) -> dict[str, list[sqlite3.Row]]:
    conn = sqlite3.connect(data_dir / "alviss.sqlite3")
    conn.row_factory = sqlite3.Row
    try:
        rows = conn.execute(
            "SELECT project, kind, id, created_at, duration, activated_at FROM objects WHERE created_at >= ?",
            (since,),
        ).fetchall()
    finally:
        conn.close()
    jobs: dict[str, list[sqlite3.Row]] = {}
    for row in rows:
        kind = "refit" if row["kind"] == "model" else str(row["kind"])
        jobs.setdefault(kind, []).append(row)
    return jobs


def _lags(jobs: Mapping[str, list[sqlite3.Row]]) -> dict[str, list[float]]:
    """Per job kind, seconds from each job's completion to the next step of its chain."""

    def by_project(kind: str) -> dict[int, list[sqlite3.Row]]:
        grouped: dict[int, list[sqlite3.Row]] = {}
        for row in jobs.get(kind, []):
            grouped.setdefault(int(row["project"]), []).append(row)
        return grouped

    def done(row: sqlite3.Row) -> float:
        return float(row["created_at"]) + float(row["duration"])

    uploads, datasets = by_project("upload"), by_project("dataset")
    refits, attributions, sets = by_project("refit"), by_project("attribution"), by_project("attribution_set")
    lags: dict[str, list[float]] = {kind: [] for kind in STATUS_ROUTES}
    for project, rows in datasets.items():
        dataset = rows[0]
        if project in uploads:
            lags["upload"].append(float(dataset["created_at"]) - max(done(row) for row in uploads[project]))
        if dataset["activated_at"] is not None:
            lags["dataset"].append(float(dataset["activated_at"]) - done(dataset))
    for project, rows in refits.items():
        if project in attributions:
            lags["refit"].append(float(attributions[project][0]["created_at"]) - done(rows[0]))
    for project, rows in attributions.items():
        if project in sets:
            lags["attribution"].append(float(sets[project][0]["created_at"]) - done(rows[0]))
    for rows in sets.values():
        if rows[0]["activated_at"] is not None:
            lags["attribution_set"].append(float(rows[0]["activated_at"]) - done(rows[0]))
    return {kind: values for kind, values in lags.items() if values}


def run_seed_script(work: Path, *, markets: int, durations: Mapping[str, float]) -> float:
    """W1b: the vendor's script, once per market, one after another; returns the total wall time."""
    text = SEED_SCRIPT.read_text()
    data = work / "data"
    data.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(DATA / "sales_w47.csv", data / "sales_w47.csv")
    total = 0.0
    with served(work / "emulator", durations=durations, log=work / "emulator.log") as emulator:
        for market in range(1, markets + 1):
            swaps = {
                '"https://app.alviss.io/api/v1/api"': f'"{emulator.api}"',
                'token = "<SET ME>"': f'token = "{TOKEN}"',
                'team_id = "<SET ME>"': f'team_id = "{TEAM}"',
                'project_id = "<SET ME>"': f'project_id = "{market}"',
                'file_path = "<SET ME>"': f'file_path = "{data / "sales_w47.csv"}"',
            }
            script_text = text
            for old, new in swaps.items():
                script_text = script_text.replace(old, new)
            if "<SET ME>" in script_text:
                raise RuntimeError("the seed script has a setting the benchmark does not replace")
            script = work / f"seed_market_{market}.py"
            script.write_text(script_text)
            total += run_timed([_python(), str(script)]).wall
    return total


def _python() -> str:
    import sys

    return sys.executable


def record(
    result: Result,
    waits: Result,
    *,
    markets: int,
    durations: Mapping[str, float],
    apply_wall: float,
    waiting: dict[str, Any],
) -> None:
    """W1's and W2's figures from one apply."""
    path = critical_path(durations)
    result.add("apply wall ÷ critical path", apply_wall / path, target=1.10)
    result.details.update(markets=markets, critical_path=path, durations=dict(durations))
    waits.details.update(waiting)
    result = waits
    per_job = waiting["requests_per_job"]
    if per_job:
        result.add("status requests per job (worst kind)", max(per_job.values()), target=12)
    for kind, lags in waiting["lags"].items():
        allowed = max(0.3, 0.1 * durations[kind])
        result.add(f"median lag, {kind} ({durations[kind]:g} s)", median(lags), unit="s", target=allowed)
