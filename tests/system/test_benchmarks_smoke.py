"""The benchmark harness, run on a tiny configuration so that it keeps working.

The figures of so small a run mean nothing; what is checked is that every
workload runs end to end against served emulators, that its figures come out
as finite numbers, and that the JSON carries the machine's description.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from benchmarks.__main__ import main


def test_w1_w2_and_w6_run_on_a_tiny_configuration(tmp_path: Path, capsys: object) -> None:
    out = tmp_path / "bench.json"
    code = main(["run", "W1", "W2", "W6", "--markets", "1", "--duration-scale", "0.1",
                 "--startup-runs", "1", "--json", str(out)])  # fmt: skip
    assert code == 0
    document = json.loads(out.read_text())
    assert document["machine"]["cores"] >= 1 and document["machine"]["python"]
    figures = {(f["workload"], f["name"]): f for r in document["results"] for f in r["figures"]}
    assert {workload for workload, _ in figures} == {"W1", "W2", "W6"}
    assert all(math.isfinite(f["value"]) and f["value"] > 0 for f in figures.values())
    ratio = figures[("W1", "apply wall ÷ critical path")]["value"]
    assert ratio >= 1.0  # an apply cannot beat the chain of jobs it waits for
    requests = document["results"][1]["details"]["requests_per_job"]
    assert set(requests) == {"upload", "dataset", "refit", "attribution", "attribution_set"}
