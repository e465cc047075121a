"""An endpoint without its API prefix stops the plan (exit 1, the URL tried, what to check); no creates.

Each platform's example spec is pointed at a served emulator at its bare host
(``http://127.0.0.1:PORT`` instead of ``…/api/v1`` or ``…/v1/external``):
every API path is then a 404.  The plan must stop with an error that names
the URL it tried and says to check the endpoint, plan nothing, and send no
mutating request; that holds with no state (nothing is created) and after a
full apply (nothing recorded is taken as gone and made again).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from reconciler import errors
from reconciler.workflow import Workspace
from tests.served import served_emulator
from tests.system.test_platform_faults import PLATFORMS, SETTINGS, against, stats


def mutating(found: dict[str, dict[str, int]]) -> dict[str, int]:
    return {
        route: count
        for route, count in found["requests"].items()
        if not route.startswith(("GET ", "HEAD ")) and "/_emulator" not in route
    }


@pytest.mark.parametrize("name", list(PLATFORMS))
async def test_a_plan_against_an_endpoint_without_its_prefix_stops(tmp_path: Path, name: str) -> None:
    platform = PLATFORMS[name]
    with served_emulator(name, data_dir=tmp_path / "world", token=platform.token) as base:
        spec = against(tmp_path, dataclasses.replace(platform, api_path=""), base)
        with pytest.raises(errors.ProviderError) as caught:
            await Workspace(spec, settings=SETTINGS).plan()
        found = stats(base)
    message = str(caught.value)
    assert caught.value.exit_code == 1
    assert f"{base}/" in message and "404" in message and "check the endpoint" in message
    assert platform.api_path in message  # the hint names the prefix the endpoint should end in
    assert mutating(found) == {}
    assert sum(found["objects"].values()) == 0 or name == "sony_epa"  # Sony counts models on first use
    if name == "sony_epa":
        assert found["objects"]["retrain_job"] == 0


@pytest.mark.parametrize("name", ["akkio", "sony_epa"])
async def test_after_an_apply_a_wrong_endpoint_never_reads_as_gone(tmp_path: Path, name: str) -> None:
    platform = PLATFORMS[name]
    with served_emulator(name, data_dir=tmp_path / "world", token=platform.token) as base:
        right = against(tmp_path / "right", platform, base)
        await Workspace(right, settings=SETTINGS).apply()
        before = stats(base)
        wrong = against(tmp_path / "wrong", dataclasses.replace(platform, api_path=""), base)
        state = right.parent.parent / "state"
        (wrong.parent.parent / "state").mkdir(exist_ok=True)
        for recorded in state.iterdir():
            if recorded.is_file():  # the state's files; .reconciler/ holds only remembered file hashes
                (wrong.parent.parent / "state" / recorded.name).write_bytes(recorded.read_bytes())
        with pytest.raises(errors.ProviderError, match="check the endpoint"):
            await Workspace(wrong, settings=SETTINGS).plan()
        after = stats(base)
    assert mutating(after) == mutating(before)
    assert after["objects"] == before["objects"]
