"""The vendor's own Sony EPA retrain examples run against the served emulator.

``seed003_sony_retrain_upload.py`` is the page's Python example, copied as
published; the test swaps in only the URL, the API key and the file names and
paths (the page's ``YOUR_…`` placeholders).  As published the example does
not run anywhere: its zip block is indented with tabs inside a block
indented with spaces (a ``TabError``: the page's rendering lost the
indentation) and its last line runs a ``cmd`` the page never defines.  So
the test makes exactly those two repairs, asserts that they are needed, and
changes nothing else.  The page documents the status check and the model
switch without code, so those run as the documented call sequence with
``requests``; the curl example runs when curl is installed.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.served import served_emulator

HERE = Path(__file__).parent
SEED = HERE.parents[3] / "shared" / "seeds" / "003_12fbbba1faf74891.txt"
SCRIPT = "seed003_sony_retrain_upload.py"
VENDOR_API = "https://developer-api.easy-predictive-analytics.sony.com/v1/external"
KEY = "sony-vendor-example-key"
CSV = "customer_id,tenure_months,churned\nC00001,12,no\nC00002,3,yes\n"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    with served_emulator("sony_epa", data_dir=tmp_path / "data", token=KEY) as base:
        yield base


def stats(base: str) -> Any:
    return requests.get(f"{base}/_emulator/stats", timeout=10).json()


def data_files(tmp_path: Path) -> tuple[Path, Path]:
    train, evaluation = tmp_path / "train_data.csv", tmp_path / "eval_data.csv"
    train.write_text(CSV)
    evaluation.write_text(CSV.replace("C0000", "E0000"))
    return train, evaluation


def test_the_script_is_the_vendors_code() -> None:
    if not SEED.exists():
        pytest.skip(f"the vendor page is not beside the repository ({SEED})")
    lines = (HERE / SCRIPT).read_text().splitlines()
    while lines[0].startswith("#"):  # the header this project added
        lines.pop(0)
    assert _words("\n".join(lines)) in _words(SEED.read_text())


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_the_published_example_needs_its_two_repairs() -> None:
    text = (HERE / SCRIPT).read_text()
    with pytest.raises(TabError):
        compile(text, SCRIPT, "exec")
    assert "cmd =" not in text and "subprocess.run(cmd," in text


def test_retrain_upload_example(served: str, tmp_path: Path) -> None:
    train, evaluation = data_files(tmp_path)
    text = (HERE / SCRIPT).read_text()
    swaps = {
        f"'{VENDOR_API}/retrain_jobs/upload_url'": f"'{served}/v1/external/retrain_jobs/upload_url'",
        "'YOUR_API_KEY'": f"'{KEY}'",
        "'YOUR_RE_TRAIN_DATA_FILE_PATH'": repr(str(train)),
        "'YOUR_RE_TRAIN_DATA_FILE_NAME'": "'train_data.csv'",
        "'YOUR_RE_TRAIN_ZIP_FILE_NAME'": "'retrain.zip'",
        "'YOUR_RE_TRAIN_EVAL_DATA_FILE_NAME'": "'eval_data.csv'",
        "'YOUR_RE_TRAIN_EVAL_DATA_FILE_PATH'": repr(str(evaluation)),
        # the two repairs (see the module docstring)
        "\t": "  ",
        "subprocess.run(cmd,": f"subprocess.run([{sys.executable!r}, '-c', 'pass'],",
    }
    for old, new in swaps.items():
        assert old in text, old
        text = text.replace(old, new)
    assert "YOUR_" not in text and "easy-predictive-analytics.sony.com" not in text
    script = tmp_path / SCRIPT
    script.write_text(text)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr

    after = stats(served)
    assert after["requests"]["GET /v1/external/retrain_jobs/upload_url"] == 2
    assert after["requests"]["PUT /_uploads/{retrain_job_id}"] == 2
    assert after["objects"]["retrain_started"] == 2
    assert after["statuses"] == {"finished": 2}  # the plain file and the zip both trained


def test_status_check_and_switch_as_documented(served: str, tmp_path: Path) -> None:
    train, _ = data_files(tmp_path)
    headers = {"x-api-key": KEY}
    api = f"{served}/v1/external"
    issued = requests.get(
        f"{api}/retrain_jobs/upload_url", params={"filename": train.name}, headers=headers, timeout=10
    )
    job, upload_url = issued.json()["retrain_job_id"], issued.json()["upload_url"]
    with open(train, "rb") as f:
        assert requests.put(upload_url, data=f.read(), timeout=10).status_code == 200
    checked = requests.get(f"{api}/retrain_jobs/{job}", headers=headers, timeout=10).json()
    assert checked["status"] == "finished" and checked["metadata"] == {"retrain_job_id": job}
    assert requests.get(checked["download_url"], timeout=10).status_code == 200
    switched = requests.put(f"{api}/retrain_jobs/{job}/update_model", headers=headers, timeout=10)
    assert switched.json() == {"metadata": {"retrain_job_id": job}}
    assert requests.get(f"{served}/_emulator/model", headers=headers, timeout=10).json() == {
        "serving_retrain_job_id": job
    }
    refused = requests.get(f"{api}/retrain_jobs/{job}", headers={"x-api-key": "wrong"}, timeout=10)
    assert (refused.status_code, refused.json()) == (
        400,
        {"code": 4001000204, "error": "PREDA_EXTERNAL_BAD_REQUEST", "message": "invalid_api_key."},
    )


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_example(served: str, tmp_path: Path) -> None:
    train, _ = data_files(tmp_path)
    (tmp_path / "param.txt").write_text(train.name, encoding="utf-8")
    subprocess.run(
        ["curl", "-s", "-o", "response.json", "-H", f"x-api-key:{KEY}", "-X", "GET", "-G",
         f"{served}/v1/external/retrain_jobs/upload_url", "--data-urlencode", "filename@param.txt"],
        cwd=tmp_path, check=True, timeout=30,
    )  # fmt: skip
    answer = json.loads((tmp_path / "response.json").read_text())
    subprocess.run(
        ["curl", "-s", "-X", "PUT", "--upload-file", str(train), answer["upload_url"]], check=True, timeout=30
    )
    checked = requests.get(
        f"{served}/v1/external/retrain_jobs/{answer['retrain_job_id']}",
        headers={"x-api-key": KEY},
        timeout=10,
    )
    assert checked.json()["status"] == "finished"
