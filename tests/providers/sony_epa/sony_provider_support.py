"""Helpers for the Sony EPA provider tests: the example spec in a temporary directory, and its emulator."""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx

from reconciler import emulators
from reconciler.workflow import Settings, Workspace

REPO = Path(__file__).resolve().parents[3]
CHURN = "sony_epa.retrain.churn"
DEMAND = "sony_epa.retrain.demand"
UPLOAD_URL = "GET /v1/external/retrain_jobs/upload_url"
STATUS = "GET /v1/external/retrain_jobs/{retrain_job_id}"
PUT = "PUT /_uploads/{retrain_job_id}"
SWITCH = "PUT /v1/external/retrain_jobs/{retrain_job_id}/update_model"


async def no_wait(seconds: float) -> None:
    await asyncio.sleep(0)


def copy_example(root: Path) -> Path:
    """``specs/sony-retrain.yaml`` and its data, copied under ``root``; the spec's path."""
    (root / "specs" / "data").mkdir(parents=True)
    shutil.copy(REPO / "specs" / "sony-retrain.yaml", root / "specs" / "sony-retrain.yaml")
    shutil.copytree(REPO / "specs" / "data" / "sony_epa", root / "specs" / "data" / "sony_epa")
    return root / "specs" / "sony-retrain.yaml"


@dataclass
class Example:
    """The example workspace, its emulator world and its settings."""

    root: Path
    spec: Path
    settings: Settings

    @property
    def state_file(self) -> Path:
        return self.root / "state" / "sony-retrain.json"

    def data(self, name: str) -> Path:
        return self.root / "specs" / "data" / "sony_epa" / name

    def workspace(self, **changes: Any) -> Workspace:
        return Workspace(self.spec, settings=replace(self.settings, **changes) if changes else self.settings)

    async def emulator(self, method: str, path: str, **kwargs: Any) -> Any:
        app = emulators.create_app("sony_epa", data_dir=self.settings.emulator_dir or self.root)
        try:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://e"
            ) as client:
                response = await client.request(method, path, **kwargs)
                response.raise_for_status()
                return response.json()
        finally:
            app.state.store.close()

    async def stats(self) -> dict[str, Any]:
        body: dict[str, Any] = await self.emulator("GET", "/_emulator/stats")
        return body


def sent(before: dict[str, Any], after: dict[str, Any]) -> dict[str, int]:
    """Requests per route between two stats readings, status checks left out."""
    routes = set(before["requests"]) | set(after["requests"])
    counts = {route: after["requests"].get(route, 0) - before["requests"].get(route, 0) for route in routes}
    return {route: n for route, n in counts.items() if n and route != STATUS}
