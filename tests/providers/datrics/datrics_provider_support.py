"""Helpers for the Datrics provider tests: the example spec in a temporary directory, run in-process.

Emulator tasks take no time unless a test says otherwise, and the client's
sleep only yields to the event loop, so a whole apply takes milliseconds.
"""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx

from reconciler import emulators
from reconciler.providers.base import ClientOptions
from reconciler.workflow import Settings, Workspace

REPO = Path(__file__).resolve().parents[3]
CREDIT = "datrics.predictions.credit_applications"
PASSENGERS = "datrics.predictions.passengers"


async def no_wait(seconds: float) -> None:
    await asyncio.sleep(0)


@dataclass
class Example:
    """A copy of specs/datrics-scoring.yaml and its data, with its own emulator world."""

    root: Path
    settings: Settings

    @classmethod
    def copy(cls, root: Path, *, environ: dict[str, str] | None = None) -> Example:
        (root / "specs" / "data").mkdir(parents=True)
        shutil.copy(REPO / "specs" / "datrics-scoring.yaml", root / "specs" / "datrics-scoring.yaml")
        shutil.copytree(REPO / "specs" / "data" / "datrics", root / "specs" / "data" / "datrics")
        settings = Settings(
            environ=environ or {},
            emulator_dir=root / "emulators",
            emulator_durations={"datrics": {"predict": 0.0}},
            client=ClientOptions(sleep=no_wait),
        )
        return cls(root=root, settings=settings)

    @property
    def spec(self) -> Path:
        return self.root / "specs" / "datrics-scoring.yaml"

    @property
    def state_file(self) -> Path:
        return self.root / "state" / "datrics-scoring.json"

    def data(self, name: str) -> Path:
        return self.root / "specs" / "data" / "datrics" / name

    def output(self, name: str) -> Path:
        return self.root / "predictions" / "datrics" / name

    def edit_spec(self, old: str, new: str) -> None:
        text = self.spec.read_text()
        assert old in text
        self.spec.write_text(text.replace(old, new))

    def workspace(self, **changes: Any) -> Workspace:
        return Workspace(self.spec, settings=replace(self.settings, **changes) if changes else self.settings)

    async def stats(self) -> dict[str, Any]:
        app = emulators.create_app("datrics", data_dir=self.root / "emulators")
        try:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://e"
            ) as client:
                body: dict[str, Any] = (await client.get("/_emulator/stats")).json()
                return body
        finally:
            app.state.store.close()


def posts(stats: dict[str, Any]) -> int:
    """Prediction tasks submitted (the only mutating call)."""
    return sum(count for route, count in stats["requests"].items() if not route.startswith("GET "))
