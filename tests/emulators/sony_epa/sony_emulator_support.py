"""Shared helpers of the Sony EPA emulator tests."""

from __future__ import annotations

KEY = "sony-model-key-1"
BASE = "http://sony.test"
API = BASE + "/v1/external"


class EpaClock:
    """A clock the test moves by hand."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
