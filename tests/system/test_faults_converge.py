"""Under injected faults (5xx, 429, dropped connections, lost responses) apply converges with no duplicates.

Each run serves a fresh emulator world over real HTTP with a different fault
seed; apply is retried (at most three times) until the plan is empty, and the
emulator then holds exactly one object per planned job.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.emulators.faults import Faults
from reconciler.providers.base import ClientOptions
from reconciler.workflow import Settings, Workspace
from tests.served import served_emulator
from tests.support import no_wait
from tests.system.weekly_support import CONVERGED, PROJECTS, TOKEN, held, weekly_against


@pytest.mark.parametrize("seed", range(20))
async def test_apply_converges_under_faults(tmp_path: Path, seed: int) -> None:
    faults = Faults(rate=0.2, seed=seed)
    with served_emulator("alviss", data_dir=tmp_path / "world", token=TOKEN, faults=faults) as base:
        spec = weekly_against(tmp_path, base)
        settings = Settings(environ={"ALVISS_TOKEN": TOKEN}, client=ClientOptions(sleep=no_wait))
        for _ in range(3):
            await Workspace(spec, settings=settings).apply()
            if not (await Workspace(spec, settings=settings).plan()).plan.has_changes:
                break
        else:
            pytest.fail(f"seed {seed}: still changes after three applies")
        assert held(base) == dict.fromkeys(PROJECTS, CONVERGED)


async def test_lost_responses_are_adopted_not_resent(tmp_path: Path) -> None:
    faults = Faults(rate=0.25, seed=3, kinds=("lost",))
    with served_emulator("alviss", data_dir=tmp_path / "world", token=TOKEN, faults=faults) as base:
        spec = weekly_against(tmp_path, base)
        settings = Settings(environ={"ALVISS_TOKEN": TOKEN}, client=ClientOptions(sleep=no_wait))
        adopted: list[str] = []
        result = await Workspace(spec, settings=settings).apply(
            on_event=lambda event: (
                adopted.append(event.address) if event.word and event.word.startswith("adopted") else None
            )
        )
        assert result.report.ok, result.report.messages
        assert adopted, "with a quarter of the responses lost, some creates must have been adopted"
        assert held(base) == dict.fromkeys(PROJECTS, CONVERGED)
