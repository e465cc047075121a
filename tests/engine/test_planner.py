"""Planner decisions as a table: {spec, state, live facts} → expected changes.

``make_plan`` is pure, so every case builds its facts by hand: no HTTP, no
clock.  Each row names the state records and live objects, and the actions
(and a fragment of the reason) expected for every address.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from reconciler.engine.planner import make_plan
from reconciler.providers.alviss import shapes
from reconciler.providers.alviss.active_dataset import ActiveDatasetFacts
from reconciler.providers.alviss.config import UploadConfig
from reconciler.providers.alviss.upload import LocalFile, UploadFacts, identity
from reconciler.providers.base import fingerprint
from reconciler.providers.registry import resource_type, spec_registry
from reconciler.spec import load_spec
from reconciler.spec.document import Spec
from reconciler.state.document import PendingOperation, ResourceState, StateDocument
from reconciler.vocabulary import KNOWN_AFTER_APPLY, Action

SALES = "alviss.upload.sales"
MEDIA = "alviss.upload.media"
ACTIVE = "alviss.active_dataset.main"

SPEC = """
providers:
  alviss: {endpoint: "emulator://alviss", team: 1, project: 1}
resources:
  alviss.upload.sales: {dataset_name: Sales, file: sales.csv}
  alviss.upload.media: {dataset_name: Media, file: media.csv}
  alviss.active_dataset.main: {contains: [alviss.upload.sales, alviss.upload.media]}
"""

SALES_FILE = LocalFile(path="sales.csv", size=100, sha256="a" * 64)
MEDIA_FILE = LocalFile(path="media.csv", size=200, sha256="b" * 64)


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> Spec:
    root = tmp_path_factory.mktemp("spec")
    (root / "spec.yaml").write_text(SPEC)
    for name in ("sales.csv", "media.csv"):  # data files must exist; their facts here are made up
        (root / name).write_text("week,value\n")
    return load_spec(root / "spec.yaml", registry=spec_registry(), environ={})


def upload_record(file: LocalFile, dataset_name: str, upload_id: int, **changes: Any) -> ResourceState:
    record = ResourceState(
        type="alviss.upload",
        provider="alviss",
        fingerprint=fingerprint({"dataset_name": dataset_name, "sha256": file.sha256}),
        inputs={"dataset_name": dataset_name, "sha256": file.sha256, "file": file.path},
        outputs={"upload_id": upload_id},
    )
    return record.model_copy(update=changes)


def live_upload(upload_id: int, status: str = "complete", **extra: Any) -> shapes.Upload:
    return shapes.Upload.model_validate({"IId": upload_id, "Status": status, **extra})


def dataset(dataset_id: int, uploads: list[int], status: str = "complete") -> shapes.ActiveDataset:
    return shapes.ActiveDataset.model_validate(
        {"IId": dataset_id, "Status": status, "Active": True, "DataUploads": uploads}
    )


RECORDED = {
    SALES: upload_record(SALES_FILE, "Sales", 3),
    MEDIA: upload_record(MEDIA_FILE, "Media", 4),
    ACTIVE: ResourceState(
        type="alviss.active_dataset",
        provider="alviss",
        outputs={"dataset_id": 2, "upload_ids": [1, 2, 3, 4]},
    ),
}
IN_SYNC = {
    SALES: UploadFacts(file=SALES_FILE, live=live_upload(3)),
    MEDIA: UploadFacts(file=MEDIA_FILE, live=live_upload(4)),
    ACTIVE: ActiveDatasetFacts(active=dataset(2, [1, 2, 3, 4])),
}
SALES_IDENTITY = {"dataset_name": "Sales", "sha256": "a" * 64}
EDITED_SALES = LocalFile(path="sales.csv", size=120, sha256="c" * 64)


@dataclass
class Case:
    name: str
    records: dict[str, ResourceState]
    facts: dict[str, Any]
    expected: dict[str, tuple[Action, str]]
    extra_records: dict[str, ResourceState] = field(default_factory=dict)


CASES = [
    Case(
        "nothing recorded: upload both, then a new active dataset",
        {},
        {
            SALES: UploadFacts(file=SALES_FILE, live=None),
            MEDIA: UploadFacts(file=MEDIA_FILE, live=None),
            ACTIVE: ActiveDatasetFacts(active=dataset(1, [1, 2])),
        },
        {
            SALES: (Action.CREATE, "no upload recorded"),
            MEDIA: (Action.CREATE, "no upload recorded"),
            ACTIVE: (Action.UPDATE, "alviss.upload.sales is not uploaded yet"),
        },
    ),
    Case(
        "everything in sync",
        RECORDED,
        IN_SYNC,
        {SALES: (Action.NOOP, ""), MEDIA: (Action.NOOP, ""), ACTIVE: (Action.NOOP, "")},
    ),
    Case(
        "edited data file: one new upload, one new dataset",
        RECORDED,
        {**IN_SYNC, SALES: UploadFacts(file=EDITED_SALES, live=live_upload(3))},
        {
            SALES: (Action.REPLACE, "sales.csv changed (sha256 aaaaaaaaaaaa → cccccccccccc)"),
            MEDIA: (Action.NOOP, ""),
            ACTIVE: (Action.UPDATE, "alviss.upload.sales is not uploaded yet"),
        },
    ),
    Case(
        "dataset type changed",
        {**RECORDED, SALES: upload_record(SALES_FILE, "Price", 3)},
        IN_SYNC,
        {SALES: (Action.REPLACE, "dataset_name changed (Price → Sales)"), ACTIVE: (Action.UPDATE, "")},
    ),
    Case(
        "recorded upload gone from the platform",
        RECORDED,
        {**IN_SYNC, SALES: UploadFacts(file=SALES_FILE, live=None, gone=True)},
        {SALES: (Action.CREATE, "upload 3 no longer exists"), ACTIVE: (Action.UPDATE, "")},
    ),
    Case(
        "recorded upload failed on the platform",
        RECORDED,
        {**IN_SYNC, SALES: UploadFacts(file=SALES_FILE, live=live_upload(3, "failed", Message="bad date"))},
        {SALES: (Action.REPLACE, "upload 3 failed on the platform: bad date")},
    ),
    Case(
        "tainted by an earlier failure",
        {**RECORDED, SALES: upload_record(SALES_FILE, "Sales", 3, status="tainted", error="boom")},
        IN_SYNC,
        {SALES: (Action.REPLACE, "the last attempt failed: boom")},
    ),
    Case(
        "upload submitted by an earlier run, still running: resume",
        {
            **RECORDED,
            SALES: ResourceState(
                type="alviss.upload",
                provider="alviss",
                status="pending",
                pending=PendingOperation(
                    action="create",
                    step="upload",
                    job_id=9,
                    fingerprint=fingerprint(SALES_IDENTITY),
                ),
            ),
        },
        {**IN_SYNC, SALES: UploadFacts(file=SALES_FILE, live=live_upload(9, "running"))},
        {SALES: (Action.RESUME, "upload 9 was submitted by an earlier run"), ACTIVE: (Action.UPDATE, "")},
    ),
    Case(
        "upload sent by an earlier run whose answer was lost",
        {
            **RECORDED,
            SALES: ResourceState(
                type="alviss.upload",
                provider="alviss",
                status="pending",
                pending=PendingOperation(
                    action="create", step="upload", fingerprint=fingerprint(SALES_IDENTITY)
                ),
            ),
        },
        {**IN_SYNC, SALES: UploadFacts(file=SALES_FILE, live=None)},
        {SALES: (Action.CREATE, "got no answer")},
    ),
    Case(
        "someone activated another dataset that lacks our uploads",
        RECORDED,
        {**IN_SYNC, ACTIVE: ActiveDatasetFacts(active=dataset(7, [1, 2, 3]))},
        {
            SALES: (Action.NOOP, ""),
            ACTIVE: (Action.UPDATE, "changed outside reconciler: now 7, recorded 2"),
        },
    ),
    Case(
        "someone activated another dataset that still has our uploads: nothing to do",
        RECORDED,
        {**IN_SYNC, ACTIVE: ActiveDatasetFacts(active=dataset(8, [1, 2, 3, 4, 5]))},
        {ACTIVE: (Action.NOOP, "")},
    ),
    Case(
        "ids are compared in one form: upload '3' recorded, 3 live; dataset '2' live, 2 recorded",
        {**RECORDED, SALES: upload_record(SALES_FILE, "Sales", "3")},  # type: ignore[arg-type]
        {
            **IN_SYNC,
            ACTIVE: ActiveDatasetFacts(
                active=shapes.ActiveDataset.model_validate({"IId": "2", "DataUploads": ["1", "2", 3, "4"]})
            ),
        },
        {SALES: (Action.NOOP, ""), ACTIVE: (Action.NOOP, "")},
    ),
    Case(
        "the dataset reconciler recorded does not show its uploads: the recorded membership stands",
        RECORDED,
        {**IN_SYNC, ACTIVE: ActiveDatasetFacts(active=shapes.ActiveDataset(IId=2, Status="complete"))},
        {ACTIVE: (Action.NOOP, "")},
    ),
    Case(
        "another dataset that does not show its uploads: extend it with all of ours",
        RECORDED,
        {**IN_SYNC, ACTIVE: ActiveDatasetFacts(active=shapes.ActiveDataset(IId=7, Status="complete"))},
        {ACTIVE: (Action.UPDATE, "does not show its uploads")},
    ),
    Case(
        "no active dataset at all",
        RECORDED,
        {**IN_SYNC, ACTIVE: ActiveDatasetFacts(active=None)},
        {ACTIVE: (Action.CREATE, "no active dataset")},
    ),
    Case(
        "dataset built by an earlier run: resume and activate",
        {
            **RECORDED,
            ACTIVE: ResourceState(
                type="alviss.active_dataset",
                provider="alviss",
                status="pending",
                pending=PendingOperation(action="update", step="create_dataset", job_id=9, fingerprint="x"),
            ),
        },
        {
            **IN_SYNC,
            ACTIVE: ActiveDatasetFacts(
                active=dataset(2, [1, 2]), building=dataset(9, [1, 2, 3, 4], "running")
            ),
        },
        {ACTIVE: (Action.RESUME, "dataset 9 was created by an earlier run")},
    ),
    Case(
        "a resource removed from the spec is forgotten",
        {**RECORDED, "alviss.upload.old": upload_record(SALES_FILE, "Sales", 1)},
        IN_SYNC,
        {"alviss.upload.old": (Action.FORGET, "no longer in the spec")},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_planner_decisions(spec: Spec, case: Case) -> None:
    state = StateDocument(resources=case.records)
    plan = make_plan(spec, state, case.facts, types=resource_type)
    for address, (action, reason) in case.expected.items():
        change = plan[address]
        assert change.action is action, (address, change)
        assert reason in " / ".join(change.reasons), (address, change.reasons)


def test_forgets_come_last_by_address_whatever_order_the_state_holds(spec: Spec) -> None:
    gone = ["alviss.upload.zeta", "alviss.upload.alpha", "alviss.upload.mid"]
    records = {**RECORDED, **{address: upload_record(SALES_FILE, "Sales", 1) for address in gone}}
    plan = make_plan(spec, StateDocument(resources=records), IN_SYNC, types=resource_type)
    forgets = [change.address for change in plan.changes if change.action is Action.FORGET]
    assert forgets == sorted(gone)
    assert [change.action for change in plan.changes][-3:] == [Action.FORGET] * 3


def test_upstream_change_propagates_with_reason_chain(spec: Spec) -> None:
    facts = {**IN_SYNC, SALES: UploadFacts(file=EDITED_SALES, live=live_upload(3))}
    plan = make_plan(spec, StateDocument(resources=RECORDED), facts, types=resource_type)
    active = plan[ACTIVE]
    assert active.caused_by == (SALES,)
    assert [step.address for step in plan.chain(ACTIVE)] == [SALES, ACTIVE]
    assert active.after["dataset"] is KNOWN_AFTER_APPLY
    assert active.after["uploads"] == [1, 2, 3, 4, KNOWN_AFTER_APPLY]
    assert plan.counts() == {Action.REPLACE: 1, Action.UPDATE: 1}


def test_adopts_live_dataset_that_already_contains_the_uploads(spec: Spec) -> None:
    records = {SALES: RECORDED[SALES], MEDIA: RECORDED[MEDIA]}
    plan = make_plan(spec, StateDocument(resources=records), IN_SYNC, types=resource_type)
    change = plan[ACTIVE]
    # Shown as an adoption (the record is written on apply; nothing is sent).
    assert change.action is Action.ADOPT
    assert not change.action.mutates
    assert change.refreshed is not None
    assert change.refreshed.outputs == {"dataset_id": 2, "upload_ids": [1, 2, 3, 4]}
    assert change.after == {"dataset_id": 2, "upload_ids": [1, 2, 3, 4]}
    assert plan.counts() == {Action.ADOPT: 1}


def test_in_sync_plan_refreshes_nothing(spec: Spec) -> None:
    plan = make_plan(spec, StateDocument(resources=RECORDED), IN_SYNC, types=resource_type)
    assert not plan.has_changes
    assert all(change.refreshed is None for change in plan.changes if change.type == "alviss.upload")


def test_fingerprint_is_the_identity() -> None:
    config = UploadConfig(dataset_name="Sales", file="x.csv")
    assert identity(config, SALES_FILE).canonical() == {"dataset_name": "Sales", "sha256": "a" * 64}
