"""Shared test helpers: the demo spec, copied and applied against the in-process emulator.

Emulator jobs take no time (durations 0) unless a test says otherwise, and
the client's sleep only yields to the event loop, so a whole apply takes
milliseconds.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from reconciler import emulators
from reconciler.workflow import Settings, Workspace

REPO = Path(__file__).resolve().parents[1]
INSTANT = {kind: 0.0 for kind in emulators.JOB_KINDS["alviss"]}


async def no_wait(seconds: float) -> None:
    await asyncio.sleep(0)


@dataclass
class Demo:
    """A demo workspace: its spec, its emulator world and its settings."""

    root: Path
    settings: Settings
    name: str = "demo"

    @property
    def spec(self) -> Path:
        return self.root / "specs" / f"{self.name}.yaml"

    @property
    def state_file(self) -> Path:
        return self.root / "state" / f"{self.name}.json"

    def data(self, name: str) -> Path:
        return self.root / "specs" / "data" / "demo" / name

    def state(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.state_file.read_text())
        return document

    async def call(self, method: str, path: str, *, team: int = 1, project: int = 1) -> Any:
        """One request to the emulator's API for a project (as someone outside the tool would)."""
        app = emulators.create_app("alviss", data_dir=self.settings.emulator_dir or self.root)
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": "Bearer outsider"}
        async with httpx.AsyncClient(transport=transport, base_url="http://e", headers=headers) as client:
            response = await client.request(method, f"/api/v1/api/projects/{team}/{project}{path}")
            response.raise_for_status()
            return response.json()

    def workspace(self, **changes: Any) -> Workspace:
        settings = self.settings
        if changes:
            from dataclasses import replace

            settings = replace(settings, **changes)
        return Workspace(self.spec, settings=settings)

    async def stats(self) -> dict[str, Any]:
        app = emulators.create_app("alviss", data_dir=self.settings.emulator_dir or self.root)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://e") as client:
            response = await client.get("/_emulator/stats")
            response.raise_for_status()
            body: dict[str, Any] = response.json()
            return body


def mutating(stats: dict[str, Any]) -> int:
    """Requests other than GET the emulator has answered."""
    return sum(count for route, count in stats["requests"].items() if not route.startswith("GET "))
