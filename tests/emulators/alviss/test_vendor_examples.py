"""The vendor's own example scripts run unchanged against the served Alviss emulator.

Each script is copied from the vendor's documentation; only the base URL,
token, team/project ids and file path are swapped in by plain text
replacement.  The emulator runs under a real uvicorn server on a loopback
port with every job finishing at once, so no script ever sleeps, and the
effects are read back through ``/_emulator/stats`` and the API itself.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.served import served_emulator

HERE = Path(__file__).parent
SEEDS = HERE.parents[3] / "shared" / "seeds"
TOKEN = "vendor-example-token"
TEAM = 4
ROUTE = "/api/v1/api/projects/{team_id}/{project_id}"
SCRIPTS = {
    "seed000_upload_refit_attribute.py": "000_ae509aecc2aa7096.txt",
    "seed001_example_data_upload.py": "001_35e82f585cac3593.txt",
    "seed001_extend_active_attribution_set.py": "001_35e82f585cac3593.txt",
    "seed001_remodel.py": "001_35e82f585cac3593.txt",
}


@dataclass
class Served:
    base: str
    client: httpx.Client

    def get(self, project: int, path: str) -> Any:
        response = self.client.get(f"/api/v1/api/projects/{TEAM}/{project}{path}")
        assert response.status_code == 200, response.text
        return response.json()

    def stats(self) -> Any:
        return self.client.get("/_emulator/stats").json()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    with (
        served_emulator("alviss", data_dir=tmp_path / "data", token=TOKEN) as base,
        httpx.Client(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}) as client,
    ):
        yield Served(base=base, client=client)


def run_script(
    name: str,
    served: Served,
    *,
    project: int | str,
    tmp_path: Path,
    file_path: Path | None = None,
    team: int | str = TEAM,
) -> str:
    """Run a vendor script with only its settings replaced; return what it printed."""
    text = (HERE / name).read_text()
    values = {"token": TOKEN, "team_id": str(team), "project_id": str(project)}
    if file_path is not None:
        values["file_path"] = str(file_path)
    swaps = {'"https://app.alviss.io/api/v1/api"': f'"{served.base}/api/v1/api"'}
    for variable, value in values.items():
        for placeholder in ("<SET ME>", "<set me>"):
            swaps[f'{variable} = "{placeholder}"'] = f'{variable} = "{value}"'
    for old, new in swaps.items():
        text = text.replace(old, new)
    assert "<SET ME>" not in text and "<set me>" not in text and "app.alviss.io/api" not in text
    script = tmp_path / name
    script.write_text(text)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _new_sales_file(tmp_path: Path) -> Path:
    path = tmp_path / "sales_w47.csv"
    rows = [
        f"{c},all,all,{d},Classic,{n}"
        for c in ("SWE", "NOR")
        for n, d in enumerate(("2026-11-23", "2026-11-30"))
    ]
    path.write_text(
        "Country,Region,Grouping,Date,Product,UnitsSold,Price\n" + "".join(r + ",19.90\n" for r in rows)
    )
    return path


def _counts(stats: Any, project: int) -> dict[str, int]:
    counts: dict[str, int] = stats["projects"][f"{TEAM}/{project}"]
    return counts


SEEDED = {"upload": 2, "dataset": 1, "model": 2, "attribution": 2, "attribution_set": 1}


def test_upload_refit_attribute(served: Served, tmp_path: Path) -> None:
    out = run_script("seed000_upload_refit_attribute.py", served, project=1, tmp_path=tmp_path,
                     file_path=_new_sales_file(tmp_path))  # fmt: skip
    stats = served.stats()
    assert _counts(stats, 1) == {**SEEDED, "upload": 3, "dataset": 2, "model": 3, "attribution": 3}
    assert stats["requests"][f"GET {ROUTE}/datauploads/{{upload_id}}"] == 1  # the first poll saw "complete"
    assert stats["requests"][f"POST {ROUTE}/models/{{model_id}}/refit"] == 1
    dataset = served.get(1, "/datasets/2")
    assert (dataset["DataUploads"], dataset["ExtendedFrom"], dataset["Active"]) == ([1, 2, 3], [1], False)
    model = served.get(1, "/models/12")
    assert (model["RefitOf"], model["DataSet"], model["Country"], model["Status"]) == (
        3,
        {"IId": 2},
        "SWE",
        "completed",
    )
    assert (len(model["TrainDates"]), len(model["EvalDates"])) == (
        79,
        27,
    )  # 104 seeded + 2 new weeks, split 75 %
    attribution = served.get(1, "/attributions/6")
    assert (attribution["Model"], attribution["EndDate"], attribution["Samples"]) == (
        {"IId": 12},
        "2026-11-30",
        20,
    )
    assert "Waiting for attribution to complete" in out


def test_example_data_upload(served: Served, tmp_path: Path) -> None:
    run_script("seed001_example_data_upload.py", served, project=2, tmp_path=tmp_path,
               file_path=_new_sales_file(tmp_path))  # fmt: skip
    stats = served.stats()
    assert _counts(stats, 2) == {**SEEDED, "upload": 3, "dataset": 2}
    assert stats["requests"][f"POST {ROUTE}/datasets/{{dataset_id}}/activate"] == 1
    active = served.get(2, "/datasets/active")
    assert (active["IId"], active["DataUploads"], active["ExtendedFrom"]) == (2, [3], [])


def test_extend_active_attribution_set(served: Served, tmp_path: Path) -> None:
    run_script("seed001_extend_active_attribution_set.py", served, project=3, tmp_path=tmp_path)
    stats = served.stats()
    assert _counts(stats, 3) == {**SEEDED, "attribution_set": 2}
    assert stats["requests"][f"PATCH {ROUTE}/attributionset/{{set_id}}/activate"] == 1
    active = served.get(3, "/attributionset/active")
    assert (active["IId"], active["Attributions"], active["Status"]) == (
        2,
        [{"IId": 5}, {"IId": 4}],
        "complete",
    )


def test_remodel(served: Served, tmp_path: Path) -> None:
    run_script("seed001_remodel.py", served, project=4, tmp_path=tmp_path)
    stats = served.stats()
    assert _counts(stats, 4) == {**SEEDED, "model": 4}
    assert stats["requests"][f"POST {ROUTE}/build/model"] == 2
    assert stats["requests"]["GET /api/v1/api/graph_instances/{team_id}/{graph_instance_id}"] == 1
    high, low = served.get(4, "/models/12"), served.get(4, "/models/13")
    for model in (high, low):
        assert (model["Country"], model["DataSet"], model["ModelParam"]["epochs"]) == ("NOR", {"IId": 1}, 50)
    assert high["GraphInstance"]["Graph"]["Id"] != low["GraphInstance"]["Graph"]["Id"]


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.parametrize(("name", "seed"), sorted(SCRIPTS.items()))
def test_the_scripts_are_the_vendors_code(name: str, seed: str) -> None:
    """Apart from the leading comments, line breaks and indentation, each script is the seed's text."""
    if not (SEEDS / seed).exists():
        pytest.skip(f"the vendor pages are not beside the repository ({SEEDS})")
    lines = (HERE / name).read_text().splitlines()
    while lines[0].startswith("#"):  # the header this project added
        lines.pop(0)
    code = "\n".join(lines)
    assert _words(code) in _words((SEEDS / seed).read_text())


def test_serve_answers_over_http_and_never_logs_the_token(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    secret = "serve-secret-4711"
    code = (
        "from pathlib import Path; from reconciler.emulators import serve; "
        f"serve('alviss', port={port}, data_dir=Path({str(tmp_path)!r}), token={secret!r})"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        url = f"http://127.0.0.1:{port}/api/v1/api/projects/1/1/models/3"
        deadline = time.monotonic() + 20
        while True:
            try:
                refused = httpx.get(url, headers={"Authorization": "Bearer not-it"})
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the served emulator did not start"
                time.sleep(0.05)
        assert refused.status_code == 401
        assert httpx.get(url, headers={"Authorization": f"Bearer {secret}"}).json()["Country"] == "SWE"
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=20)
    assert "/models/3" in output  # the access log is there, and it holds no token
    assert secret not in output and "not-it" not in output
    assert (tmp_path / "alviss.sqlite3").exists()


def test_example_data_upload_with_string_team_and_project_ids(served: Served, tmp_path: Path) -> None:
    """The scripts set ``team_id = "<set me>"``: string ids are served as their own project."""
    run_script("seed001_example_data_upload.py", served, project="north", team="acme", tmp_path=tmp_path,
               file_path=_new_sales_file(tmp_path))  # fmt: skip
    assert served.stats()["projects"]["acme/north"] == {**SEEDED, "upload": 3, "dataset": 2}
    active = served.client.get("/api/v1/api/projects/acme/north/datasets/active").json()
    assert (active["IId"], active["DataUploads"], active["ExtendedFrom"]) == (2, [3], [])
