"""``sony_epa.retrain`` decisions as a table: {config, state record, live facts} → action and reason.

``decide`` is pure, so each row builds its facts by hand: no HTTP, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from reconciler.providers.base import Desired, Target, fingerprint
from reconciler.providers.files import LocalFile
from reconciler.providers.sony_epa.client import RetrainJob
from reconciler.providers.sony_epa.config import RetrainConfig
from reconciler.providers.sony_epa.retrain import Retrain, RetrainFacts, identity
from reconciler.state.document import PendingOperation, ResourceState
from reconciler.vocabulary import KNOWN_AFTER_APPLY, Action

TRAIN = LocalFile(path="train.csv", size=100, sha256="a" * 64)
EDITED = LocalFile(path="train.csv", size=120, sha256="c" * 64)
EVAL = LocalFile(path="eval.csv", size=50, sha256="e" * 64)
CONFIG = RetrainConfig(train_file="train.csv")
JOB = "job-1"


def finished(job: str = JOB) -> RetrainJob:
    return RetrainJob.model_validate(
        {"status": "finished", "model_id": "m-2", "metadata": {"retrain_job_id": job}}
    )


def word(status: str, job: str = JOB, **extra: Any) -> RetrainJob:
    return RetrainJob.model_validate({"status": status, "metadata": {"retrain_job_id": job}, **extra})


def recorded(config: RetrainConfig = CONFIG, train: LocalFile = TRAIN, **changes: Any) -> ResourceState:
    record = ResourceState(
        type="sony_epa.retrain",
        provider="sony_epa",
        fingerprint=fingerprint(identity(config, train, None)),
        inputs=identity(config, train, None).canonical(),
        display={"status": "finished", "train_file_label": "train.csv (100 B, sha256 aaaaaaaaaaaa)"},
        outputs={"retrain_job_id": JOB, "model_id": "m-2", "switched": config.switch},
    )
    return record.model_copy(update=changes)


def pending(step: str, job: str | None, config: RetrainConfig = CONFIG, **detail: Any) -> PendingOperation:
    return PendingOperation(
        action="create",
        step=step,
        fingerprint=fingerprint(identity(config, TRAIN, None)),
        job_id=job,
        detail=detail,
    )


@dataclass
class Case:
    name: str
    record: ResourceState | None
    facts: RetrainFacts
    expected: Action
    reason: str
    config: RetrainConfig = field(default_factory=lambda: CONFIG)


NO_SWITCH = RetrainConfig(train_file="train.csv", switch=False)

CASES = [
    Case("nothing recorded", None, RetrainFacts(train=TRAIN), Action.CREATE, "no retrain recorded"),
    Case("finished and switched", recorded(), RetrainFacts(train=TRAIN, live=finished()), Action.NOOP, ""),
    Case(
        "finished, switch not wanted",
        recorded(NO_SWITCH),
        RetrainFacts(train=TRAIN, live=finished()),
        Action.NOOP,
        "",
        NO_SWITCH,
    ),
    Case(
        "finished, switch turned on later: only switch",
        recorded(NO_SWITCH),
        RetrainFacts(train=TRAIN, live=finished()),
        Action.UPDATE,
        "was not switched to it",
    ),
    Case(
        "switch turned off later: nothing to do remotely",
        recorded(),
        RetrainFacts(train=TRAIN, live=finished()),
        Action.NOOP,
        "",
        NO_SWITCH,
    ),
    Case(
        "training file changed",
        recorded(),
        RetrainFacts(train=EDITED, live=finished()),
        Action.REPLACE,
        "train.csv changed (sha256 aaaaaaaaaaaa → cccccccccccc)",
    ),
    Case(
        "evaluation file added",
        recorded(),
        RetrainFacts(train=TRAIN, evaluation=EVAL, live=finished()),
        Action.REPLACE,
        "eval_file eval.csv added",
        RetrainConfig(train_file="train.csv", eval_file="eval.csv"),
    ),
    Case(
        "evaluation file removed",
        recorded(RetrainConfig(train_file="train.csv", eval_file="eval.csv")).model_copy(
            update={"inputs": identity(CONFIG, TRAIN, EVAL).canonical()}
        ),
        RetrainFacts(train=TRAIN, live=finished()),
        Action.REPLACE,
        "eval_file removed (it was sha256 eeeeeeeeeeee)",
    ),
    Case(
        "recorded job gone from the platform",
        recorded(),
        RetrainFacts(train=TRAIN, gone=True),
        Action.REPLACE,
        "no longer on the platform (Not found retrain job.)",
    ),
    Case(
        "recorded job failed on the platform",
        recorded(),
        RetrainFacts(train=TRAIN, live=word("failed", message="bad data")),
        Action.REPLACE,
        "failed: bad data",
    ),
    Case(
        "last attempt failed",
        recorded(status="tainted", error="retrain job job-1 failed: empty"),
        RetrainFacts(train=TRAIN, live=finished()),
        Action.REPLACE,
        "the last attempt failed",
    ),
    Case(
        "submitted by an earlier run, still running",
        ResourceState(
            type="sony_epa.retrain", provider="sony_epa", status="pending", pending=pending("upload", JOB)
        ),
        RetrainFacts(train=TRAIN, live=word("running")),
        Action.RESUME,
        "waiting for it, then switching",
    ),
    Case(
        "finished but an earlier run stopped before switching",
        recorded(NO_SWITCH, status="pending", pending=pending("switch", JOB)),
        RetrainFacts(train=TRAIN, live=finished()),
        Action.RESUME,
        "stopped before switching",
    ),
    Case(
        "the data never arrived: upload again",
        ResourceState(
            type="sony_epa.retrain", provider="sony_epa", status="pending", pending=pending("upload", JOB)
        ),
        RetrainFacts(train=TRAIN, live=word("waiting")),
        Action.CREATE,
        "never arrived",
    ),
    Case(
        # The words of a job without data are INFERRED ("waiting"); a platform reporting another one
        # (the documented emulator says "preparing") must not make the next run wait a day for it.
        "stopped before the data was sent, whatever the job's word",
        ResourceState(
            type="sony_epa.retrain",
            provider="sony_epa",
            status="pending",
            pending=pending("upload", JOB, data_step=True),
        ),
        RetrainFacts(train=TRAIN, live=word("preparing")),
        Action.CREATE,
        "stopped before sending the data",
    ),
    Case(
        "the data's answer was lost and the word is unknown: wait, never train twice",
        ResourceState(
            type="sony_epa.retrain",
            provider="sony_epa",
            status="pending",
            pending=pending("send_data", JOB, data_step=True),
        ),
        RetrainFacts(train=TRAIN, live=word("preparing")),
        Action.RESUME,
        "waiting for it",
    ),
    Case(
        "the data's answer was lost and the job waits for data",
        ResourceState(
            type="sony_epa.retrain",
            provider="sony_epa",
            status="pending",
            pending=pending("send_data", JOB, data_step=True),
        ),
        RetrainFacts(train=TRAIN, live=word("waiting")),
        Action.CREATE,
        "never arrived",
    ),
    Case(
        "the upload URL's answer was lost",
        ResourceState(
            type="sony_epa.retrain", provider="sony_epa", status="pending", pending=pending("upload", None)
        ),
        RetrainFacts(train=TRAIN),
        Action.CREATE,
        "got no answer",
    ),
    Case(
        "pending job vanished",
        recorded(status="pending", pending=pending("upload", "job-2")),
        RetrainFacts(train=TRAIN, gone=True),
        Action.REPLACE,
        "job-2 of an earlier run is no longer on the platform",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_decide(case: Case) -> None:
    target = Target(
        address="sony_epa.retrain.churn", provider="sony_epa", config=case.config, base_dir=Path(".")
    )
    decision = Retrain().decide(Desired(target), case.record, case.facts)
    assert decision.action is case.expected, decision.reasons
    if case.reason:
        assert any(case.reason in reason for reason in decision.reasons), decision.reasons
    if case.expected is Action.NOOP:
        assert decision.outputs is not None and decision.outputs["retrain_job_id"] == JOB
    if case.expected in (Action.CREATE, Action.REPLACE):
        assert decision.after["retrain_job_id"] is KNOWN_AFTER_APPLY
    assert decision.fingerprint == fingerprint(identity(case.config, case.facts.train, case.facts.evaluation))


def test_a_noop_refreshes_the_record_when_only_switch_was_turned_off() -> None:
    target = Target(
        address="sony_epa.retrain.churn", provider="sony_epa", config=NO_SWITCH, base_dir=Path(".")
    )
    decision = Retrain().decide(Desired(target), recorded(), RetrainFacts(train=TRAIN, live=finished()))
    assert decision.action is Action.NOOP and decision.refreshed is not None
    assert (
        decision.refreshed.fingerprint == decision.fingerprint
        and decision.refreshed.inputs["switch"] is False
    )
    in_sync = Retrain().decide(
        Desired(target), decision.refreshed, RetrainFacts(train=TRAIN, live=finished())
    )
    assert in_sync.action is Action.NOOP and in_sync.refreshed is None
