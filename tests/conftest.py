"""Fixtures shared by the tests: the demo and weekly-refresh specs, copied and applied in-process."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reconciler.providers.base import ClientOptions
from reconciler.workflow import Settings
from tests.support import INSTANT, REPO, Demo, no_wait


@pytest.fixture
def demo(tmp_path: Path) -> Demo:
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    settings = Settings(
        environ={},
        emulator_dir=tmp_path / "emulators",
        emulator_durations={"alviss": INSTANT},
        client=ClientOptions(sleep=no_wait),
    )
    return Demo(root=tmp_path, settings=settings)


@pytest.fixture
def weekly(demo: Demo) -> Demo:
    """The two-market weekly refresh (specs/weekly-refresh.yaml) in the same temporary copy."""
    return Demo(root=demo.root, settings=demo.settings, name="weekly-refresh")
