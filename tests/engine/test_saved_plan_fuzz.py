"""Whatever a plan file holds, reading it gives a plan or a PlanError: never another exception."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler import errors
from reconciler.engine import saved
from reconciler.engine.plan import Change, Plan
from reconciler.providers.base import Decision
from reconciler.state.document import ResourceState
from reconciler.vocabulary import KNOWN_AFTER_APPLY, Action, Reason

PLAN = Plan(
    changes=(
        Change(
            address="alviss.upload.a",
            type="alviss.upload",
            provider="alviss",
            decision=Decision(
                action=Action.CREATE,
                reason=Reason.NO_RECORD,
                summary="new upload",
                reasons=("no upload recorded",),
                after={"upload_id": KNOWN_AFTER_APPLY, "file": "a.csv"},
                fingerprint="sha256:" + "a" * 64,
            ),
            basis="sha256:" + "b" * 64,
            cause="spec",
        ),
        Change(
            address="alviss.upload.b",
            type="alviss.upload",
            provider="alviss",
            decision=Decision(
                action=Action.NOOP,
                reason=Reason.IN_SYNC,
                refreshed=ResourceState(type="alviss.upload", provider="alviss", outputs={"upload_id": 3}),
            ),
            basis="sha256:" + "c" * 64,
        ),
    ),
    lineage="5f1e",
    serial=4,
    providers={"alviss": "emulator://alviss"},
)
DOCUMENT = json.loads(json.dumps(saved.to_document(PLAN, sources=["spec.yaml"])))

values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=10,
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*prefix, index))
    return found


PATHS = paths(DOCUMENT)[1:]


def test_the_untouched_document_reads_back() -> None:
    assert saved.from_document(copy.deepcopy(DOCUMENT)).plan.changes == PLAN.changes


@settings(max_examples=400, deadline=None)
@given(
    edits=st.lists(
        st.tuples(st.sampled_from(PATHS), st.one_of(st.just("delete"), values)), min_size=1, max_size=3
    )
)
def test_a_mutated_document_is_a_plan_or_a_plan_error(edits: list[tuple[tuple[Any, ...], Any]]) -> None:
    document = copy.deepcopy(DOCUMENT)
    for path, value in edits:
        parent: Any = document
        try:
            for part in path[:-1]:
                parent = parent[part]
            if value == "delete":
                del parent[path[-1]]
            else:
                parent[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit removed or replaced this place
    try:
        result = saved.from_document(document)
    except errors.PlanError as error:
        assert str(error)
        return
    # What reads back is well typed: every change has a known action and string fields.
    for change in result.plan.changes:
        assert isinstance(change.action, Action)
        assert isinstance(change.address, str) and change.address
        assert change.refreshed is None or isinstance(change.refreshed, ResourceState)


def test_a_plan_saved_before_reason_codes_is_refused_as_an_earlier_versions_not_as_damaged() -> None:
    document = copy.deepcopy(DOCUMENT)
    for change in document["changes"]:
        del change["reason"]
    with pytest.raises(errors.PlanError, match="made by an earlier version of reconciler") as caught:
        saved.from_document(document)
    assert caught.value.hint is not None and "plan -out FILE" in caught.value.hint
