"""Planner decisions for refits, attributions and the active attribution set, as a table."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reconciler.engine.planner import make_plan
from reconciler.providers.alviss import shapes
from reconciler.providers.alviss.active_dataset import ActiveDatasetFacts
from reconciler.providers.alviss.attribution_set import SetFacts
from reconciler.providers.alviss.upload import LocalFile, UploadFacts
from reconciler.providers.base import fingerprint
from reconciler.providers.jobs import JobFacts
from reconciler.providers.registry import resource_type, spec_registry
from reconciler.spec import load_spec
from reconciler.spec.document import Spec
from reconciler.state.document import PendingOperation, ResourceState, StateDocument
from reconciler.vocabulary import Action
from reconciler.wait import JobStatus

DATASET = "alviss.active_dataset.main"
REFIT = "alviss.refit.se"
ATTRIBUTION = "alviss.attribution.se"
SET = "alviss.active_attribution_set.main"

SPEC = """
providers:
  alviss: {endpoint: "emulator://alviss", team: 1, project: 1}
resources:
  alviss.active_dataset.main: {contains: [alviss.upload.sales]}
  alviss.upload.sales: {dataset_name: Sales, file: sales.csv}
  alviss.refit.se: {model: 3, dataset: alviss.active_dataset.main, params: {epochs: %(epochs)s}}
  alviss.attribution.se: {model: alviss.refit.se, dataset: alviss.active_dataset.main}
  alviss.active_attribution_set.main: {includes: [alviss.attribution.se, 4], keep_existing: %(keep)s}
"""


def load(tmp_path: Path, *, epochs: int = 500, keep: bool = True) -> Spec:
    (tmp_path / "spec.yaml").write_text(SPEC % {"epochs": epochs, "keep": str(keep).lower()})
    (tmp_path / "sales.csv").write_text("week,value\n")  # a data file must exist; its facts here are made up
    return load_spec(tmp_path / "spec.yaml", registry=spec_registry(), environ={})


def refit_identity(dataset: int, epochs: int = 500) -> dict[str, Any]:
    return {
        "model": 3,
        "dataset": dataset,
        "combination": None,
        "split": {"train_fraction": 0.75},
        "params": {"epochs": epochs, "learning_rate": 0.001, "samples": 3},
    }


def attribution_identity(model: int, dataset: int) -> dict[str, Any]:
    return {"model": model, "dataset": dataset, "start_date": None, "end_date": None, "samples": 20}


def record(
    type_name: str, identity: dict[str, Any], outputs: dict[str, Any], **changes: Any
) -> ResourceState:
    state = ResourceState(
        type=type_name, provider="alviss", fingerprint=fingerprint(identity), inputs=identity, outputs=outputs
    )
    return state.model_copy(update=changes)


def running(word: str = "running") -> JobFacts:
    return JobFacts(live={"Status": word}, status=JobStatus(word=word, state="running"))


DONE = JobFacts(live={"Status": "completed"}, status=JobStatus(word="completed", state="succeeded"))

RECORDS = {
    "alviss.upload.sales": ResourceState(type="alviss.upload", provider="alviss", outputs={"upload_id": 3}),
    DATASET: ResourceState(type="alviss.active_dataset", provider="alviss", outputs={"dataset_id": 2}),
    REFIT: record("alviss.refit", refit_identity(2), {"model_id": 12, "dataset_id": 2}),
    ATTRIBUTION: record("alviss.attribution", attribution_identity(12, 2), {"attribution_id": 6}),
    SET: ResourceState(
        type="alviss.active_attribution_set", provider="alviss", outputs={"attribution_set_id": 2}
    ),
}


def facts(
    *,
    dataset: int = 2,
    uploads: tuple[int, ...] = (1, 2, 3),
    attributions: tuple[int, ...] = (4, 6),
    **over: Any,
) -> dict[str, Any]:
    base: dict[str, Any] = {
        "alviss.upload.sales": UploadFacts(
            file=LocalFile("sales.csv", 1, "a" * 64), live=shapes.Upload(Status="complete")
        ),
        DATASET: ActiveDatasetFacts(
            active=shapes.ActiveDataset(IId=dataset, Status="complete", DataUploads=list(uploads))
        ),
        REFIT: DONE,
        ATTRIBUTION: DONE,
        SET: SetFacts(
            active=shapes.ActiveAttributionSet.model_validate(
                {"IId": 2, "Status": "complete", "Attributions": [{"IId": i} for i in attributions]}
            )
        ),
    }
    base.update(over)
    return base


def with_upload_identity(records: dict[str, ResourceState]) -> dict[str, ResourceState]:
    identity = {"dataset_name": "Sales", "sha256": "a" * 64}
    upload = record("alviss.upload", identity, {"upload_id": 3})
    return {**records, "alviss.upload.sales": upload}


@dataclass
class Case:
    name: str
    records: dict[str, ResourceState]
    facts: dict[str, Any]
    expected: dict[str, tuple[Action, str]]
    epochs: int = 500
    keep: bool = True


CASES = [
    Case(
        "in sync",
        RECORDS,
        facts(),
        {REFIT: (Action.NOOP, ""), ATTRIBUTION: (Action.NOOP, ""), SET: (Action.NOOP, "")},
    ),
    Case(
        "new active dataset outside: refit on the latest data, and on down the chain",
        RECORDS,
        facts(dataset=5),
        {
            DATASET: (Action.NOOP, ""),
            REFIT: (Action.REPLACE, "dataset: 2 → 5"),
            ATTRIBUTION: (Action.REPLACE, "alviss.refit.se changes"),
            SET: (Action.UPDATE, "alviss.attribution.se is not made yet"),
        },
    ),
    Case(
        "params changed", RECORDS, facts(), {REFIT: (Action.REPLACE, "params.epochs: 500 → 900")}, epochs=900
    ),
    Case(
        "refit submitted by an earlier run: resume",
        {
            **RECORDS,
            REFIT: record(
                "alviss.refit",
                refit_identity(2),
                {},
                status="pending",
                pending=PendingOperation(
                    action="create", step="refit", job_id=13, fingerprint=fingerprint(refit_identity(2))
                ),
            ),
        },
        facts(**{REFIT: running()}),
        {
            REFIT: (Action.RESUME, "refit 13 was submitted by an earlier run"),
            ATTRIBUTION: (Action.REPLACE, ""),
        },
    ),
    Case(
        "refit pending for old inputs is not resumed",
        {
            **RECORDS,
            REFIT: record(
                "alviss.refit",
                refit_identity(2),
                {"model_id": 12},
                status="pending",
                pending=PendingOperation(
                    action="replace", step="refit", job_id=13, fingerprint=fingerprint(refit_identity(1))
                ),
            ),
        },
        facts(**{REFIT: running()}),
        {REFIT: (Action.NOOP, "")},
    ),
    Case(
        "refit gone",
        RECORDS,
        facts(**{REFIT: JobFacts(gone=True)}),
        {REFIT: (Action.CREATE, "refit 12 no longer exists")},
    ),
    Case(
        "refit failed on the platform",
        RECORDS,
        facts(
            **{REFIT: JobFacts(live={}, status=JobStatus(word="failed", state="failed", message="diverged"))}
        ),
        {REFIT: (Action.REPLACE, "failed on the platform: diverged")},
    ),
    Case(
        "attribution left the active set (someone changed it)",
        RECORDS,
        facts(attributions=(4,)),
        {SET: (Action.UPDATE, "lacks attributions 6")},
    ),
    Case(
        "keep_existing false: extras must go",
        RECORDS,
        facts(attributions=(4, 5, 6)),
        {SET: (Action.UPDATE, "also holds 5")},
        keep=False,
    ),
    Case(
        "no active attribution set",
        RECORDS,
        facts(**{SET: SetFacts(active=None)}),
        {SET: (Action.CREATE, "no active attribution set")},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_model_decisions(tmp_path: Path, case: Case) -> None:
    spec = load(tmp_path, epochs=case.epochs, keep=case.keep)
    plan = make_plan(
        spec, StateDocument(resources=with_upload_identity(case.records)), case.facts, types=resource_type
    )
    for address, (action, reason) in case.expected.items():
        change = plan[address]
        assert change.action is action, (address, change.action, change.reasons)
        assert reason in " / ".join(change.reasons), (address, change.reasons)
