"""Quality gates (``checks:``): an Akkio model that misses its f1 gate is rejected and nothing
downstream is promoted; with the data fixed, the next apply promotes it.

Akkio's emulator scores a training from the data (seed 004's ``stats``): with
few positive leads, the f1 of class "1" falls below the gate.  The spec adds
a Datrics prediction that waits for the model (``depends_on``: it would put
the model to use) and one that does not (an independent branch).
"""

from __future__ import annotations

import asyncio
import csv
import json
from pathlib import Path

import pytest

from reconciler import emulators
from reconciler.providers.base import ClientOptions
from reconciler.workflow import Settings, Workspace
from tests.support import no_wait

from .support import run

SPEC = """\
version: 1
state: {backend: local, path: ../state/gated.json}
providers:
  akkio: {endpoint: "emulator://akkio"}
  datrics: {endpoint: "emulator://datrics", user_id: 42, email: analyst@example.com}
resources:
  akkio.dataset.leads:
    name: Marketing leads
    file: data/akkio/leads.csv
  akkio.model.positive_lead:
    dataset: akkio.dataset.leads
    predict_fields: [Positive Lead]
    duration: 60
    checks:
      - {metric: f1, class: "1", at_least: 0.8}
  datrics.predictions.scored_with_the_model:
    depends_on: [akkio.model.positive_lead]
    model_path: 1/4/model-groups/1/1.json
    bucket: storage.datrics.ai
    input: data/datrics/credit_applications.csv
    output: ../predictions/scored.json
    return_only_prediction: true
  datrics.predictions.independent:
    model_path: 1/4/model-groups/2/2.json
    bucket: storage.datrics.ai
    input: data/datrics/passengers.json
    output: ../predictions/passengers.json
"""
MODEL = "akkio.model.positive_lead"
DOWNSTREAM = "datrics.predictions.scored_with_the_model"
INDEPENDENT = "datrics.predictions.independent"


@pytest.fixture
def gated(project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("RECONCILER_EMULATOR_DURATIONS")  # alviss' kinds only; the runs below set theirs
    spec = project / "specs" / "gated.yaml"
    spec.write_text(SPEC)
    return spec


def workspace(spec: Path, project: Path) -> Workspace:
    """In-process, every job instant, on the world the command line uses too."""
    return Workspace(
        spec,
        settings=Settings(
            environ={},
            emulator_dir=project / "emulators",
            emulator_durations={
                name: dict.fromkeys(kinds, 0.0) for name, kinds in emulators.JOB_KINDS.items()
            },
            client=ClientOptions(sleep=no_wait),
        ),
    )


def keep_positives(path: Path, kept: int) -> str:
    """Rewrite the leads so that only ``kept`` positive leads remain; return the original text."""
    original = path.read_text()
    rows = list(csv.DictReader(original.splitlines()))
    positives = [row for row in rows if row["Positive Lead"] == "1"][:kept]
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows([row for row in rows if row["Positive Lead"] == "0"] + positives)
    return original


def state(project: Path) -> dict[str, dict[str, object]]:
    resources: dict[str, dict[str, object]] = json.loads((project / "state" / "gated.json").read_text())[
        "resources"
    ]
    return resources


def test_a_model_missing_its_f1_gate_is_rejected_and_nothing_downstream_is_promoted(
    project: Path, gated: Path
) -> None:
    leads = project / "specs" / "data" / "akkio" / "leads.csv"
    good = keep_positives(leads, 5)

    first = asyncio.run(workspace(gated, project).apply())
    assert first.report.failed  # the command line exits 1
    assert first.report.outcomes[MODEL] == "rejected"
    message = first.report.messages[MODEL]
    assert message == 'rejected by its checks: f1 (class "1") is 0.6667, below 0.8 (at_least) by 0.1333'
    assert first.report.outcomes[DOWNSTREAM] == "skipped"
    assert first.report.messages[DOWNSTREAM] == f"held back: {MODEL} was rejected by its checks"
    assert first.report.outcomes[INDEPENDENT] == "done"
    recorded = state(project)
    model = recorded[MODEL]
    assert model["status"] == "rejected"
    assert model["outputs"]["model_id"]  # type: ignore[index]  # its outputs are recorded
    assert DOWNSTREAM not in recorded  # held back: never started
    assert recorded[INDEPENDENT]["status"] == "ready"  # the independent branch went on
    assert not (project / "predictions" / "scored.json").exists()

    code, output = run("plan", str(gated))
    assert code == 0, output
    assert 'akkio.model.positive_lead: f1 (class "1") is 0.6667, below 0.8 (at_least) by 0.1333' in output
    assert "rejected by its checks" in output, output
    assert f"held back: {MODEL} was rejected by its checks" in output, output
    code, output = run("drift", str(gated))
    assert code == 5, output
    assert "rejected by quality gates (checks), held back (1):" in output
    code, output = run("apply", str(gated), "--auto-approve")
    assert code == 1, output  # kept rejected: no new training, the dependent still held back
    assert state(project)[MODEL]["outputs"] == model["outputs"]
    assert DOWNSTREAM not in state(project)

    leads.write_text(good)  # more positive leads: the data is fixed
    fixed = asyncio.run(workspace(gated, project).apply())
    assert fixed.report.ok, fixed.report.messages
    assert set(fixed.report.outcomes) == {"akkio.dataset.leads", MODEL, DOWNSTREAM}
    promoted = state(project)
    assert promoted[MODEL]["status"] == "ready"
    assert promoted[MODEL]["outputs"]["model_id"] != model["outputs"]["model_id"]  # type: ignore[index]
    assert promoted[DOWNSTREAM]["status"] == "ready"
    assert (project / "predictions" / "scored.json").exists()
    code, output = run("plan", str(gated))
    assert code == 0 and "No changes." in output, output


def test_replace_asks_for_a_new_job_and_a_relaxed_gate_releases_it(project: Path, gated: Path) -> None:
    keep_positives(project / "specs" / "data" / "akkio" / "leads.csv", 5)
    first = asyncio.run(workspace(gated, project).apply())
    assert first.report.outcomes[MODEL] == "rejected"

    code, output = run("plan", str(gated), "--replace", MODEL)
    assert code == 0, output
    assert "-/+" in output and "replacement requested (--replace)" in output, output

    gated.write_text(SPEC.replace("at_least: 0.8", "at_least: 0.6"))
    relaxed = asyncio.run(workspace(gated, project).apply())
    assert relaxed.report.ok, relaxed.report.messages
    assert set(relaxed.report.outcomes) == {DOWNSTREAM}  # released as it is: no new training
    recorded = state(project)
    assert recorded[MODEL]["status"] == "ready"
    assert recorded[DOWNSTREAM]["status"] == "ready"
