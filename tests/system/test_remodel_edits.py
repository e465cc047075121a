"""Remodels with graph edits, end to end against the Alviss emulator served over HTTP: the plan shows the
edit diff (text, JSON, markdown, a saved plan), apply builds the edited graph, the next plan is
``No changes.``; bad edits are errors at their line and column, with nothing sent."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.served import served_emulator
from tests.support import REPO
from tests.system.support import run

TOKEN = "remodel-edits-token"
SPEC = "specs/remodel-edits.yaml"
NORWAY = "alviss.model.norway_influencers"
SWEDEN = "alviss.model.sweden_long_tv"
NO_PRICE = "alviss.model.norway_no_price"


class Served:
    def __init__(self, base: str, root: Path) -> None:
        self.base = base
        self.root = root
        self.spec = root / SPEC

    def get(self, path: str) -> Any:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        response = httpx.get(self.base + path, headers=headers, timeout=10)
        response.raise_for_status()
        return response.json()

    def mutating(self) -> int:
        requests = self.get("/_emulator/stats")["requests"]
        return sum(count for route, count in requests.items() if not route.startswith("GET "))

    def graph_of(self, model_id: int) -> dict[str, Any]:
        instance = self.get(f"/api/v1/api/projects/1/1/models/{model_id}")["GraphInstance"]
        graph: dict[str, Any] = self.get(f"/api/v1/api/projects/1/1/build/graphs/{instance['Graph']['Id']}")
        return graph

    def low_graph_of(self, model_id: int) -> dict[str, Any]:
        instance = self.get(f"/api/v1/api/projects/1/1/models/{model_id}")["GraphInstance"]
        graph: dict[str, Any] = self.get(f"/api/v1/api/graph_instances/1/{instance['Id']}")
        return graph

    def outputs(self, address: str) -> dict[str, Any]:
        state = json.loads((self.root / "state" / "remodel-edits.json").read_text())
        found: dict[str, Any] = state["resources"][address]["outputs"]
        return found

    def edit(self, old: str, new: str) -> None:
        text = self.spec.read_text()
        assert old in text
        self.spec.write_text(text.replace(old, new))


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    (tmp_path / "specs").mkdir()
    shutil.copy(REPO / SPEC, tmp_path / SPEC)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ALVISS_TOKEN", TOKEN)
    with served_emulator("alviss", data_dir=tmp_path / "served", token=TOKEN) as base:
        example = Served(base, tmp_path)
        example.edit(
            "endpoint: emulator://alviss",
            f"endpoint: {base}/api/v1/api\n    token: ${{env:ALVISS_TOKEN}}\n   ",
        )
        yield example


def test_a_remodel_with_graph_edits_plans_the_diff_applies_and_then_plans_no_changes(served: Served) -> None:
    code, text = run("plan", SPEC, "--no-color")
    assert code == 0, text
    assert "Plan: 3 to create" in text
    for line in (
        "~ nodes.tv.label            TV → TV (linear)",
        "+ nodes.influencer.type     media",
        "+ edges.influencer → sales",
        "- nodes.social.label        Social",
        "- edges.social → sales",  # the removed node's edge goes with it
        "- edges.tv → search",
        "~ nodes.tv_adstock.decay               0.5 → 0.7",
        "+ edges.tv_saturation → sales.lag      1",
        "- nodes.price  (known after apply)",  # its source is built by this apply
    ):
        assert line in text, line

    code, document = run("plan", SPEC, "--format", "json")
    assert code == 0
    changes = {change["address"]: change for change in json.loads(document)["changes"]}
    assert changes[NORWAY]["before"]["edits"] == {
        "nodes": {"tv": {"label": "TV"}, "social": {"type": "media", "label": "Social"}},
        "edges": {"social → sales": "", "tv → search": ""},
    }
    assert changes[NORWAY]["after"]["edits"] == {
        "nodes": {"tv": {"label": "TV (linear)"}, "influencer": {"type": "media", "label": "Influencers"}},
        "edges": {"influencer → sales": ""},
    }

    code, markdown = run("plan", SPEC, "--format", "markdown")
    assert code == 0
    assert "| ~ edits.nodes.tv.label | TV | TV (linear) |" in markdown
    assert "| + edits.nodes.influencer.type |  | media |" in markdown
    assert "| - edits.edges.tv → search |  |  |" in markdown

    assert served.mutating() == 0
    assert run("plan", SPEC, "-out", "edits.plan", "--no-color")[0] == 0
    code, shown = run("show", "edits.plan", "--no-color")
    assert code == 0
    assert "~ nodes.tv.label            TV → TV (linear)" in shown
    code, applied = run("apply", "edits.plan", "--no-color")
    assert code == 0, applied

    norway = served.outputs(NORWAY)["model_id"]
    graph = served.graph_of(norway)
    assert [node["id"] for node in graph["nodes"]] == ["tv", "search", "price", "base", "sales", "influencer"]
    assert {"id": "tv", "type": "media", "label": "TV (linear)"} in graph["nodes"]
    assert {"source": "tv", "target": "search"} not in graph["edges"]
    assert {"source": "influencer", "target": "sales"} in graph["edges"]
    assert not any("social" in (edge["source"], edge["target"]) for edge in graph["edges"])
    sweden = served.low_graph_of(served.outputs(SWEDEN)["model_id"])
    assert {"id": "tv_adstock", "type": "adstock", "decay": 0.7} in sweden["nodes"]
    assert {"source": "tv_saturation", "target": "sales", "lag": 1} in sweden["edges"]
    no_price = served.graph_of(served.outputs(NO_PRICE)["model_id"])
    assert [node["id"] for node in no_price["nodes"]] == ["tv", "search", "base", "sales", "influencer"]

    sent = served.mutating()
    code, again = run("plan", SPEC, "--detailed-exitcode", "--no-color")
    assert (code, again.strip()) == (0, "No changes. The live platforms match the spec.")
    assert run("apply", SPEC, "--auto-approve", "--no-color")[0] == 0
    assert served.mutating() == sent


def test_changed_edits_replace_the_remodel_and_edits_in_another_order_do_not(served: Served) -> None:
    assert run("apply", SPEC, "--auto-approve", "--no-color")[0] == 0
    sent = served.mutating()
    served.edit(
        "          - {id: tv_adstock, decay: 0.7}\n          - {id: search_saturation, half_effect: 2.0}",
        "          - {id: search_saturation, half_effect: 2.0}\n          - {id: tv_adstock, decay: 0.7}",
    )
    code, text = run("plan", SPEC, "--detailed-exitcode", "--no-color")
    assert code == 0, text

    served.edit("remove: [price]", "remove: [price, base]")
    code, text = run("plan", SPEC, "--detailed-exitcode", "--no-color")
    assert code == 2, text
    assert f"-/+ {NO_PRICE}" in text
    assert "- nodes.base.label     Base demand" in text  # the source (now built) is read at plan time
    assert "- edges.base → sales" in text
    assert "Plan: 0 to create, 0 to change, 1 to replace" in text
    assert served.mutating() == sent


def test_bad_edits_are_errors_at_their_line_and_nothing_is_sent(served: Served) -> None:
    served.edit("remove: [social]", "remove: [socail]")
    served.edit("{id: tv_adstock, decay: 0.7}", "{id: tv_adstok, decay: 0.7}")
    code, text = run("plan", SPEC, "--no-color")
    assert code == 1
    lines = served.spec.read_text().splitlines()
    row = next(index for index, line in enumerate(lines) if "socail" in line) + 1
    column = lines[row - 1].index("socail") + 1
    assert (
        f"{SPEC}:{row}:{column}: {NORWAY}: 'edits.nodes.remove[0]' names node 'socail', which is not in "
        "model 11's high-level graph" in text
    )
    assert "hint: did you mean 'social'?" in text
    assert "Traceback" not in text

    served.edit("remove: [socail]", "remove: [social]")
    code, text = run("plan", SPEC, "--no-color")
    assert code == 1
    low = "model 3's low-level graph"
    assert f"'edits.nodes.change[0].id' names node 'tv_adstok', which is not in {low}" in text
    assert "hint: did you mean 'tv_adstock'?" in text
    assert served.mutating() == 0


def test_edits_that_contradict_themselves_fail_validate_at_their_entries(served: Served) -> None:
    served.edit("remove: [social]", "remove: [social, social]")
    served.edit("- {source: influencer, target: sales}", "- {source: social, target: sales}")
    served.edit("- {id: search_saturation, half_effect: 2.0}", "- {id: search_saturation}")
    code, text = run("validate", SPEC, "--no-color")
    assert code == 1
    lines = served.spec.read_text().splitlines()

    def at(needle: str, word: str) -> str:
        row = next(index for index, line in enumerate(lines) if needle in line)
        return f"{SPEC}:{row + 1}:{lines[row].index(word, lines[row].index(needle)) + 1}"

    assert (
        f"{at('remove: [social, social]', 'social]')}: {NORWAY}: 'edits.nodes.remove[1]' removes node "
        "'social' a second time" in text
    )
    assert (
        f"{at('{source: social, target: sales}', 'social')}: {NORWAY}: 'edits.edges.add[0].source' names "
        "node 'social', which nodes.remove[0] removes" in text
    )
    assert (
        f"{at('{id: search_saturation}', '{id')}: {SWEDEN}: 'edits.nodes.change[1]' says nothing to change "
        "on node 'search_saturation'" in text
    )
    code, document = run("validate", SPEC, "--format", "json")
    assert code == 1
    assert json.loads(document)["error_count"] == 3


def test_a_bad_edit_of_a_graph_built_by_this_apply_stops_before_its_build(served: Served) -> None:
    served.edit("remove: [price]", "remove: [prize]")
    code, text = run("plan", SPEC, "--no-color")
    assert code == 0, text  # the source is built by this apply: its graph is not known yet
    code, text = run("apply", SPEC, "--auto-approve", "--no-color")
    assert code == 1
    lines = served.spec.read_text().splitlines()
    row = next(index for index, line in enumerate(lines) if "prize" in line) + 1
    column = lines[row - 1].index("prize") + 1
    assert (
        f"Error: {NO_PRICE}: {SPEC}:{row}:{column}: 'edits.nodes.remove[0]' names node 'prize', which is not "
        f"in model {served.outputs(NORWAY)['model_id']}'s high-level graph\n  hint: did you mean 'price'?"
    ) in text
    assert NO_PRICE not in json.loads((served.root / "state" / "remodel-edits.json").read_text())["resources"]
    route = "POST /api/v1/api/projects/{team_id}/{project_id}/build/model"
    builds = served.get("/_emulator/stats")["requests"][route]
    assert builds == 2  # the two remodels of existing models; none for the bad edit

    served.edit("remove: [prize]", "remove: [price]")
    code, text = run("apply", SPEC, "--auto-approve", "--no-color")
    assert code == 0, text
    assert "1 added" in text
