"""The base every emulator is a plugin on: the job clock, rows as records, and one world per plugin."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from reconciler import emulators, platforms
from reconciler.emulators import base
from reconciler.emulators.sqlite import record


@pytest.mark.parametrize(
    ("started", "now", "queued", "phase"),
    [
        (None, 5.0, 0.0, base.WAITING),
        (0.0, 0.0, 0.0, base.RUNNING),
        (0.0, 1.9, 0.2, base.QUEUED),
        (0.0, 2.0, 0.2, base.RUNNING),
        (0.0, 9.9, 0.2, base.RUNNING),
        (0.0, 10.0, 0.2, base.ENDED),
    ],
)
def test_the_job_clock(started: float | None, now: float, queued: float, phase: str) -> None:
    assert base.phase(started, 10.0, now=now, queued=queued) == phase


def test_a_job_of_no_duration_has_ended_at_once() -> None:
    assert base.phase(3.0, 0.0, now=3.0, queued=base.QUEUED_SHARE) == base.ENDED


@dataclass(frozen=True)
class _Row:
    id: str
    done: bool
    data: dict[str, int] | None


def test_a_row_becomes_its_record_with_flags_and_json() -> None:
    conn = sqlite3.connect(":memory:")
    conn.row_factory = sqlite3.Row
    conn.execute("CREATE TABLE t (id TEXT, extra TEXT, done INTEGER, data TEXT)")
    conn.execute("""INSERT INTO t VALUES ('a', 'x', 1, '{"n": 2}'), ('b', 'y', 0, NULL)""")
    rows = conn.execute("SELECT * FROM t ORDER BY id").fetchall()
    found = [record(_Row, row, flags=("done",), json=("data",)) for row in rows]
    assert found == [_Row("a", True, {"n": 2}), _Row("b", False, None)]


@pytest.mark.parametrize("name", platforms.NAMES)
async def test_every_plugin_builds_an_app_with_the_shared_state_and_stats(tmp_path: Path, name: str) -> None:
    app = emulators.create_app(name, data_dir=tmp_path, clock=lambda: 0.0)
    try:
        assert isinstance(app.state.world, base.World)
        assert app.state.world.durations == dict(emulators.plugin(name).durations)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://e") as client:
            stats = (await client.get("/_emulator/stats")).json()
        assert {"objects", "requests", "faults"} <= set(stats)
        assert stats["requests"] == {} and stats["faults"] == {}
        assert (tmp_path / f"{name}.sqlite3").exists()
    finally:
        app.state.store.close()
