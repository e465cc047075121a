"""The weekly-refresh spec pointed at a served emulator, and counting what the emulator holds."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import httpx

from tests.support import REPO

TOKEN = "reliability-token"
#: What one market's project holds after one weekly refresh: the default world plus one of each job.
CONVERGED = {"upload": 4, "dataset": 2, "model": 3, "attribution": 3, "attribution_set": 2}
PROJECTS = ("1/1", "1/2")


def weekly_against(root: Path, base: str) -> Path:
    """A copy of specs/ under ``root`` whose weekly-refresh spec talks to the emulator at ``base``."""
    shutil.copytree(REPO / "specs", root / "specs", dirs_exist_ok=True)
    spec = root / "specs" / "weekly-refresh.yaml"
    text = spec.read_text().replace(
        "endpoint: emulator://alviss", f"endpoint: {base}/api/v1/api\n    token: ${{env:ALVISS_TOKEN}}"
    )
    spec.write_text(text)
    return spec


def held(base: str) -> dict[str, dict[str, int]]:
    """Objects per kind in each of the weekly spec's projects."""
    stats: dict[str, Any] = httpx.get(f"{base}/_emulator/stats", timeout=10).json()
    return {project: {kind: stats["projects"][project][kind] for kind in CONVERGED} for project in PROJECTS}
