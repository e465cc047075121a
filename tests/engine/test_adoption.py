"""Which object a resource the state has no record of adopts: the rules, as a table of cases."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

from reconciler.engine.planner import adoption
from reconciler.providers.alviss import lookup
from reconciler.providers.alviss.client import AlvissClient, ListingUnavailable
from reconciler.providers.base import Candidate, Decision, Found
from reconciler.spec.document import ResourceSpec
from reconciler.state.document import ResourceState, StateDocument
from reconciler.vocabulary import Action, Reason

UPLOAD = cast(ResourceSpec, SimpleNamespace(type="alviss.upload", provider="alviss"))
CREATE = Decision(
    action=Action.CREATE,
    reason=Reason.NO_RECORD,
    summary="new upload",
    reasons=("no upload recorded for these inputs yet",),
    fingerprint="sha256:f",
)
OLDER = Candidate(7, {"upload_id": 7}, {"FileName": "s.csv"}, created_at="2026-11-20T10:00:00Z")
NEWER = Candidate(9, {"upload_id": 9}, {"FileName": "s.csv"}, created_at="2026-11-27T10:00:00Z")
BY = "file name, size and dataset type"


def recorded(upload_id: Any) -> ResourceState:
    return ResourceState(type="alviss.upload", provider="alviss", outputs={"upload_id": upload_id})


def test_a_unique_match_is_adopted_with_what_matched() -> None:
    decision, ambiguous = adoption(StateDocument(), UPLOAD, CREATE, Found((OLDER,), how=BY))
    assert decision.action is Action.ADOPT and ambiguous == ()
    assert decision.outputs == {"upload_id": 7}
    assert decision.after == {"FileName": "s.csv", "upload_id": 7}
    assert decision.reasons == (f"not in the state; found 7 on the platform by {BY}",)
    assert decision.refreshed is not None and decision.refreshed.pending is not None
    assert decision.refreshed.pending.job_id == 7 and decision.refreshed.pending.action == "adopt"


def test_with_no_state_at_all_the_newest_of_several_is_adopted() -> None:
    decision, ambiguous = adoption(StateDocument(), UPLOAD, CREATE, Found((NEWER, OLDER), how=BY))
    assert decision.action is Action.ADOPT and ambiguous == ()
    assert decision.outputs == {"upload_id": 9}
    assert "also matching: 7; with no state at all the newest is adopted" in decision.reasons


def test_with_a_state_several_matches_stop_the_plan() -> None:
    state = StateDocument(resources={"alviss.upload.other": recorded(3)})
    decision, ambiguous = adoption(state, UPLOAD, CREATE, Found((OLDER, NEWER), how=BY))
    assert decision.action is Action.CREATE
    assert ambiguous == (OLDER, NEWER)


def test_an_object_another_resource_records_is_never_adopted() -> None:
    state = StateDocument(resources={"alviss.upload.other": recorded("9")})  # "9" and 9 are one id
    decision, ambiguous = adoption(state, UPLOAD, CREATE, Found((OLDER, NEWER), how=BY))
    assert decision.action is Action.ADOPT and decision.outputs == {"upload_id": 7}
    assert ambiguous == ()


def test_an_object_adopted_earlier_in_the_plan_is_not_adopted_twice() -> None:
    claimed: set[tuple[str, str, str, str]] = set()
    first, _ = adoption(StateDocument(), UPLOAD, CREATE, Found((NEWER,), how=BY), claimed)
    second, _ = adoption(StateDocument(), UPLOAD, CREATE, Found((NEWER,), how=BY), claimed)
    assert first.action is Action.ADOPT
    assert second.action is Action.CREATE
    assert second.reasons[-1] == f"nothing on the platform matches it (looked up by {BY})"


def test_failing_to_look_is_said_and_plans_the_create() -> None:
    found = Found(searched=False, how="the platform does not list datauploads")
    decision, _ = adoption(StateDocument(), UPLOAD, CREATE, found)
    assert decision.action is Action.CREATE
    assert decision.reasons[-1] == "not looked up: the platform does not list datauploads"


def test_only_a_create_is_turned_into_an_adoption() -> None:
    replace = Decision(
        action=Action.REPLACE, reason=Reason.INPUTS_CHANGED, summary="new upload", fingerprint="sha256:f"
    )
    assert adoption(StateDocument(), UPLOAD, replace, Found((OLDER,), how=BY))[0] is replace


def test_a_match_another_address_records_is_named_with_the_state_mv_that_keeps_it() -> None:
    renamed = cast(
        ResourceSpec, SimpleNamespace(type="alviss.upload", provider="alviss", address="alviss.upload.new")
    )
    state = StateDocument(resources={"alviss.upload.old": recorded(7)})
    decision, _ = adoption(state, renamed, CREATE, Found((OLDER,), how=BY))
    assert decision.action is Action.CREATE
    assert "7 matches, but the state records it for alviss.upload.old" in decision.reasons
    assert (
        decision.reasons[-1]
        == "(renamed? `reconciler state mv alviss.upload.old alviss.upload.new` keeps its object)"
    )


class _NoLists:
    """A client whose platform serves no list endpoints (the documented Alviss API has none)."""

    async def list_objects(self, kind: str) -> list[dict[str, Any]]:
        raise ListingUnavailable(f"GET /{kind} is not served (HTTP 404)", status=404)


async def test_a_platform_without_list_endpoints_is_not_looked_up_and_says_so() -> None:
    found = await lookup.find_unrecorded(
        cast(AlvissClient, _NoLists()), "datauploads", lambda obj: True, how=BY, outputs=dict, shown=()
    )
    assert found == Found(searched=False, how="the platform does not list datauploads")
