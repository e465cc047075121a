"""Attribution sets (align, activate) and models built from either graph level."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from alviss_support import FakeClock, Maker, P

SLOW = {"attribution": 0.0, "attribution_set": 5.0, "build": 0.0}


async def _attribution(client: httpx.AsyncClient, model: int, start: str, end: str) -> int:
    body = {"model_id": model, "dataset_id": 1, "start_date": start, "end_date": end, "samples": 3}
    response = await client.post(P + "/attributions", json=body)
    assert response.status_code == 200, response.text
    shown = (await client.get(P + f"/attributions/{response.json()['IId']}")).json()
    assert (shown["Model"], shown["DataSet"], shown["StartDate"], shown["Samples"]) == (
        {"IId": model},
        {"IId": 1},
        start,
        3,
    )
    attribution_id: int = response.json()["IId"]
    return attribution_id


async def test_align_dates_intersects_ranges_and_activates_when_complete(
    make_client: Maker, clock: FakeClock
) -> None:
    client = make_client(durations=SLOW)
    new = await _attribution(client, 11, "2025-06-02", "2026-12-28")
    assert new == 6
    response = await client.post(
        P + "/attributionset_align_dates", json={"attributionjob_ids": [new, 4, new], "active": True}
    )
    set_id = response.json()["IId"]
    assert set_id == 2
    shown = (await client.get(P + f"/attributionset/{set_id}")).json()
    assert shown["Attributions"] == [{"IId": 6}, {"IId": 4}]
    assert (shown["StartDate"], shown["EndDate"]) == ("2025-06-02", "2026-11-16")
    assert (shown["Status"], shown["Active"]) == ("pending", False)
    assert (await client.get(P + "/attributionset/active")).json()["IId"] == 1
    clock.advance(5)
    assert (await client.get(P + "/attributionset/active")).json()["IId"] == set_id
    listed = (await client.get(P + "/attributionset")).json()
    assert [(one["IId"], one["Active"]) for one in listed] == [(1, False), (2, True)]


async def test_a_set_is_activated_by_hand_only_once_complete(make_client: Maker, clock: FakeClock) -> None:
    client = make_client(durations=SLOW)
    response = await client.post(P + "/attributionset_align_dates", json={"attributionjob_ids": [5, 4]})
    set_id = response.json()["IId"]
    early = await client.patch(P + f"/attributionset/{set_id}/activate")
    assert early.status_code == 409
    assert early.json() == {"detail": f"Attribution set {set_id} is pending, not complete"}
    clock.advance(5)
    assert (await client.get(P + "/attributionset/active")).json()[
        "IId"
    ] == 1  # "active": false stays inactive
    activated = await client.patch(P + f"/attributionset/{set_id}/activate")
    assert activated.json()["Active"] is True
    assert (await client.get(P + "/attributionset/1")).json()["Active"] is False


async def test_ranges_that_do_not_overlap_cannot_be_aligned(make_client: Maker) -> None:
    client = make_client(durations=SLOW)
    early = await _attribution(client, 3, "2025-01-06", "2025-02-03")
    late = await _attribution(client, 3, "2026-01-05", "2026-02-02")
    response = await client.post(
        P + "/attributionset_align_dates", json={"attributionjob_ids": [early, late]}
    )
    assert response.status_code == 422
    assert response.json() == {"detail": "The attributions' date ranges do not overlap"}
    missing = await client.post(P + "/attributionset_align_dates", json={"attributionjob_ids": [4, 30]})
    assert missing.json() == {"detail": "Attribution 30 not found"}


def _build(graph: dict[str, Any], *, country: str = "NOR") -> dict[str, Any]:
    return {
        "model_param": {"epochs": 50, "learning_rate": 0.01, "samples": 2},
        "model_detail": {
            "dataset_id": 1,
            "train_dates": ["2026-01-05", "2026-01-12"],
            "eval_dates": ["2026-01-19"],
            "activate": False,
            "modelling_combination": {"country_code": country, "region_code": "all", "grouping": "all"},
        },
        "graph_detail": {"graph": {"nodes": graph["nodes"], "edges": graph["edges"]}},
    }


@pytest.mark.parametrize("level", ["high", "low"])
async def test_a_model_can_be_built_from_either_graph_level(make_client: Maker, level: str) -> None:
    client = make_client(durations=SLOW)
    source = (await client.get(P + "/models/11")).json()
    high = (await client.get(P + f"/build/graphs/{source['GraphInstance']['Graph']['Id']}")).json()
    low = (await client.get(f"/api/v1/api/graph_instances/1/{source['GraphInstance']['Id']}")).json()
    assert {"id": "tv", "type": "media", "label": "TV"} in high["nodes"]
    assert len(low["nodes"]) > len(high["nodes"])
    graph = high if level == "high" else low
    response = await client.post(P + "/build/model", json=_build(graph))
    assert response.status_code == 200, response.text
    model = (await client.get(P + f"/models/{response.json()['IId']}")).json()
    assert model["IId"] == 12
    assert (model["Status"], model["Country"], model["RefitOf"], model["DataSet"]) == (
        "completed",
        "NOR",
        None,
        {"IId": 1},
    )
    assert model["TrainDates"] == ["2026-01-05", "2026-01-12"]
    instance = model["GraphInstance"]
    assert instance["Id"] != source["GraphInstance"]["Id"]
    assert (await client.get(P + f"/build/graphs/{instance['Graph']['Id']}")).json() == graph
    built_low = (await client.get(f"/api/v1/api/graph_instances/1/{instance['Id']}")).json()
    assert built_low == low  # lowering a low-level graph leaves it unchanged


async def test_a_graph_with_dangling_edges_is_refused(make_client: Maker) -> None:
    client = make_client(durations=SLOW)
    graph = {"nodes": [{"id": "tv", "type": "media"}], "edges": [{"source": "tv", "target": "sales"}]}
    response = await client.post(P + "/build/model", json=_build(graph))
    assert response.status_code == 422
    assert response.json() == {"detail": "Invalid graph: edge target 'sales' is not a node"}


async def _graphs_of(client: httpx.AsyncClient, model_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    instance = (await client.get(P + f"/models/{model_id}")).json()["GraphInstance"]
    high = (await client.get(P + f"/build/graphs/{instance['Graph']['Id']}")).json()
    low = (await client.get(f"/api/v1/api/graph_instances/1/{instance['Id']}")).json()
    return high, low


async def test_an_edited_low_level_graph_is_built_as_posted(make_client: Maker) -> None:
    """A channel's steps removed from a low-level graph ("no carry-over for TV") stay removed: a graph
    with any adstock or saturation step is low-level already and is not expanded again."""
    client = make_client(durations=SLOW)
    _, low = await _graphs_of(client, 3)
    steps = {"tv_adstock", "tv_saturation"}
    nodes = [node for node in low["nodes"] if node["id"] not in steps]
    edges = [edge for edge in low["edges"] if edge["source"] not in steps and edge["target"] not in steps]
    edges.append({"source": "tv", "target": "sales"})
    response = await client.post(P + "/build/model", json=_build({"nodes": nodes, "edges": edges}))
    assert response.status_code == 200, response.text
    _, built_low = await _graphs_of(client, response.json()["IId"])
    assert built_low == {"nodes": nodes, "edges": edges}


async def test_a_new_media_node_of_a_high_level_graph_gets_its_steps(make_client: Maker) -> None:
    client = make_client(durations=SLOW)
    high, _ = await _graphs_of(client, 11)
    graph = {
        "nodes": [*high["nodes"], {"id": "influencer", "type": "media", "label": "Influencers"}],
        "edges": [*high["edges"], {"source": "influencer", "target": "sales"}],
    }
    response = await client.post(P + "/build/model", json=_build(graph))
    assert response.status_code == 200, response.text
    built_high, built_low = await _graphs_of(client, response.json()["IId"])
    assert built_high == graph
    ids = [node["id"] for node in built_low["nodes"]]
    assert {"influencer_adstock", "influencer_saturation"} <= set(ids)
    assert {"source": "influencer_saturation", "target": "sales"} in built_low["edges"]


async def test_a_graph_with_a_duplicate_edge_is_refused(make_client: Maker) -> None:
    client = make_client(durations=SLOW)
    high, _ = await _graphs_of(client, 11)
    graph = {"nodes": high["nodes"], "edges": [*high["edges"], dict(high["edges"][0])]}
    response = await client.post(P + "/build/model", json=_build(graph))
    assert response.status_code == 422
    assert response.json() == {"detail": "Invalid graph: duplicate edge 'tv' -> 'search'"}
