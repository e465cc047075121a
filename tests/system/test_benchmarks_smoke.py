"""The benchmark harness, run on a tiny configuration so that it keeps working.

The figures of so small a run mean nothing; what is checked is that every
workload runs end to end against served emulators, that its figures come out
as finite numbers, and that the JSON carries the machine's description.  The
workloads beside Terraform (W6, W7) run with it where it is installed and are
also run with it missing, which they must report rather than fail on.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from benchmarks import terraform
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


def _figures(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(f["workload"], f["name"]): f for r in document["results"] for f in r["figures"]}


def test_w3_w5_and_w7_run_on_a_tiny_configuration_beside_terraform_where_installed(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    code = main(["run", "W3", "W5", "W7", "--projects", "2", "--per-project", "2", "--rounds", "1",
                 "--json", str(out)])  # fmt: skip
    assert code == 0
    document = json.loads(out.read_text())
    figures = _figures(document)
    assert {workload for workload, _ in figures} == {"W3", "W5", "W7"}
    assert all(math.isfinite(f["value"]) for f in figures.values())
    w7 = next(r for r in document["results"] if r["workload"] == "W7")
    assert w7["details"]["resources"] == 4 and len(w7["details"]["samples"]["reconciler"]) == 1
    assert figures[("W7", "no-op plan CPU per resource")]["value"] > 0
    assert figures[("W7", "no-op plan peak RSS")]["value"] > 0
    if terraform.find() is None:  # this machine has none: the workload says so instead of failing
        assert w7["notes"] == [terraform.missing_note("W7", None)]
        assert ("W7", "no-op plan wall ÷ Terraform's") not in figures
    else:
        assert w7["notes"] == []
        assert figures[("W7", "no-op plan wall ÷ Terraform's")]["value"] > 0
        assert len(w7["details"]["samples"]["terraform"]) == 1


def test_w6_and_w7_without_terraform_say_so_and_report_the_reconcilers_figures_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bench.json"
    absent = tmp_path / "no-such-dir" / "terraform"
    code = main(["run", "W6", "W7", "--projects", "1", "--per-project", "2", "--rounds", "1",
                 "--startup-runs", "1", "--terraform", str(absent), "--json", str(out)])  # fmt: skip
    assert code == 0
    document = json.loads(out.read_text())
    notes = {r["workload"]: r["notes"] for r in document["results"]}
    assert notes == {name: [f"{name}: terraform missing (no executable at {absent}); the reconciler's "
                            "figures alone"] for name in ("W6", "W7")}  # fmt: skip
    figures = _figures(document)
    assert not [name for _, name in figures if "erraform" in name]
    assert {name for workload, name in figures if workload == "W7"} == {
        "no-op plan wall", "no-op plan CPU", "no-op plan CPU per resource", "no-op plan peak RSS"
    }  # fmt: skip
    assert all(math.isfinite(f["value"]) and f["value"] > 0 for f in figures.values())
    assert "W7: terraform missing" in capsys.readouterr().out


def test_terraform_is_looked_for_on_path_then_where_it_is_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(terraform, "INSTALLED", tmp_path / "usr-local-bin" / "terraform")
    assert terraform.find() is None
    assert "not on PATH" in terraform.missing_note("W7", None)
    installed = terraform.INSTALLED
    installed.parent.mkdir()
    installed.write_text("#!/bin/sh\n")
    assert terraform.find() is None  # not executable
    installed.chmod(0o755)
    assert terraform.find() == installed
    on_path = tmp_path / "terraform"
    on_path.write_text("#!/bin/sh\n")
    on_path.chmod(0o755)
    assert terraform.find() == on_path
    assert terraform.find(str(tmp_path / "elsewhere")) is None


def test_w8_expands_30_markets_of_6_resources_within_its_budget(tmp_path: Path) -> None:
    from benchmarks import expansion

    milliseconds, resources = expansion.measure(tmp_path, markets=30, runs=5)
    assert resources == 180
    assert milliseconds < expansion.TARGET_MS


def test_w9_applies_beside_terraform_where_installed_and_says_so_where_not(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    absent = tmp_path / "no-such-dir" / "terraform"
    code = main(["run", "W9", "--projects", "1", "--per-project", "2", "--apply-rounds", "1",
                 "--terraform", str(absent), "--json", str(out)])  # fmt: skip
    assert code == 0
    document = json.loads(out.read_text())
    w9 = next(r for r in document["results"] if r["workload"] == "W9")
    assert w9["notes"] == [terraform.missing_note("W9", str(absent))]
    figures = _figures(document)
    assert {name for _, name in figures} == {"apply wall", "apply CPU", "apply peak RSS"}
    assert all(math.isfinite(f["value"]) and f["value"] > 0 for f in figures.values())
    assert w9["details"]["resources"] == 2 and len(w9["details"]["samples"]["reconciler"]) == 1
    if terraform.find() is not None:  # both, taking turns: the ratio of the walls
        code = main(["run", "W9", "--projects", "1", "--per-project", "2", "--json", str(out)])
        assert code == 0
        figures = _figures(json.loads(out.read_text()))
        assert figures[("W9", "Terraform's apply wall ÷ the reconciler's")]["value"] > 0
        assert figures[("W9", "Terraform apply wall")]["value"] > 0
