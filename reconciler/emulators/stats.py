"""``/_emulator/stats``: every emulator's object, request and fault counts, and their reset."""

from __future__ import annotations

from typing import Any, Protocol

from fastapi import FastAPI

from reconciler.emulators.gate import EMULATOR_PREFIX


class StatsSource(Protocol):
    """An emulator's world, as far as its statistics go."""

    def stats(self) -> dict[str, Any]: ...

    def reset_requests(self) -> None: ...


def add_stats_routes(app: FastAPI, world: StatsSource) -> None:
    """``GET /_emulator/stats`` reports; ``DELETE`` clears the request counts and reports."""

    @app.get(EMULATOR_PREFIX + "/stats")
    async def stats() -> dict[str, Any]:
        return world.stats()

    @app.delete(EMULATOR_PREFIX + "/stats")
    async def reset_stats() -> dict[str, Any]:
        world.reset_requests()
        return world.stats()
