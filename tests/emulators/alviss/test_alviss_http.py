"""The wire contract: auth, error shapes, statistics, persistence and per-project worlds."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from alviss_support import TOKEN, ZERO, Maker, P

ROUTE = "/api/v1/api/projects/{team_id}/{project_id}"


@pytest.mark.parametrize(
    ("auth", "detail"),
    [(None, "Not authenticated"), ("", "Not authenticated"), ("wrong-token", "Invalid token")],
)
async def test_requests_without_the_right_token_get_401(
    make_client: Maker, auth: str | None, detail: str
) -> None:
    client = make_client(durations=ZERO, auth=auth)
    for response in (
        await client.get(P + "/models/3"),
        await client.get("/v1/team/teams"),
        await client.post(P + "/datasets", json={"upload_ids": [1]}),
    ):
        assert response.status_code == 401
        assert response.json() == {"detail": detail}
        assert TOKEN not in response.text
    assert (await client.get("/_emulator/stats")).status_code == 200


async def test_any_token_is_accepted_when_the_app_has_none(make_client: Maker) -> None:
    client = make_client(durations=ZERO, token=None, auth="whatever")
    assert (await client.get(P + "/models/3")).status_code == 200


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        ("/models/99", "Model 99 not found"),
        ("/datauploads/7", "Upload 7 not found"),
        ("/datasets/5", "Dataset 5 not found"),
        ("/attributions/42", "Attribution 42 not found"),
        ("/attributionset/9", "Attribution set 9 not found"),
        ("/build/graphs/77", "Graph 77 not found"),
    ],
)
async def test_unknown_ids_are_404_with_a_detail(client: httpx.AsyncClient, path: str, detail: str) -> None:
    response = await client.get(P + path)
    assert response.status_code == 404
    assert response.json() == {"detail": detail}


async def test_unknown_graph_instance_and_refit_source_are_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/api/graph_instances/1/50")).json() == {
        "detail": "Graph instance 50 not found"
    }
    body: dict[str, Any] = {
        "model_detail": {"dataset_id": 1, "train_dates": ["2026-01-05"], "eval_dates": []},
        "model_param": {"epochs": 1, "learning_rate": 0.1, "samples": 1},
    }
    assert (await client.post(P + "/models/98/refit", json=body)).json() == {"detail": "Model 98 not found"}
    bad_dataset = {**body, "model_detail": {**body["model_detail"], "dataset_id": 8}}
    assert (await client.post(P + "/models/3/refit", json=bad_dataset)).status_code == 404


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/datasets", {"upload_ids": "one"}),
        ("/datasets", {"upload_ids": [1], "extra_field": 1}),
        ("/models/3/refit", {"model_detail": {"dataset_id": 1}}),
        (
            "/models/3/refit",
            {
                "model_detail": {"dataset_id": 1, "train_dates": ["2026-13-01"], "eval_dates": []},
                "model_param": {"epochs": 1, "learning_rate": 0.1, "samples": 1},
            },
        ),
        ("/attributions", {"model_id": 3, "dataset_id": 1, "start_date": "2026-01-05"}),
        (
            "/attributions",
            {
                "model_id": 3,
                "dataset_id": 1,
                "start_date": "2026-02-01",
                "end_date": "2026-01-01",
                "samples": 1,
            },
        ),
        ("/attributionset_align_dates", {"attributionjob_ids": []}),
        ("/datasets/1/dates?dataset_name=Sales", {"country_code": "SWE"}),
    ],
)
async def test_malformed_bodies_are_422(client: httpx.AsyncClient, path: str, body: object) -> None:
    response = await client.post(P + path, json=body)
    assert response.status_code == 422, response.text
    assert "detail" in response.json()


async def test_a_missing_file_field_or_dataset_name_is_422(client: httpx.AsyncClient) -> None:
    no_name = await client.post(P + "/datauploads", files={"file": ("a.csv", b"x")})
    no_file = await client.post(P + "/datauploads", params={"dataset_name": "Sales"}, data={"other": "1"})
    assert (no_name.status_code, no_file.status_code) == (422, 422)


async def test_stats_count_objects_and_requests_by_route_template(client: httpx.AsyncClient) -> None:
    await client.get(P + "/models/3")
    await client.get(P + "/models/11")
    await client.get(P + "/models/404")
    await client.post(P + "/datauploads", params={"dataset_name": "Sales"}, files={"file": ("a.csv", b"bad")})
    await client.get("/api/v1/api/projects/1/2/datasets/active")
    stats = (await client.get("/_emulator/stats")).json()
    seeded = {"upload": 2, "dataset": 1, "model": 2, "attribution": 2, "attribution_set": 1}
    assert stats["projects"] == {"1/1": {**seeded, "upload": 3}, "1/2": seeded}
    assert stats["objects"] == {"upload": 5, "dataset": 2, "model": 4, "attribution": 4, "attribution_set": 2}
    assert stats["requests"] == {
        f"GET {ROUTE}/models/{{model_id}}": 3,
        f"POST {ROUTE}/datauploads": 1,
        f"GET {ROUTE}/datasets/active": 1,
    }
    cleared = await client.delete("/_emulator/stats")
    assert cleared.json()["requests"] == {}
    assert cleared.json()["objects"] == stats["objects"]


async def test_the_world_persists_across_app_instances(make_client: Maker) -> None:
    first = make_client(durations=ZERO)
    await first.post(P + "/datasets", json={"dataset_ids": [1], "activate": True})
    await first.get(P + "/datasets/active")
    second = make_client(durations=ZERO)
    assert (await second.get(P + "/datasets/active")).json()["IId"] == 2
    stats = (await second.get("/_emulator/stats")).json()
    assert stats["objects"]["dataset"] == 2
    assert stats["requests"][f"GET {ROUTE}/datasets/active"] == 2


async def test_every_project_gets_the_same_default_world(client: httpx.AsyncClient) -> None:
    for team, project in ((1, 1), (1, 2), (7, 1)):
        base = f"/api/v1/api/projects/{team}/{project}"
        model = (await client.get(base + "/models/3")).json()
        assert (model["IId"], model["Country"], model["Status"]) == (3, "SWE", "completed")
        assert (await client.get(base + "/models/11")).json()["Country"] == "NOR"
        assert [a["IId"] for a in (await client.get(base + "/attributions")).json()] == [4, 5]
        assert (await client.get(base + "/attributionset/active")).json()["Attributions"] == [{"IId": 4}]
        active = (await client.get(base + "/datasets/active")).json()
        assert (active["IId"], active["DataUploads"], active["Status"]) == (1, [1, 2], "complete")
    one = (await client.get("/api/v1/api/projects/1/1/models/3")).json()["GraphInstance"]["Id"]
    two = (await client.get("/api/v1/api/projects/1/2/models/3")).json()["GraphInstance"]["Id"]
    assert one != two  # graph instances are addressed per team, so their ids differ across its projects
    teams = (await client.get("/v1/team/teams")).json()
    assert [(team["Id"], [p["Id"] for p in team["Projects"]]) for team in teams] == [(1, [1, 2]), (7, [1])]
