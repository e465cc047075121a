"""The vendor's own Datrics example runs unchanged against the served Datrics emulator.

The script is the "Full code example" of the vendor's AutoModel API page,
copied verbatim; only the base URL, the API secret, the user and the model
are swapped in by plain text replacement.  The emulator runs under a real
uvicorn server on a loopback port, verifying signatures with the same secret.
The script treats every state but ``STARTED`` and ``SUCCESS`` as an error and
sleeps a real second on ``STARTED``, so it is run both with tasks that finish
at once and with a task that is still running when first polled.  Effects are
read back through ``/_emulator/stats``.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.served import served_emulator

HERE = Path(__file__).parent
SEED = HERE.parents[3] / "shared" / "seeds" / "002_6d9844212152667e.txt"
SCRIPT = "seed002_datrics_full_example.py"
SECRET = "vendor-example-datrics-secret-0123456789"
PREDICT = "/api/v1/proxy/pipeline/model/predict"
PASSENGER = {"pclass": 0, "sex": 0, "age": 29, "sibsp": 0, "parch": 0, "fare": 211.3375, "embarked": 2}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    with served_emulator("datrics", data_dir=tmp_path / "data", token=SECRET) as base:
        yield base


@pytest.fixture
def served_slowly(tmp_path: Path) -> Iterator[str]:
    """Every task runs 1.5 s: the script's first poll sees it running, as on the real platform."""
    with served_emulator(
        "datrics", data_dir=tmp_path / "data", token=SECRET, durations={"predict": 1.5}
    ) as base:
        yield base


def run_script(
    base: str, tmp_path: Path, *, secret: str = SECRET, model: str = "1/4/model-groups/2/1.json"
) -> str:
    """Run the vendor's script with only its settings replaced; return what it printed."""
    text = (HERE / SCRIPT).read_text()
    swaps = {
        "'https://api.app.datrics.ai/api/v1/proxy/pipeline/model/predict'": f"'{base}{PREDICT}'",
        'API_SECRET = ""': f'API_SECRET = "{secret}"',
        '"userId": "",': '"userId": "42",',
        '"email": ""': '"email": "analyst@example.com"',
        'MODEL_PATH = ""': f'MODEL_PATH = "{model}"',
        'MODEL_BUCKET = ""': 'MODEL_BUCKET = "storage.datrics.ai"',
    }
    for old, new in swaps.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    script = tmp_path / SCRIPT
    script.write_text(text)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def printed_result(out: str) -> Any:
    prefix = "Prediction result: "
    assert out.startswith(prefix), out
    return ast.literal_eval(out[len(prefix) :].strip())


def stats(base: str) -> Any:
    return httpx.get(f"{base}/_emulator/stats").json()


def test_the_full_example_gets_its_prediction(served: str, tmp_path: Path) -> None:
    result = printed_result(run_script(served, tmp_path))
    assert result["state"] == "SUCCESS"
    assert result["result"] == [{**PASSENGER, "prediction": 1, "probability": 0.941329}]
    assert stats(served) == {
        "objects": {"prediction_task": 1},
        "requests": {f"POST {PREDICT}": 1, f"GET {PREDICT}/info/{{task_id}}": 1},
        "faults": {},
    }


def test_the_full_example_waits_through_a_running_task(served_slowly: str, tmp_path: Path) -> None:
    result = printed_result(run_script(served_slowly, tmp_path))
    assert result["state"] == "SUCCESS"
    assert result["result"] == [{**PASSENGER, "prediction": 1, "probability": 0.941329}]
    polls = stats(served_slowly)["requests"][f"GET {PREDICT}/info/{{task_id}}"]
    assert polls >= 2  # it was STARTED at least once (the script sleeps 1 s and asks again)


def test_a_wrong_secret_takes_the_scripts_cannot_authenticate_branch(served: str, tmp_path: Path) -> None:
    out = run_script(served, tmp_path, secret="not-the-administrators-secret-0123456789")
    assert out.strip() == "Cannot authenticate"
    assert stats(served)["objects"] == {"prediction_task": 0}


def test_an_unknown_model_takes_the_scripts_error_branch(served: str, tmp_path: Path) -> None:
    result = printed_result(run_script(served, tmp_path, model="1/4/model-groups/9/1.json"))
    assert result["error"]["state"] == "FAILURE"
    assert "no model at 1/4/model-groups/9/1.json" in result["error"]["error"]


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_the_script_is_the_vendors_code() -> None:
    """Apart from the leading comments, line breaks and indentation, the script is the seed's text."""
    if not SEED.exists():
        pytest.skip(f"the vendor pages are not beside the repository ({SEED})")
    lines = (HERE / SCRIPT).read_text().splitlines()
    while lines[0].startswith("#"):  # the header this project added
        lines.pop(0)
    assert _words("\n".join(lines)) in _words(SEED.read_text())
