"""Thirty markets written once: the for_each form (specs/many-markets.yaml) and the module form
(specs/weekly-refresh.yaml over specs/modules/market.yaml), with the markets from a var file.

Each validates with the values of --var-file and --var, applies against the served emulator (one
Alviss project per market), plans ``No changes.`` after, and a 31st market plans only its ``[m31]``
instances.  The expanded plan of each form equals the plan of the same thirty markets written out
by hand, address for address.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.served import served_emulator
from tests.support import REPO
from tests.system.support import run

TOKEN = "many-markets-token"
FORMS = {"for_each": "many-markets.yaml", "module": "weekly-refresh.yaml"}
VARS = ("--var-file", "specs/vars/30-markets.yaml", "--var", "week=w47")


def markets() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = yaml.safe_load(
        (REPO / "specs" / "vars" / "30-markets.yaml").read_text()
    )["markets"]
    return found


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RECONCILER_EMULATOR_DIR", str(tmp_path / "emulators"))
    monkeypatch.setenv("ALVISS_TOKEN", TOKEN)
    return tmp_path


def served(spec: Path, base: str) -> None:
    """Point the spec's provider instances at the served emulator, with the token from the environment."""
    text = spec.read_text()
    assert "    endpoint: emulator://alviss" in text
    spec.write_text(
        text.replace(
            "    endpoint: emulator://alviss",
            f"    endpoint: {base}/api/v1/api\n    token: ${{env:ALVISS_TOKEN}}",
        )
    )


def mutating(base: str) -> int:
    stats: dict[str, Any] = httpx.get(f"{base}/_emulator/stats", timeout=10).json()
    return sum(count for route, count in stats["requests"].items() if not route.startswith("GET "))


@pytest.mark.parametrize("form", FORMS)
def test_thirty_markets_apply_converge_and_a_31st_plans_only_its_instances(project: Path, form: str) -> None:
    spec = f"specs/{FORMS[form]}"
    with served_emulator("alviss", data_dir=project / "world", token=TOKEN) as base:
        served(project / spec, base)
        assert run("validate", spec, *VARS) == (0, "The spec is valid: 180 resources, 30 providers.\n")
        # The same thirty markets given whole with --var (JSON), as a script would.
        as_json = f"markets={json.dumps(markets())}"
        assert run("validate", spec, "--var", as_json)[0] == 0

        code, output = run("apply", spec, *VARS, "--auto-approve")
        assert code == 0, output[-3000:]
        assert "Apply complete! Resources: 120 added, 60 changed, 0 replaced, 0 adopted." in output
        sent = mutating(base)

        code, output = run("plan", spec, *VARS, "--detailed-exitcode")
        assert (code, output.splitlines()[0]) == (0, "No changes. The live platforms match the spec.")

        grown = project / "specs" / "vars" / "31-markets.yaml"
        m31 = "{project: 131, data: se, model: 3, combination: {country: SWE, region: all, grouping: all}}"
        grown.write_text((project / "specs" / "vars" / "30-markets.yaml").read_text() + f"  m31: {m31}\n")
        code, output = run("plan", spec, "--var-file", str(grown), "--format", "json")
        assert code == 0, output
        changes = [change for change in json.loads(output)["changes"] if change["action"] != "no-op"]
        assert len(changes) == 6
        assert all("[m31]" in change["address"] for change in changes), [c["address"] for c in changes]
        assert mutating(base) == sent  # planning sends nothing


def by_hand(root: Path) -> Path:
    """The thirty markets of the var file written out, one provider instance and six resources each."""
    providers: dict[str, Any] = {}
    resources: dict[str, Any] = {}
    for key, market in markets().items():
        provider = f"alviss.{key}"
        providers[provider] = {"endpoint": "emulator://alviss", "team": 1, "project": market["project"]}
        data = f"data/weekly/{market['data']}"
        resources[f"alviss.upload.{key}_sales"] = {
            "provider": provider,
            "dataset_name": "Sales",
            "file": f"{data}/sales_w47.csv",
        }
        resources[f"alviss.upload.{key}_media"] = {
            "provider": provider,
            "dataset_name": "Media",
            "file": f"{data}/media_w47.csv",
        }
        resources[f"alviss.active_dataset.{key}_main"] = {
            "provider": provider,
            "contains": [f"alviss.upload.{key}_sales", f"alviss.upload.{key}_media"],
        }
        resources[f"alviss.refit.{key}_weekly"] = {
            "provider": provider,
            "model": market["model"],
            "dataset": f"alviss.active_dataset.{key}_main",
            "combination": market["combination"],
            "train_fraction": 0.75,
            "params": {"epochs": 500, "learning_rate": 0.001, "samples": 3},
        }
        resources[f"alviss.attribution.{key}_weekly"] = {
            "provider": provider,
            "model": f"alviss.refit.{key}_weekly",
            "dataset": f"alviss.active_dataset.{key}_main",
            "samples": 20,
        }
        resources[f"alviss.active_attribution_set.{key}_main"] = {
            "provider": provider,
            "includes": [f"alviss.attribution.{key}_weekly"],
        }
    spec = root / "specs" / "by-hand.yaml"
    document = {"version": 1, "providers": providers, "resources": resources}
    spec.write_text(yaml.safe_dump(document, sort_keys=False))
    return spec


#: How each form names what the hand-written spec calls ``alviss.TYPE.KEY_NAME`` and ``alviss.KEY``.
RENAMES = {
    "module": (
        (re.compile(r"module\.market\[(\w+)\]\.alviss\.(\w+)\.(\w+)"), r"alviss.\2.\1_\3"),
        (re.compile(r"alviss\.market\[(\w+)\]"), r"alviss.\1"),
    ),
    "for_each": (
        (re.compile(r"alviss\.(\w+)\.(\w+)\[(\w+)\]"), r"alviss.\1.\3_\2"),
        (re.compile(r"alviss\.market\[(\w+)\]"), r"alviss.\1"),
    ),
}


def planned(spec: str, *args: str, renames: tuple[tuple[re.Pattern[str], str], ...] = ()) -> dict[str, Any]:
    code, output = run("plan", spec, *args, "--format", "json")
    assert code == 0, output
    for pattern, replacement in renames:
        output = pattern.sub(replacement, output)
    document = json.loads(output)
    changes = {}
    for change in document["changes"]:
        # ``spec`` digests the resource as written, references by address included: the one field
        # whose difference is the point (addresses), not a difference in what is planned.
        change.pop("spec")
        changes[change["address"]] = change
    return {"providers": document["providers"], "summary": document["summary"], "changes": changes}


@pytest.mark.parametrize("form", FORMS)
def test_the_expanded_plan_equals_the_plan_of_the_spec_written_by_hand(project: Path, form: str) -> None:
    hand = by_hand(project)
    # One world for both: planning only reads, and what each change is based on (its basis, a digest
    # of what was read) must then be the same too.
    expected = planned(str(hand))
    found = planned(f"specs/{FORMS[form]}", *VARS, renames=RENAMES[form])
    assert len(found["changes"]) == 180
    assert found["summary"] == expected["summary"]
    assert found["providers"] == expected["providers"]
    assert found["changes"].keys() == expected["changes"].keys()
    for address, change in expected["changes"].items():
        assert found["changes"][address] == change, address
