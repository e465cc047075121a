"""The vendor's documented Akkio training exchange, sent unchanged to the served emulator.

Seed 004 documents training as HTTP exchanges (``seed004_akkio_training.py``
keeps them verbatim).  They are sent with ``requests`` to the emulator under
a real uvicorn server; only the host, the key and the dataset id are swapped.
The documented request has no ``duration`` (the page lists it nowhere; the
OpenAPI document requires it): the emulator takes it as 10, the fastest, so
the request is sent exactly as published.  Answers are compared with the
documented ones by shape (keys and types).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.emulators.akkio import seed004_akkio_training as seed
from tests.served import served_emulator

HERE = Path(__file__).parent
SEED = HERE.parents[3] / "shared" / "seeds" / "004_b9abf3f8210106bf.txt"
KEY = "vendor-example-akkio-key"
SAMPLE_IDS = {"YTV32jCdVf5DbcMxzvX5"}
FIELDS = (  # the fields of the dataset the vendor's page assumes
    "Job Title", "Years of Experience", "Company Size", "Industry", "Location", "Webinars Attended",
    "Whitepapers Downloaded", "Pages Visited", "Days Since Last Visit", "Email Open Rate", "Email Click Rate",
    "Responded to Survey",
)  # fmt: skip
ROWS = [
    {
        **{field: (n * (i + 3)) % 7 for i, field in enumerate(FIELDS)},
        "Job Title": title,
        "Positive Lead": int(n % 5 == 0),
    }
    for n, title in enumerate(["Executive", "Assistant", "Manager", "Analyst"] * 5)
]


def _http(block: str) -> tuple[str, str, Any]:
    line, _, body = block.partition("\n")
    method, path = line.split(" ", 1)
    return method, path, json.loads(body) if body.strip() else None


def _shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return (
        "number" if isinstance(value, int | float) and not isinstance(value, bool) else type(value).__name__
    )


@pytest.fixture
def host(tmp_path: Path) -> Iterator[str]:
    with served_emulator("akkio", data_dir=tmp_path, token=KEY, durations={"train": 0.2}) as base:
        yield base


def _dataset(host: str) -> str:
    created = requests.post(f"{host}/v1/datasets", json={"api_key": KEY, "name": "Leads"}, timeout=10).json()
    requests.post(
        f"{host}/v1/datasets", json={"api_key": KEY, "id": created["dataset_id"], "rows": ROWS}, timeout=10
    )
    dataset_id: str = created["dataset_id"]
    return dataset_id


def test_the_documented_training_sequence(host: str) -> None:
    headers = {"X-API-Key": KEY}
    dataset_id = _dataset(host)
    method, path, body = _http(seed.CREATE_REQUEST)
    body["dataset_id"] = dataset_id
    url = host + path

    assert set(body) == {"dataset_id", "predict_fields"}  # as published: no duration
    created = requests.request(method, url, json=body, headers=headers, timeout=10)
    assert created.status_code == 201, created.text
    assert _shape(created.json()) == _shape(json.loads(seed.CREATE_RESPONSE))
    task_id = created.json()["task_id"]

    method, path, _ = _http(seed.STATUS_REQUEST.replace("<task_id>", task_id))
    seen = []
    deadline = time.monotonic() + 10
    while True:
        status = requests.request(method, host + path, headers=headers, timeout=10).json()
        seen.append(status["status"])
        if status["status"] in ("SUCCEEDED", "FAILED") or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert seen[-1] == "SUCCEEDED" and set(seen) <= {"PENDING", "SUBMITTED", "IN_PROGRESS", "SUCCEEDED"}
    documented = json.loads(seed.STATUS_SUCCEEDED)
    assert status["metadata"].keys() == documented["metadata"].keys()
    assert status["metadata"]["type"] == "SUCCEEDED"

    # "construct the end URL from the site name, API root, and the provided location"
    site_api_root = seed.API_ROOT.replace("https://api.akkio.com", host)
    result = requests.get(site_api_root + status["metadata"]["location"], headers=headers, timeout=10)
    method, path, _ = _http(seed.RESULT_REQUEST.replace("<task_id>", task_id))
    assert requests.request(method, host + path, headers=headers, timeout=10).json() == result.json()
    assert _shape(result.json()) == _shape(_sample_result())


def _sample_result() -> Any:
    text = SEED.read_text() if SEED.exists() else ""
    start = text.find('{\n"status": "success"')
    if start < 0:
        pytest.skip(f"the vendor page is not beside the repository ({SEED})")
    decoded, _ = json.JSONDecoder().raw_decode(text[start:])
    return decoded


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_the_blocks_are_the_vendors_text() -> None:
    if not SEED.exists():
        pytest.skip(f"the vendor page is not beside the repository ({SEED})")
    page = _words(SEED.read_text())
    blocks = [value for name, value in vars(seed).items() if name.isupper() and isinstance(value, str)]
    assert len(blocks) == 7
    for block in blocks:
        assert _words(block) in page, block
    assert set(re.findall(r'"dataset_id": "(\w+)"', seed.CREATE_REQUEST)) >= SAMPLE_IDS
