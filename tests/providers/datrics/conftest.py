"""The ``example`` fixture: specs/datrics-scoring.yaml and its data copied into a temporary directory."""

from __future__ import annotations

from pathlib import Path

import pytest
from datrics_provider_support import Example


@pytest.fixture
def example(tmp_path: Path) -> Example:
    return Example.copy(tmp_path)
