"""Fixtures for the system tests: a project directory the command line runs in."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support import REPO

from .support import INSTANT


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RECONCILER_EMULATOR_DIR", str(tmp_path / "emulators"))
    monkeypatch.setenv("RECONCILER_EMULATOR_DURATIONS", INSTANT)
    return tmp_path
