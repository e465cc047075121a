"""The workspace view: each resource's status word from its record and the last plan (pure tables)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from reconciler.engine.plan import Change, Plan
from reconciler.providers.base import Decision
from reconciler.report import view_of
from reconciler.report.view import RunView, run_view
from reconciler.state.document import PendingOperation, ResourceState, StateDocument
from reconciler.state.runs import RunRecord
from reconciler.vocabulary import Action, Reason

NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)


def record(status: str = "ready", **fields: Any) -> ResourceState:
    return ResourceState(type="alviss.refit", provider="alviss", status=status, **fields)  # type: ignore[arg-type]


def ch(
    address: str,
    action: Action,
    reason: Reason,
    *,
    cause: Any = None,
    caused_by: tuple[str, ...] = (),
    **decided: Any,
) -> Change:
    decision = Decision(action=action, reason=reason, **decided)
    return Change(address, "alviss.refit", "alviss", decision, caused_by=caused_by, cause=cause)


def plan_of(*changes: Change) -> Plan:
    return Plan(changes=changes, lineage="l", serial=3)


def status_of(rec: ResourceState | None, chg: Change | None) -> tuple[str, str | None]:
    state = StateDocument(resources={"alviss.refit.weekly": rec} if rec else {})
    plan = plan_of(chg) if chg else None
    view = view_of("w", spec=None, state=state, plan=plan, now=NOW)
    if not view.resources:
        return "", None
    return view.resources[0].status, view.resources[0].message


@pytest.mark.parametrize(
    ("rec", "chg", "expected"),
    [
        (
            record("tainted", error="refit 12 failed: out of memory"),
            None,
            ("failed", "refit 12 failed: out of memory"),
        ),
        (record("rejected", error="f1 is 0.6, below 0.8"), None, ("rejected", "f1 is 0.6, below 0.8")),
        (
            record(
                "pending", pending=PendingOperation(action="create", step="refit", fingerprint="sha256:x")
            ),
            ch(
                "alviss.refit.weekly",
                Action.REPLACE,
                Reason.FAILED_ON_PLATFORM,
                reasons=("refit 12 failed: diverged",),
                cause="live",
            ),
            ("failed", "refit 12 failed: diverged"),
        ),
    ],
)
def test_failed_and_rejected_resources_carry_the_platforms_message(
    rec: ResourceState, chg: Change | None, expected: tuple[str, str]
) -> None:
    # Not in the spec (spec=None): still shown with what the state says of it.
    assert status_of(rec, chg) == expected


def test_each_status_word() -> None:
    pending = PendingOperation(
        action="create",
        step="refit",
        fingerprint="sha256:x",
        job_id=12,
        submitted_at=NOW - timedelta(minutes=5),
    )
    state = StateDocument(
        resources={
            "alviss.refit.a": record("pending", pending=pending),
            "alviss.refit.b": record(),
            "alviss.refit.c": record(),
            "alviss.refit.d": record("rejected", error="below the gate"),
        }
    )
    plan = plan_of(
        ch("alviss.refit.a", Action.RESUME, Reason.JOB_RUNNING, cause="running"),
        ch("alviss.refit.b", Action.UPDATE, Reason.LIVE_CHANGED, cause="live", reasons=("switched outside",)),
        ch(
            "alviss.refit.c",
            Action.UPDATE,
            Reason.UPSTREAM_CHANGES,
            caused_by=("alviss.refit.a",),
            cause="running",
        ),
        ch("alviss.refit.d", Action.NOOP, Reason.REJECTED, reasons=("x",)),
        ch("alviss.refit.e", Action.CREATE, Reason.NO_RECORD, cause="spec"),
    )
    view = view_of("w", spec=None, state=state, plan=plan, now=NOW)
    statuses = {resource.address: resource.status for resource in view.resources}
    assert statuses == {
        "alviss.refit.a": "running",
        "alviss.refit.b": "drifted",
        "alviss.refit.c": "waiting",
        "alviss.refit.d": "rejected",
        "alviss.refit.e": "new",
    }
    (job,) = view.jobs
    assert (job.address, job.job_id, job.step, job.age_seconds, job.status) == (
        "alviss.refit.a",
        "12",
        "refit",
        300.0,
        "running",
    )
    assert [problem.address for problem in view.problems] == ["alviss.refit.b", "alviss.refit.d"]
    assert view.problems[0].message == "switched outside"  # what the plan found
    assert view.drift == "live"  # someone changed production: the most urgent class wins
    assert view.plan_summary == "1 to create, 2 to change, 1 to resume"
    assert [c.address for c in view.changes] == [
        "alviss.refit.a",
        "alviss.refit.b",
        "alviss.refit.c",
        "alviss.refit.e",
    ]
    assert view.changes[2].chain == ("alviss.refit.a", "alviss.refit.c")
    assert view.worst == "rejected"
    assert view.counts == (("rejected", 1), ("running", 1), ("drifted", 1), ("waiting", 1), ("new", 1))


def test_a_plan_without_changes_is_in_sync_and_no_plan_is_not_planned() -> None:
    state = StateDocument(resources={"alviss.refit.a": record()})
    synced = view_of("w", spec=None, state=state, plan=plan_of(), now=NOW)
    assert (synced.drift, synced.plan_summary) == ("in sync", "No changes.")
    unplanned = view_of("w", spec=None, state=state, now=NOW)
    assert (unplanned.drift, unplanned.plan_summary, unplanned.changes) == (None, None, ())
    assert unplanned.resources[0].status == "ready"  # no spec given: the record is all there is


def test_a_time_without_a_zone_is_read_as_utc() -> None:
    pending = PendingOperation(
        action="create", step="upload", fingerprint="f", submitted_at=datetime(2026, 12, 1, 3, 59)
    )
    state = StateDocument(resources={"alviss.upload.a": record("pending", pending=pending)})
    (job,) = view_of("w", spec=None, state=state, now=NOW).jobs
    assert job.age_seconds == 60.0


def test_a_job_without_a_plan_is_recorded_and_its_age_never_negative() -> None:
    pending = PendingOperation(
        action="create", step="upload", fingerprint="f", submitted_at=NOW + timedelta(seconds=5)
    )
    state = StateDocument(resources={"alviss.upload.a": record("pending", pending=pending)})
    (job,) = view_of("w", spec=None, state=state, now=NOW).jobs
    assert (job.status, job.age_seconds, job.job_id) == ("recorded", 0.0, None)


def test_module_instances_and_keys_are_groups_with_their_worst_status() -> None:
    state = StateDocument(
        resources={
            "module.market[se].alviss.refit.weekly": record("tainted", error="boom"),
            "module.market[se].alviss.upload.sales": record(),
            "module.market[no].alviss.refit.weekly": record(),
            "alviss.refit.weekly[fi]": record(),
            "alviss.refit.solo": record(),
        }
    )
    view = view_of("w", spec=None, state=state, now=NOW)
    groups = {group.name: (group.status, group.counts) for group in view.groups}
    assert groups == {
        "module.market[se]": ("failed", (("failed", 1), ("ready", 1))),
        "module.market[no]": ("ready", (("ready", 1),)),
        "[fi]": ("ready", (("ready", 1),)),
    }


def test_an_error_makes_the_workspace_failed_even_with_nothing_else_known() -> None:
    view = view_of("broken", spec=None, state=None, error="specs/x.yaml:3:1: bad", now=NOW)
    assert (view.worst, view.error, view.resources, view.serial) == (
        "failed",
        "specs/x.yaml:3:1: bad",
        (),
        None,
    )


def test_runs_of_the_history_read_as_words() -> None:
    started = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    run = RunRecord(
        workspace="weekly",
        kind="apply",
        started_at=started,
        finished_at=started + timedelta(seconds=42),
        outcome="failed",
        drift="live",
        plan_summary={"update": 1, "resume": 2},
        apply_summary={"done": 2, "failed": 1},
        failures={"alviss.refit.a": "refit 12 failed: diverged"},
        agent="host-a:123",
    )
    view = view_of("weekly", spec=None, state=None, runs=[run], now=NOW)
    (shown,) = view.runs
    assert shown == RunView(
        started_at=started,
        finished_at=started + timedelta(seconds=42),
        outcome="failed",
        kind="apply",
        drift="live",
        plan="1 update, 2 resume",
        apply="2 done, 1 failed",
        errors=("alviss.refit.a: refit 12 failed: diverged",),
        agent="host-a:123",
    )
    waiting = run_view(
        RunRecord(
            workspace="weekly",
            kind="plan",
            started_at=started,
            finished_at=started,
            outcome="in_sync",
            drift="in_sync",
            plan_file="plans/weekly.plan",
        )
    )
    assert (waiting.outcome, waiting.drift, waiting.plan, waiting.agent, waiting.plan_file) == (
        "in sync",
        "in sync",
        None,
        None,
        "plans/weekly.plan",
    )


def test_a_run_may_be_any_object_or_mapping_with_the_fields() -> None:
    started = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    shown = run_view(SimpleNamespace(started_at=started, error="alviss: 503", ok=None, outcome=None))
    assert (shown.outcome, shown.errors) == ("failed", ("alviss: 503",))
    as_mapping = run_view({"started_at": "2026-12-01T03:00:00", "ok": True})
    assert (as_mapping.started_at, as_mapping.outcome) == (started, "ok")
