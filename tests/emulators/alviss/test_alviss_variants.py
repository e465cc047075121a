"""The Alviss emulator variants: documented serves only what the vendor pages show; strict also refuses."""

from __future__ import annotations

import pytest
from alviss_support import ZERO, FakeClock, Maker, P, sales_csv


async def upload(
    client: object, name: str = "Sales", rows: tuple[str, ...] = ("SWE,all,all,2024-01-01,A,3",)
) -> int:
    response = await client.post(  # type: ignore[attr-defined]
        P + "/datauploads", params={"dataset_name": name}, files={"file": ("s.csv", sales_csv(list(rows)))}
    )
    assert response.status_code == 200, response.text
    upload_id: int = response.json()["upload_id"]
    return upload_id


async def test_documented_serves_only_the_fields_the_pages_show(make_client: Maker) -> None:
    client = make_client(durations=ZERO, variant="documented")
    assert (await client.get(P + "/datasets/active")).json() == {"IId": 1, "Status": "complete"}
    assert set((await client.get(P + "/datauploads/1")).json()) == {"Status"}
    model = (await client.get(P + "/models/3")).json()
    assert set(model) == {"Status", "GraphInstance", "DataSet", "Country", "Region", "Grouping"}
    assert set(model["DataSet"]) == {"IId"}
    active_set = (await client.get(P + "/attributionset/active")).json()
    assert set(active_set) == {"Status", "Attributions"}
    assert all(set(item) == {"IId"} for item in active_set["Attributions"])
    assert set((await client.get(P + "/attributions/5")).json()) == {"Status"}


@pytest.mark.parametrize("kind", ["datauploads", "datasets", "models", "attributions", "attributionset"])
async def test_documented_serves_no_list_endpoint(make_client: Maker, kind: str) -> None:
    assert (await make_client(variant="documented").get(f"{P}/{kind}")).status_code in (404, 405)
    assert (await make_client(variant="full").get(f"{P}/{kind}")).status_code == 200


async def test_documented_shows_no_word_for_a_running_job(make_client: Maker, clock: FakeClock) -> None:
    client = make_client(durations={**ZERO, "upload": 60.0}, variant="documented")
    upload_id = await upload(client)
    assert (await client.get(f"{P}/datauploads/{upload_id}")).json() == {}
    clock.advance(61)
    assert (await client.get(f"{P}/datauploads/{upload_id}")).json() == {"Status": "complete"}
    full = make_client(durations={**ZERO, "upload": 60.0})
    running = await upload(full)
    assert (await full.get(f"{P}/datauploads/{running}")).json()["Status"] in ("pending", "running")


async def test_strict_refuses_a_dataset_without_sales_data(make_client: Maker) -> None:
    media = "Country,Region,Grouping,Date,Product,Media,Campaign,Metric,Value"
    for variant, status in (("full", 200), ("strict", 422)):
        client = make_client(durations=ZERO, variant=variant)
        response = await client.post(
            P + "/datauploads",
            params={"dataset_name": "Media"},
            files={
                "file": ("m.csv", sales_csv(["SWE,all,all,2024-01-01,A,TV,C,Impression,3"], header=media))
            },
        )
        media_id = response.json()["upload_id"]
        created = await client.post(P + "/datasets", json={"upload_ids": [media_id]})
        assert created.status_code == status, created.text
    assert "Sales" in created.json()["detail"]


async def test_strict_wants_the_documented_spelling_and_every_field_the_pages_send(
    make_client: Maker,
) -> None:
    full, strict = make_client(durations=ZERO), make_client(durations=ZERO, variant="strict")
    files = {"file": ("s.csv", sales_csv(["SWE,all,all,2024-01-01,A,3"]))}
    assert (
        await full.post(P + "/datauploads", params={"dataset_name": "sales"}, files=files)
    ).status_code == 200
    refused = await strict.post(P + "/datauploads", params={"dataset_name": "sales"}, files=files)
    assert refused.status_code == 422
    align = await strict.post(P + "/attributionset_align_dates", json={"attributionjob_ids": [5]})
    assert align.status_code == 422 and "active" in align.json()["detail"]
    refit = {
        "model_detail": {"dataset_id": 1, "train_dates": ["2024-01-01"]},
        "model_param": {"epochs": 1, "learning_rate": 0.1, "samples": 1},
    }
    assert (await strict.post(P + "/models/3/refit", json=refit)).status_code == 422
    dates = await strict.post(
        P + "/datasets/1/dates",
        params={"dataset_name": "Sales"},
        json=[{"country_code": "SWE", "region_code": "all"}],
    )
    assert dates.status_code == 422 and "grouping" in dates.json()["detail"]
