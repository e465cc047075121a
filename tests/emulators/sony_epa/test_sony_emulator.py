"""The Sony EPA emulator: the vendor's paths, status progression, data checks, switch rules, errors."""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from sony_emulator_support import API, BASE, KEY, EpaClock

H = {"x-api-key": KEY}
CSV = b"customer_id,tenure,churned\nC1,12,no\nC2,3,yes\n"


def vendor_error(message: str, code: int = 4001000204) -> dict[str, Any]:
    error = "PREDA_EXTERNAL_BAD_REQUEST" if code == 4001000204 else "PREDA_EXTERNAL_INTERNAL_SERVER_ERROR"
    return {"code": code, "error": error, "message": message}


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


async def start(
    client: httpx.AsyncClient, data: bytes, *, filename: str = "train.csv", key: str = KEY
) -> str:
    """Ask for an upload URL and PUT ``data`` to it, as the vendor's example does; the job id."""
    answer = await client.get(
        f"{API}/retrain_jobs/upload_url", params={"filename": filename}, headers={"x-api-key": key}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == {"retrain_job_id", "upload_url"}
    put = await client.put(body["upload_url"], content=data)
    assert put.status_code == 200, put.text
    return str(body["retrain_job_id"])


async def status(client: httpx.AsyncClient, job: str, *, key: str = KEY) -> dict[str, Any]:
    answer = await client.get(f"{API}/retrain_jobs/{job}", headers={"x-api-key": key})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def test_upload_url_points_back_at_the_emulator_with_a_signature(epa: httpx.AsyncClient) -> None:
    body = (await epa.get(f"{API}/retrain_jobs/upload_url", params={"filename": "a.csv"}, headers=H)).json()
    assert body["upload_url"].startswith(f"{BASE}/_uploads/{body['retrain_job_id']}?signature=")
    assert await status(epa, body["retrain_job_id"]) == {
        "status": "waiting",
        "metadata": {"retrain_job_id": body["retrain_job_id"]},
    }


async def test_a_retrain_runs_for_its_duration_then_finishes(
    epa: httpx.AsyncClient, epa_clock: EpaClock
) -> None:
    job = await start(epa, CSV)
    assert await status(epa, job) == {"status": "running", "metadata": {"retrain_job_id": job}}
    epa_clock.advance(9.9)
    assert (await status(epa, job))["status"] == "running"
    epa_clock.advance(0.1)
    done = await status(epa, job)
    assert done["status"] == "finished" and done["metadata"] == {"retrain_job_id": job}
    assert done["model_id"] and "message" not in done
    results = await epa.get(done["download_url"])
    assert results.status_code == 200 and job in results.text


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("train.csv", b"", "The uploaded file is empty."),
        ("train.csv", b"customer_id,churned\n", "train.csv: there is no data row below the header."),
        ("data.zip", b"not a zip at all", "The uploaded file is not a valid zip file."),
        ("data.zip", zipped({"train_src/t.csv": CSV}), "The zip file must hold one file under train_src/"),
        (
            "data.zip",
            zipped({"t.csv": CSV, "e.csv": CSV}),
            "The zip file must hold one file under train_src/",
        ),
        (
            "data.zip",
            zipped({"train_src/t.csv": CSV, "eval_src/e.csv": b""}),
            "eval_src/e.csv: the file is empty.",
        ),
    ],
)
async def test_unusable_data_fails_the_job_with_a_message(
    epa: httpx.AsyncClient, epa_clock: EpaClock, filename: str, data: bytes, message: str
) -> None:
    job = await start(epa, data, filename=filename)
    assert (await status(epa, job))["status"] == "running"
    epa_clock.advance(10)
    failed = await status(epa, job)
    assert failed["status"] == "failed" and failed["message"].startswith(message)
    assert "model_id" not in failed and "download_url" not in failed


async def test_a_zip_with_train_src_and_eval_src_trains(epa: httpx.AsyncClient, epa_clock: EpaClock) -> None:
    job = await start(epa, zipped({"train_src/t.csv": CSV, "eval_src/e.csv": CSV}), filename="data.zip")
    epa_clock.advance(10)
    assert (await status(epa, job))["status"] == "finished"


async def test_update_model_switches_only_to_a_finished_retrain(
    epa: httpx.AsyncClient, epa_clock: EpaClock
) -> None:
    good, bad = await start(epa, CSV), await start(epa, b"")
    early = await epa.put(f"{API}/retrain_jobs/{good}/update_model", headers=H)
    assert (early.status_code, early.json()) == (400, vendor_error("Retrain job is not finished."))
    epa_clock.advance(10)
    failed = await epa.put(f"{API}/retrain_jobs/{bad}/update_model", headers=H)
    assert (failed.status_code, failed.json()) == (400, vendor_error("Not found classifier."))
    for _ in range(2):  # switching again to the same model changes nothing
        switched = await epa.put(f"{API}/retrain_jobs/{good}/update_model", headers=H)
        assert (switched.status_code, switched.json()) == (200, {"metadata": {"retrain_job_id": good}})
    assert (await epa.get("/_emulator/model", headers=H)).json() == {"serving_retrain_job_id": good}
    assert (await epa.get("/_emulator/stats")).json()["objects"]["switch"] == 1


async def test_jobs_belong_to_the_model_of_their_key(epa: httpx.AsyncClient) -> None:
    job = await start(epa, CSV)
    other = await epa.get(f"{API}/retrain_jobs/{job}", headers={"x-api-key": "another-model"})
    assert (other.status_code, other.json()) == (400, vendor_error("Not found retrain job."))
    unknown = await epa.get(f"{API}/retrain_jobs/no-such-job", headers=H)
    assert (unknown.status_code, unknown.json()) == (400, vendor_error("Not found retrain job."))
    assert (await epa.get("/_emulator/stats")).json()["objects"]["model"] == 1  # refusals create nothing
    await epa.get(f"{API}/retrain_jobs/upload_url", params={"filename": "a.csv"}, headers={"x-api-key": "k2"})
    assert (await epa.get("/_emulator/stats")).json()["objects"]["model"] == 2  # a new key is a new model


@pytest.mark.parametrize("headers", [{}, {"x-api-key": ""}, {"x-api-key": "not-the-key"}])
async def test_a_configured_key_is_the_only_one(
    epa_app: Callable[..., httpx.AsyncClient], headers: dict[str, str]
) -> None:
    client = epa_app(token=KEY)
    refused = await client.get(
        f"{API}/retrain_jobs/upload_url", params={"filename": "a.csv"}, headers=headers
    )
    assert (refused.status_code, refused.json()) == (400, vendor_error("invalid_api_key."))
    assert "not-the-key" not in refused.text
    accepted = await client.get(f"{API}/retrain_jobs/upload_url", params={"filename": "a.csv"}, headers=H)
    assert accepted.status_code == 200


async def test_a_signature_in_the_query_does_not_open_the_api(
    epa_app: Callable[..., httpx.AsyncClient],
) -> None:
    client = epa_app(token=KEY)
    sneaky = await client.get(
        f"{API}/retrain_jobs/upload_url", params={"filename": "a.csv", "signature": "x"}
    )
    assert (sneaky.status_code, sneaky.json()) == (400, vendor_error("invalid_api_key."))


async def test_deleted_jobs_models_and_configuration_files(
    epa: httpx.AsyncClient, epa_clock: EpaClock
) -> None:
    job = await start(epa, CSV)
    epa_clock.advance(10)
    assert (await epa.delete(f"/_emulator/retrain_jobs/{job}")).status_code == 200
    gone = await epa.get(f"{API}/retrain_jobs/{job}", headers=H)
    assert (gone.status_code, gone.json()) == (400, vendor_error("Not found retrain job."))
    switch = await epa.put(f"{API}/retrain_jobs/{job}/update_model", headers=H)
    assert (switch.status_code, switch.json()) == (400, vendor_error("This job may be deleted."))

    await epa.delete("/_emulator/model/configuration_file", headers=H)
    broken = await epa.get(f"{API}/retrain_jobs/upload_url", params={"filename": "a.csv"}, headers=H)
    assert (broken.status_code, broken.json()) == (
        500,
        vendor_error("Not found configuration_file.", 5001000201),
    )

    await epa.delete("/_emulator/model", headers=H)
    deleted = await epa.get(f"{API}/retrain_jobs/upload_url", params={"filename": "a.csv"}, headers=H)
    assert (deleted.status_code, deleted.json()) == (400, vendor_error("This model may be deleted."))


async def test_the_upload_url_takes_one_whole_file_with_its_signature(epa: httpx.AsyncClient) -> None:
    body = (await epa.get(f"{API}/retrain_jobs/upload_url", params={"filename": "a.csv"}, headers=H)).json()
    url: str = body["upload_url"]
    forged = url.split("?")[0] + "?signature=forged"
    assert (await epa.put(forged, content=CSV)).status_code == 403

    async def chunked() -> AsyncIterator[bytes]:
        yield CSV

    assert (await epa.put(url, content=chunked())).status_code == 411  # storage wants a Content-Length
    assert (await status(epa, body["retrain_job_id"]))["status"] == "waiting"
    assert (await epa.put(url, content=CSV)).status_code == 200
    assert (await epa.put(url, content=CSV)).status_code == 409
    stats = (await epa.get("/_emulator/stats")).json()
    assert stats["objects"] == {"model": 1, "retrain_job": 1, "switch": 0, "retrain_started": 1}


async def test_stats_count_routes_and_persist_across_apps(epa_app: Callable[..., httpx.AsyncClient]) -> None:
    first = epa_app()
    job = await start(first, CSV)
    await status(first, job)
    second = epa_app()  # a second process on the same data directory sees the same world
    assert (await status(second, job))["status"] == "running"
    stats = (await second.get("/_emulator/stats")).json()
    assert stats["requests"] == {
        "GET /v1/external/retrain_jobs/upload_url": 1,
        "GET /v1/external/retrain_jobs/{retrain_job_id}": 2,
        "PUT /_uploads/{retrain_job_id}": 1,
    }
    assert stats["statuses"] == {"running": 1}
    reset = (await second.delete("/_emulator/stats")).json()
    assert reset["requests"] == {} and reset["objects"]["retrain_job"] == 1
