"""A remodel whose build answer was lost is looked up by its graph too: two remodels of one source that
differ only in their edits each adopt their own model, and nothing is built twice (counted at the
emulator)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import Any

from reconciler import emulators
from reconciler.emulators.faults import Faults
from reconciler.providers.base import ClientOptions
from reconciler.vocabulary import Action
from tests.support import Demo

BUILD = "POST /api/v1/api/projects/{team_id}/{project_id}/build/model"
NO_SOCIAL = "alviss.model.no_social"
NO_PRICE = "alviss.model.no_price"

TWINS = """\
version: 1
state:
  path: ../state/twins.json
providers:
  alviss:
    endpoint: emulator://alviss
    team: 1
    project: 1
resources:
  alviss.model.no_social:
    from_model: 11
    edits:
      nodes:
        remove: [social]
  alviss.model.no_price:
    from_model: 11
    edits:
      nodes:
        remove: [price]
"""


class FakeTime:
    """One clock for the emulator and the client; sleeping moves it on."""

    def __init__(self) -> None:
        self.now = time.time()  # write-ahead records are stamped with the real time

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


def twins(demo: Demo, faults: Faults | None, spec: str = TWINS) -> Demo:
    (demo.root / "specs" / "twins.yaml").write_text(spec)
    clock = FakeTime()
    settings = replace(
        demo.settings,
        emulator_clock=clock.clock,
        emulator_faults=faults,
        emulator_durations={"alviss": dict.fromkeys(emulators.JOB_KINDS["alviss"], 0.0)},
        client=ClientOptions(sleep=clock.sleep, clock=clock.clock, random=lambda: 0.5),
    )
    return Demo(root=demo.root, settings=settings, name="twins")


async def graph_nodes(space: Demo, model_id: int) -> set[str]:
    model = await space.call("GET", f"/models/{model_id}")
    graph: dict[str, Any] = await space.call("GET", f"/build/graphs/{model['GraphInstance']['Graph']['Id']}")
    return {str(node["id"]) for node in graph["nodes"]}


def pending(space: Demo, address: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = space.state()["resources"][address].get("pending")
    return found


async def test_two_remodels_differing_only_in_edits_each_adopt_their_own_lost_build(demo: Demo) -> None:
    space = twins(demo, Faults(rate=1.0, kinds=("lost",), only=BUILD))
    result = await space.workspace().apply()
    assert result.report.ok, result.report.messages
    stats = await space.stats()
    assert stats["faults"].get("lost", 0) == 2  # both builds' answers were cut
    assert stats["requests"][BUILD] == 2  # and neither was sent again
    assert stats["projects"]["1/1"]["model"] == 4  # the two seeded models and one build each

    resources = space.state()["resources"]
    no_social, no_price = (resources[address]["outputs"]["model_id"] for address in (NO_SOCIAL, NO_PRICE))
    assert no_social != no_price
    social_less, price_less = await graph_nodes(space, no_social), await graph_nodes(space, no_price)
    assert "social" not in social_less and "price" in social_less
    assert "price" not in price_less and "social" in price_less

    calm = twins(demo, None)
    again = await calm.workspace().plan()
    assert all(change.action is Action.NOOP for change in again.plan.changes)
    assert (await calm.stats())["requests"][BUILD] == 2


async def test_a_lost_build_does_not_adopt_its_twins_earlier_model(demo: Demo) -> None:
    """The twin was built by an earlier apply (a model of the same source, dataset, params and
    combination): the remodel whose answer is lost adopts the model it built, not the twin's."""
    first = await twins(demo, None, TWINS.split("  alviss.model.no_price:")[0]).workspace().apply()
    assert first.report.ok, first.report.messages

    space = twins(demo, Faults(rate=1.0, kinds=("lost",), only=BUILD))
    result = await space.workspace().apply()
    assert result.report.ok, result.report.messages
    stats = await space.stats()
    assert stats["faults"].get("lost", 0) == 1
    assert stats["requests"][BUILD] == 2  # the twin's, then this one's, once
    resources = space.state()["resources"]
    twin, built = (resources[address]["outputs"]["model_id"] for address in (NO_SOCIAL, NO_PRICE))
    assert built != twin
    assert "price" not in await graph_nodes(space, built)
