"""An approval names the plan's exact bytes: other bytes, or no approval, are not approved."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reconciler import errors
from reconciler.agent import approval


def test_an_approval_holds_for_those_bytes_only(tmp_path: Path) -> None:
    plan = tmp_path / "demo.plan"
    plan.write_text('{"plan": 1}\n')
    assert approval.approval_of(plan) is None
    given = approval.approve(plan, now=datetime(2026, 12, 1, tzinfo=UTC), who="ann@desk")
    stored = json.loads(approval.approval_path(plan).read_text())
    assert stored == {
        "plan_sha256": given.sha256,
        "approved_by": "ann@desk",
        "approved_at": "2026-12-01T00:00:00+00:00",
    }
    assert approval.approval_of(plan) == given
    plan.write_text('{"plan": 2}\n')
    assert approval.approval_of(plan) is None
    approval.withdraw(plan)
    assert not plan.exists() and not approval.approval_path(plan).exists()
    approval.withdraw(plan)  # nothing left: nothing to do


def test_an_unreadable_approval_is_none(tmp_path: Path) -> None:
    plan = tmp_path / "demo.plan"
    plan.write_text("{}")
    approval.approval_path(plan).write_text("not json")
    assert approval.approval_of(plan) is None


def test_approving_a_missing_plan_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(errors.PlanError, match="cannot read the plan"):
        approval.approve(tmp_path / "none.plan")
