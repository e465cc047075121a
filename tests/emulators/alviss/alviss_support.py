"""Shared helpers of the Alviss emulator tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

TOKEN = "emulator-test-token"
P = "/api/v1/api/projects/1/1"
ZERO = {"upload": 0.0, "dataset": 0.0, "refit": 0.0, "build": 0.0, "attribution": 0.0, "attribution_set": 0.0}
Maker = Callable[..., Any]


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = [start]

    def __call__(self) -> float:
        return self.now[-1]

    def advance(self, seconds: float) -> None:
        self.now.append(self.now[-1] + seconds)


def sales_csv(rows: list[str], *, header: str = "Country,Region,Grouping,Date,Product,UnitsSold") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()
