"""Agents as real processes, their endpoints, and workspaces of the Alviss emulator served on loopback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tests.support import REPO

TOKEN = "agent-test-token"
START_TIMEOUT = 30.0


class AgentProcess:
    """``reconciler agent …`` in its own process; its stderr collected line by line."""

    def __init__(self, args: Sequence[str], *, cwd: Path, env: dict[str, str]) -> None:
        self.lines: list[str] = []
        self.url: str | None = None
        self._started = threading.Event()
        full_env = {**os.environ, "PYTHONPATH": str(REPO), **env}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "reconciler", "agent", "--port", "0", *args],
            cwd=cwd,
            env=full_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if not self._started.wait(START_TIMEOUT) or self.url is None:
            self.kill()
            raise AssertionError("the agent did not start:\n" + self.log())

    @property
    def pid(self) -> int:
        return self.process.pid

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line.rstrip("\n"))
            if self.url is None and "serving http://" in line:
                self.url = line.split("serving ", 1)[1].split(" ", 1)[0]
                self._started.set()
        self._started.set()

    def log(self) -> str:
        return "\n".join(self.lines)

    def get(self, path: str) -> tuple[int, str]:
        assert self.url is not None
        try:
            with urllib.request.urlopen(self.url + path, timeout=10) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def metric(self, name: str, **labels: str) -> float | None:
        """One sample of ``/metrics``, or None when it is not there."""
        from prometheus_client.parser import text_string_to_metric_families

        _, text = self.get("/metrics")
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                    return float(sample.value)
        return None

    def terminate(self, timeout: float = 60.0) -> int:
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout)
        self._close()
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self._close()

    def _close(self) -> None:
        self._reader.join(5)
        if self.process.stderr is not None and not self._reader.is_alive():
            self.process.stderr.close()


def wait_for(condition: Callable[[], Any], *, timeout: float, what: str, every: float = 0.2) -> Any:
    """Poll ``condition`` until it is truthy (and return it); after ``timeout``, fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(every)


def stats(emulator_url: str) -> dict[str, Any]:
    with urllib.request.urlopen(emulator_url + "/_emulator/stats", timeout=10) as answer:
        result: dict[str, Any] = json.loads(answer.read())
    return result


def post(url: str, *, token: str = TOKEN) -> Any:
    request = urllib.request.Request(url, method="POST", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read() or b"null")


def write_workspace(root: Path, number: int, *, emulator_url: str, state: str, week: str = "w47") -> Path:
    """``specs/wsN.yaml``: two uploads the active dataset of Alviss project 1/N must contain.

    ``state`` is the spec's ``state:`` block as one flow mapping.
    """
    data = root / "specs" / "data" / f"ws{number}"
    data.mkdir(parents=True, exist_ok=True)
    for kind in ("sales", "media"):
        source = REPO / "specs" / "data" / "demo" / f"{kind}_{week}.csv"
        target = data / f"{kind}.csv"
        if not target.exists():
            target.write_bytes(source.read_bytes())
    spec = root / "specs" / f"ws{number}.yaml"
    spec.write_text(
        "version: 1\n"
        f"state: {state}\n"
        "providers:\n"
        "  alviss:\n"
        f"    endpoint: {emulator_url}/api/v1/api\n"
        "    token: ${env:ALVISS_TOKEN}\n"
        "    team: 1\n"
        f"    project: {number}\n"
        "resources:\n"
        f"  alviss.upload.sales: {{dataset_name: Sales, file: data/ws{number}/sales.csv}}\n"
        f"  alviss.upload.media: {{dataset_name: Media, file: data/ws{number}/media.csv}}\n"
        "  alviss.active_dataset.main:\n"
        "    contains: [alviss.upload.sales, alviss.upload.media]\n"
    )
    return spec


def change_data(root: Path, number: int, line: str) -> None:
    """Append ``line`` to workspace N's sales file, atomically (an agent never reads half of it)."""
    path = root / "specs" / "data" / f"ws{number}" / "sales.csv"
    temp = path.with_name(path.name + ".tmp")
    temp.write_text(path.read_text() + line + "\n")
    os.replace(temp, path)
