"""How a lost remodel build is told from another remodel of the same source: by the built model's graph,
read at either level; a graph that cannot be read leaves the outcome unknown (nothing sent again)."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler import errors
from reconciler.providers.alviss import lookup, shapes
from reconciler.providers.alviss.model import built_from, same_graph
from reconciler.state.document import PendingOperation

WANTED = {
    "nodes": [{"id": "tv", "type": "media"}, {"id": "sales", "type": "kpi"}],
    "edges": [{"source": "tv", "target": "sales"}],
}
REORDERED = {"nodes": list(reversed(WANTED["nodes"])), "edges": WANTED["edges"]}
OTHER = {"nodes": [{"id": "tv", "type": "media", "label": "TV"}, {"id": "sales"}], "edges": []}


class Platform:
    """Models by id, each with a high-level graph and a graph instance (None: not found)."""

    def __init__(self, models: dict[int, tuple[dict[str, Any] | None, dict[str, Any] | None]]) -> None:
        self.models = models

    async def list_objects(self, kind: str) -> list[dict[str, Any]]:
        return [{"IId": model_id} for model_id in self.models]

    async def get_model(self, model_id: int) -> shapes.Model:
        return shapes.Model.model_validate(
            {"IId": model_id, "GraphInstance": {"Id": model_id, "Graph": {"Id": model_id}}}
        )

    async def graph(self, graph_id: int) -> shapes.Graph:
        return self._graph(self.models[graph_id][0])

    async def graph_instance(self, instance_id: int) -> shapes.Graph:
        return self._graph(self.models[instance_id][1])

    @staticmethod
    def _graph(data: dict[str, Any] | None) -> shapes.Graph:
        if data is None:
            raise errors.NotFound("not found", status=404)
        return shapes.Graph.model_validate(data)


def test_graphs_are_the_same_whatever_their_order_and_differ_by_any_attribute() -> None:
    assert same_graph(REORDERED, WANTED) is True
    assert same_graph(OTHER, WANTED) is False
    assert same_graph({"nodes": [{"type": "media"}], "edges": []}, WANTED) is None


@pytest.mark.parametrize(
    ("graphs", "expected"),
    [
        ((WANTED, OTHER), True),  # posted at the high level
        ((OTHER, REORDERED), True),  # kept at the low level
        ((OTHER, OTHER), False),  # another remodel's
        ((None, None), None),  # cannot be read
        ((OTHER, None), None),
    ],
)
async def test_a_listed_model_is_the_lost_build_when_either_of_its_graphs_is_the_wanted_one(
    graphs: tuple[dict[str, Any] | None, dict[str, Any] | None], expected: bool | None
) -> None:
    client: Any = Platform({7: graphs})
    assert await built_from(client, {"IId": 7}, WANTED) is expected


async def _found(platform: Platform) -> int | str | None:
    client: Any = platform
    pending = PendingOperation(action="create", step="build", fingerprint="f")
    return await lookup.find_created(
        client, "models", pending, lambda obj: True, confirm=lambda obj: built_from(client, obj, WANTED)
    )


async def test_the_lookup_adopts_only_a_model_of_the_wanted_graph() -> None:
    assert await _found(Platform({5: (OTHER, OTHER), 9: (WANTED, WANTED)})) == 9
    assert await _found(Platform({5: (OTHER, OTHER)})) is None  # truly not built: sent again
    assert await _found(Platform({5: (OTHER, OTHER), 6: (None, None), 9: (WANTED, None)})) == 9


async def test_a_candidate_whose_graph_cannot_be_read_leaves_the_outcome_unknown() -> None:
    with pytest.raises(errors.OutcomeUnknown) as caught:
        await _found(Platform({5: (OTHER, OTHER), 6: (None, None)}))
    assert "cannot be looked up; nothing is sent again" in caught.value.message
    assert caught.value.hint is not None and "reconciler state import ADDRESS ID" in caught.value.hint
