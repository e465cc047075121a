"""A workspace in every state the status page shows, made by applying against the emulators.

``mixed(root)`` writes a spec of three platforms and applies it in three
targeted steps: a Sony EPA retrain that the emulator fails (an injected job
failure: the record is tainted with the platform's message), an Akkio
training on too few positive leads, whose scores miss its quality gate (``rejected``), and an Alviss
upload whose job is still running (submitted with ``detach``; the emulator's
upload takes an hour).  The dataset that contains the upload is then
``waiting`` on it.
"""

from __future__ import annotations

import csv
import shutil
from dataclasses import replace
from pathlib import Path

from reconciler import emulators
from reconciler.emulators.faults import Faults
from reconciler.providers.base import ClientOptions
from reconciler.workflow import Settings, Workspace
from tests.support import REPO, no_wait

MIXED = """\
version: 1
state:
  path: ../state/mixed.json

providers:
  alviss:
    endpoint: emulator://alviss
    team: 1
    project: 1
  akkio:
    endpoint: emulator://akkio
  sony_epa.churn:
    endpoint: emulator://sony_epa

resources:
  alviss.upload.sales_w47:
    dataset_name: Sales
    file: data/demo/sales_w47.csv
  alviss.active_dataset.main:
    contains: [alviss.upload.sales_w47]
  akkio.dataset.leads:
    name: Marketing leads (gated)
    file: data/akkio/few_positive_leads.csv
  akkio.model.positive_lead:
    dataset: akkio.dataset.leads
    predict_fields: [Positive Lead]
    duration: 60
    checks:
      - {metric: f1, class: "1", at_least: 0.8}
  sony_epa.retrain.churn:
    provider: sony_epa.churn
    train_file: data/sony_epa/churn_train.csv
    eval_file: data/sony_epa/churn_eval.csv
"""

#: Every job kind of every emulator takes no time, but an Alviss upload takes an hour.
DURATIONS = {
    name: {kind: (3600.0 if kind == "upload" else 0.0) for kind in kinds}
    for name, kinds in emulators.JOB_KINDS.items()
}


def few_positives(directory: Path, kept: int = 5) -> None:
    """``few_positive_leads.csv``: the leads with only ``kept`` positive ones (the f1 gate then fails)."""
    rows = list(csv.DictReader((directory / "leads.csv").read_text().splitlines()))
    positives = [row for row in rows if row["Positive Lead"] == "1"][:kept]
    with (directory / "few_positive_leads.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows([row for row in rows if row["Positive Lead"] == "0"] + positives)


def settings(root: Path) -> Settings:
    return Settings(
        environ={},
        emulator_dir=root / "emulators",
        emulator_durations=DURATIONS,
        client=ClientOptions(sleep=no_wait),
    )


async def mixed(root: Path) -> Workspace:
    """The mixed workspace under ``root`` (a copy of specs/), applied into its three states."""
    if not (root / "specs").exists():
        shutil.copytree(REPO / "specs", root / "specs")
    spec = root / "specs" / "mixed.yaml"
    spec.write_text(MIXED)
    few_positives(root / "specs" / "data" / "akkio")
    base = settings(root)
    failing = replace(base, emulator_faults=Faults(job_failure_rate=1.0, seed=3))
    await Workspace(spec, settings=failing).apply(targets=["sony_epa.retrain.churn"])
    await Workspace(spec, settings=base).apply(targets=["akkio.model.positive_lead"])
    await Workspace(spec, settings=base).apply(targets=["alviss.upload.sales_w47"], detach=True)
    return Workspace(spec, settings=base)
