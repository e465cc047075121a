"""Graph edits of a remodel, pure: what is refused offline and against the source graph, the edited graph,
the canonical form the identity uses, and the diff the plan shows."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from reconciler.emulators.alviss.graphs import default_graph, lower
from reconciler.providers.alviss.config import RemodelConfig
from reconciler.providers.alviss.graph_edits import GraphEdits
from reconciler.providers.alviss.graphs import diff_view, edited, problems
from reconciler.providers.alviss.model import remodel_identity
from reconciler.vocabulary import KNOWN_AFTER_APPLY

HIGH = default_graph()
WHAT = "model 3's high-level graph"


def edits(**body: Any) -> GraphEdits:
    return GraphEdits.model_validate(body)


def refused(body: dict[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    with pytest.raises(ValidationError) as caught:
        GraphEdits.model_validate(body)
    return [(tuple(error["loc"]), error["msg"]) for error in caught.value.errors()]


@pytest.mark.parametrize(
    ("body", "where", "says"),
    [
        ({"nodes": {"add": [{"id": "a"}, {"id": "a"}]}}, ("nodes", "add", 1, "id"), "adds node 'a' a second"),
        ({"nodes": {"remove": ["tv", "tv"]}}, ("nodes", "remove", 1), "removes node 'tv' a second"),
        (
            {"nodes": {"change": [{"id": "tv", "label": "x"}, {"id": "tv", "type": "y"}]}},
            ("nodes", "change", 1, "id"),
            "changes node 'tv' a second",
        ),
        ({"nodes": {"add": [{"id": "tv"}], "remove": ["tv"]}}, ("nodes", "add", 0, "id"), "nodes.remove[0]"),
        (
            {"nodes": {"change": [{"id": "tv", "label": "x"}], "remove": ["tv"]}},
            ("nodes", "change", 0, "id"),
            "which nodes.remove[0] removes",
        ),
        (
            {"nodes": {"change": [{"id": "new", "label": "x"}], "add": [{"id": "new"}]}},
            ("nodes", "change", 0, "id"),
            "which nodes.add[0] adds",
        ),
        ({"nodes": {"change": [{"id": "tv"}]}}, ("nodes", "change", 0), "says nothing to change"),
        (
            {"edges": {"add": [{"source": "a", "target": "b"}] * 2}},
            ("edges", "add", 1),
            "adds edge a → b a second",
        ),
        (
            {"edges": {"remove": [{"source": "tv", "target": "search"}] * 2}},
            ("edges", "remove", 1),
            "removes edge tv → search a second",
        ),
        (
            {"edges": {"add": [{"source": "a", "target": "b"}], "remove": [{"source": "a", "target": "b"}]}},
            ("edges", "add", 0),
            "which edges.remove[0] removes",
        ),
        (
            {"edges": {"change": [{"source": "tv", "target": "sales"}]}},
            ("edges", "change", 0),
            "says nothing to change on edge tv → sales",
        ),
        (
            {"nodes": {"remove": ["social"]}, "edges": {"add": [{"source": "social", "target": "tv"}]}},
            ("edges", "add", 0, "source"),
            "names node 'social', which nodes.remove[0] removes",
        ),
    ],
)
def test_edits_that_contradict_themselves_are_refused_at_the_entry(
    body: dict[str, Any], where: tuple[str | int, ...], says: str
) -> None:
    found = refused(body)
    assert [loc for loc, _ in found] == [where]
    assert says in found[0][1]


def test_unknown_keys_are_refused_but_attributes_are_free() -> None:
    assert refused({"node": {}})[0][0] == ("node",)
    assert refused({"nodes": {"rename": []}})[0][0] == ("nodes", "rename")
    assert refused({"edges": {"remove": [{"source": "a", "target": "b", "lag": 1}]}})[0][0] == (
        "edges",
        "remove",
        0,
        "lag",
    )
    parsed = edits(nodes={"add": [{"id": 7, "type": "media", "start": "2026-01-05"}]})
    assert parsed.nodes.add[0].id == "7"  # ids are compared as text


@pytest.mark.parametrize(
    ("body", "where", "says"),
    [
        ({"nodes": {"remove": ["socail"]}}, ("nodes", "remove", 0), "'socail', which is not in " + WHAT),
        ({"nodes": {"change": [{"id": "radio", "x": 1}]}}, ("nodes", "change", 0, "id"), "'radio'"),
        (
            {"nodes": {"change": [{"id": "tv", "decay": None}]}},
            ("nodes", "change", 0, "decay"),
            "removes attribute 'decay', which node 'tv' does not have",
        ),
        (
            {"nodes": {"add": [{"id": "tv"}]}},
            ("nodes", "add", 0, "id"),
            "adds node 'tv', which " + WHAT + " has",
        ),
        (
            {"edges": {"remove": [{"source": "search", "target": "tv"}]}},
            ("edges", "remove", 0),
            "removes edge search → tv, which is not in",
        ),
        (
            {"edges": {"add": [{"source": "tv", "target": "search"}]}},
            ("edges", "add", 0),
            "adds edge tv → search, which " + WHAT + " has",
        ),
        (
            {"edges": {"add": [{"source": "radio", "target": "sales"}]}},
            ("edges", "add", 0, "source"),
            "names node 'radio', which is not a node of",
        ),
        (
            {"edges": {"change": [{"source": "tv", "target": "sales", "lag": None}]}},
            ("edges", "change", 0, "lag"),
            "removes attribute 'lag', which edge tv → sales does not have",
        ),
        (
            {"edges": {"change": [{"source": "sales", "target": "tv", "lag": 1}]}},
            ("edges", "change", 0),
            "changes edge sales → tv, which is not in",
        ),
        (
            {"nodes": {"remove": ["tv", "search", "social", "price", "base", "sales"]}},
            ("nodes", "remove"),
            "removes every node",
        ),
    ],
)
def test_edits_the_source_graph_cannot_take_are_found_at_the_entry(
    body: dict[str, Any], where: tuple[str | int, ...], says: str
) -> None:
    found = problems(edits(**body), HIGH, what=WHAT)
    assert [problem.path for problem in found] == [where]
    assert says in found[0].sentence


def test_a_misspelt_node_gets_a_suggestion_and_a_graph_without_ids_cannot_be_edited() -> None:
    (found,) = problems(edits(nodes={"remove": ["socail"]}), HIGH, what=WHAT)
    assert found.hint == "did you mean 'social'?"
    (bare,) = problems(edits(nodes={"remove": ["tv"]}), {"nodes": [{"name": "tv"}], "edges": []}, what=WHAT)
    assert bare.path == () and "has no 'id'" in bare.sentence


def test_edited_graph_drops_a_removed_nodes_edges_and_appends_new_ones_in_order() -> None:
    wanted = edits(
        nodes={
            "add": [{"id": "zines", "type": "media"}, {"id": "influencer", "type": "media"}],
            "remove": ["social"],
            "change": [
                {"id": "tv", "label": "TV (linear)"},
                {"id": "price", "label": None, "elasticity": -1.2},
            ],
        },
        edges={
            "add": [{"source": "zines", "target": "sales"}, {"source": "influencer", "target": "sales"}],
            "remove": [{"source": "tv", "target": "search"}],
            "change": [{"source": "base", "target": "sales", "lag": 2}],
        },
    )
    assert problems(wanted, HIGH, what=WHAT) == []
    graph = edited(wanted, HIGH)
    assert [node["id"] for node in graph["nodes"]] == [
        "tv", "search", "price", "base", "sales", "influencer", "zines"
    ]  # fmt: skip
    assert graph["nodes"][0] == {"id": "tv", "type": "media", "label": "TV (linear)"}
    assert graph["nodes"][2] == {"id": "price", "type": "price", "elasticity": -1.2}
    assert graph["edges"] == [
        {"source": "tv", "target": "sales"},
        {"source": "search", "target": "sales"},
        {"source": "price", "target": "sales"},
        {"source": "base", "target": "sales", "lag": 2},
        {"source": "influencer", "target": "sales"},
        {"source": "zines", "target": "sales"},
    ]
    assert default_graph() == HIGH  # the source is not changed


def test_a_low_level_graph_is_edited_by_its_own_node_ids() -> None:
    low = lower(HIGH)
    wanted = edits(nodes={"change": [{"id": "tv_adstock", "decay": 0.7}]})
    assert problems(wanted, low, what="model 3's low-level graph") == []
    (node,) = [node for node in edited(wanted, low)["nodes"] if node["id"] == "tv_adstock"]
    assert node["decay"] == 0.7
    assert problems(wanted, HIGH, what=WHAT)[0].path == ("nodes", "change", 0, "id")


def test_the_identity_covers_the_edits_in_any_order() -> None:
    def identity(**body: Any) -> str:
        config = RemodelConfig.model_validate({"from_model": 3, **body})
        return remodel_identity(config, source=3, dataset=None).fingerprint()

    one = {"nodes": {"remove": ["social", "price"], "add": [{"id": "a"}, {"id": "b", "type": "media"}]}}
    other = {"nodes": {"add": [{"id": "b", "type": "media"}, {"id": "a"}], "remove": ["price", "social"]}}
    assert identity(edits=one) == identity(edits=other)
    assert identity(edits=one) != identity()
    assert identity(edits={"nodes": {"change": [{"id": "tv", "label": "TV 2"}]}}) != identity(
        edits={"nodes": {"change": [{"id": "tv", "label": "TV 3"}]}}
    )
    # No edits (or empty ones) is the remodel as before: its fingerprint does not move.
    assert identity(edits={}) == identity() == identity(edits={"nodes": {}, "edges": {"add": []}})


def test_the_diff_shows_the_source_side_and_the_edited_side() -> None:
    wanted = edits(
        nodes={
            "add": [{"id": "influencer", "type": "media"}],
            "remove": ["social"],
            "change": [{"id": "tv", "label": "TV (linear)"}],
        },
        edges={
            "add": [{"source": "influencer", "target": "sales"}],
            "remove": [{"source": "tv", "target": "search"}],
        },
    )
    before, after = diff_view(wanted, HIGH)
    assert before == {
        "nodes": {"social": {"type": "media", "label": "Social"}, "tv": {"label": "TV"}},
        "edges": {"social → sales": "", "tv → search": ""},
    }
    assert after == {
        "nodes": {"tv": {"label": "TV (linear)"}, "influencer": {"type": "media"}},
        "edges": {"influencer → sales": ""},
    }
    unknown_before, unknown_after = diff_view(wanted, None)
    assert unknown_before == {
        "nodes": {"social": KNOWN_AFTER_APPLY, "tv": {"label": KNOWN_AFTER_APPLY}},
        "edges": {"tv → search": KNOWN_AFTER_APPLY},
    }
    assert unknown_after == after
