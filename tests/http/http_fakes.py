"""Fake time shared by the HTTP tests: sleeps are recorded and advance the clocks instantly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

BASE_URL = "https://platform.test/api"


class FakeTime:
    """A monotonic clock, a wall clock and a sleep that only moves both forward."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.wall_start = datetime(2024, 1, 1, 12, 0, 0, tzinfo=UTC)
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def wall(self) -> datetime:
        return self.wall_start + timedelta(seconds=self.now - 1000.0)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
