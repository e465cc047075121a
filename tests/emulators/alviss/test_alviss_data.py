"""Uploaded files are checked as the platform would, and their content drives the dates endpoint."""

from __future__ import annotations

import io

import httpx
import pytest
from alviss_support import P, sales_csv

from reconciler.emulators.alviss.datafiles import check_file


async def _upload(
    client: httpx.AsyncClient, content: bytes, *, name: str = "data.csv", kind: str = "Sales"
) -> int:
    response = await client.post(
        P + "/datauploads", params={"dataset_name": kind}, files={"file": (name, content)}
    )
    assert response.status_code == 200, response.text
    upload_id: int = response.json()["upload_id"]
    return upload_id


async def _shown(client: httpx.AsyncClient, upload_id: int) -> dict[str, object]:
    response = await client.get(P + f"/datauploads/{upload_id}")
    assert response.status_code == 200
    shown: dict[str, object] = response.json()
    return shown


async def test_a_good_upload_reports_its_size_and_rows(client: httpx.AsyncClient) -> None:
    content = "\ufeff".encode() + sales_csv(
        ["SWE,all,all,2026-11-23,Classic,1200", "SWE,all,all,2026-11-30,Classic,1.5"]
    )
    upload_id = await _upload(client, content, name="week47.csv")
    assert upload_id == 3
    shown = await _shown(client, upload_id)
    assert shown["Status"] == "complete"
    assert (shown["IId"], shown["DatasetName"], shown["FileName"]) == (3, "Sales", "week47.csv")
    assert (shown["FileSize"], shown["Rows"]) == (len(content), 2)
    assert "Message" not in shown
    assert [one["IId"] for one in (await client.get(P + "/datauploads")).json()] == [1, 2, 3]


@pytest.mark.parametrize(
    ("kind", "name", "content", "message"),
    [
        (
            "Sales",
            "a.csv",
            b"Country,Region,Date,Product\nSWE,all,2026-01-05,A\n",
            "missing column `UnitsSold`",
        ),
        (
            "Sales",
            "a.csv",
            sales_csv(["SWE,all,all,2026-01-05,A,1"] * 15 + ["SWE,all,all,2024-13-01,A,1"]),
            "row 17: bad date '2024-13-01'",
        ),
        ("Sales", "a.csv", sales_csv(["Sweden,all,all,2026-01-05,A,1"]), "row 2: bad country 'Sweden'"),
        ("Sales", "a.csv", sales_csv(["SWE,all,all,2026-01-05,A,1,5"]), "row 2: expected 6 fields, found 7"),
        ("Sales", "a.csv", sales_csv([]), "no data rows"),
        (
            "Sales",
            "a.csv",
            sales_csv(['SWE,all,all,2026-01-05,A,"12,5"']),
            "UnitsSold '12,5' is not a number",
        ),
        (
            "Media",
            "m.csv",
            b"Country,Region,Date,Product,Media,Campaign,Metric,Value\nSWE,all,2026-01-05,A,TV,C,Views,3\n",
            "unknown Metric 'Views'",
        ),
        (
            "Events",
            "e.csv",
            b"Country,Region,StartDate,EndDate,Event\nSWE,all,2026-01-09,2026-01-05,Sale\n",
            "StartDate is after EndDate",
        ),
        ("Weather", "w.csv", b"Country,Region,Temperature\nSWE,all,3\n", "missing column `Date`"),
        ("Sales", "a.csv", b"Country,Region\xff\n", "not UTF-8"),
        ("Sales", "sales.xlsx", b"PK\x03\x04binary", "only CSV files are supported by the emulator"),
    ],
)
async def test_a_file_that_does_not_fit_is_accepted_then_fails_with_a_message(
    client: httpx.AsyncClient, kind: str, name: str, content: bytes, message: str
) -> None:
    upload_id = await _upload(client, content, name=name, kind=kind)
    shown = await _shown(client, upload_id)
    assert shown["Status"] == "failed"
    assert message in str(shown["Message"])
    refused = await client.post(P + "/datasets", json={"upload_ids": [upload_id]})
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith(f"Upload {upload_id} failed")


async def test_an_unknown_dataset_type_is_a_422(client: httpx.AsyncClient) -> None:
    response = await client.post(
        P + "/datauploads", params={"dataset_name": "Salez"}, files={"file": ("a.csv", b"x\n")}
    )
    assert response.status_code == 422
    assert response.json() == {"detail": "Unknown dataset_name 'Salez'"}
    dates = await client.post(P + "/datasets/1/dates", params={"dataset_name": "Nope"}, json=[])
    assert dates.status_code == 422


async def test_extending_a_dataset_flattens_its_uploads(client: httpx.AsyncClient) -> None:
    first = await _upload(client, sales_csv(["SWE,all,all,2026-11-23,Classic,1"]))
    second = await _upload(client, sales_csv(["SWE,all,all,2026-11-30,Classic,1"]))
    extended = (await client.post(P + "/datasets", json={"upload_ids": [first], "dataset_ids": [1]})).json()[
        "IId"
    ]
    again = (
        await client.post(P + "/datasets", json={"upload_ids": [second], "dataset_ids": [extended, 1]})
    ).json()
    shown = (await client.get(P + f"/datasets/{again['IId']}")).json()
    assert shown["DataUploads"] == [1, 2, first, second]
    assert shown["ExtendedFrom"] == [extended, 1]
    assert shown["Status"] == "complete" and shown["Active"] is False
    empty = await client.post(P + "/datasets", json={})
    assert empty.status_code == 422


async def _dates(
    client: httpx.AsyncClient, dataset_id: int, *combos: tuple[str, str, str], kind: str = "Sales"
) -> list[str]:
    body = [{"country_code": c, "region_code": r, "grouping": g} for c, r, g in combos]
    response = await client.post(
        P + f"/datasets/{dataset_id}/dates", params={"dataset_name": kind}, json=body
    )
    assert response.status_code == 200, response.text
    dates: list[str] = response.json()
    return dates


async def test_dates_come_from_the_rows_of_that_type_and_combination(client: httpx.AsyncClient) -> None:
    seeded = await _dates(client, 1, ("SWE", "all", "all"))
    assert len(seeded) == 104 and seeded[-1] == "2026-11-16" and seeded == sorted(seeded)
    no_grouping = sales_csv(
        [
            "SWE,all,2026-11-30,A,1",
            "SWE,all,2026-11-23,A,1",
            "NOR,all,2027-01-04,A,1",
            "SWE,SE-AB,2027-02-01,A,1",
        ],
        header="Country,Region,Date,Product,UnitsSold",
    )
    grouped = sales_csv(["SWE,all,online,2027-03-01,A,1"])
    media = b"Country,Region,Date,Product,Media,Campaign,Metric,Value\nSWE,all,2027-06-07,A,TV,C,GRP,3\n"
    uploads = [
        await _upload(client, no_grouping),
        await _upload(client, grouped),
        await _upload(client, media, kind="Media"),
    ]
    dataset = (await client.post(P + "/datasets", json={"upload_ids": uploads, "dataset_ids": [1]})).json()[
        "IId"
    ]
    swe = await _dates(client, dataset, ("SWE", "all", "all"))
    assert swe == [*seeded, "2026-11-23", "2026-11-30"]
    assert await _dates(client, dataset, ("SWE", "SE-AB", "all"), ("SWE", "all", "online")) == [
        "2027-02-01",
        "2027-03-01",
    ]
    assert await _dates(client, dataset, ("SWE", "all", "all"), kind="Media") == [*seeded, "2027-06-07"]
    assert await _dates(client, dataset, ("XXX", "all", "all")) == []
    only_new = (await client.post(P + "/datasets", json={"upload_ids": [uploads[0]]})).json()["IId"]
    assert await _dates(client, only_new, ("NOR", "all", "all")) == ["2027-01-04"]
    assert await _dates(client, only_new, ("NOR", "all", "all"), kind="Events") == []


def test_the_checker_reads_a_large_file_as_a_stream() -> None:
    rows = (f"SWE,all,all,{2000 + i // 365:04d}-01-{1 + i % 28:02d},P{i % 7},{i}\n" for i in range(20_000))
    content = b"Country,Region,Grouping,Date,Product,UnitsSold\n" + "".join(rows).encode()
    result = check_file(io.BytesIO(content), filename="big.csv", dataset_type="Sales")
    assert result.error is None
    assert (result.rows, result.size) == (20_000, len(content))
    assert len(result.keys) == len({key[3] for key in result.keys})
