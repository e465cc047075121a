"""An activated attribution set is activated again after another set was activated outside the tool.

As an ``exactly`` dataset is: while the set built for the spec still exists,
has not failed and still holds what the spec asks, the plan is ``~ activate
attribution set N again`` (reason ``live_changed``, which ``drift`` reports),
and apply only activates it; otherwise a new set is built.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from reconciler import emulators
from reconciler.cli import main
from reconciler.vocabulary import Action, Reason
from tests.support import INSTANT
from tests.system.test_alviss_dataset_modes import Project, outputs


@pytest.fixture(params=["full", "documented"])
def project(tmp_path: Path, request: pytest.FixtureRequest) -> Project:
    """The emulator with everything, and with only what the vendor's pages show."""
    return Project(tmp_path, variant=request.param)


async def outside(project: Project, method: str, path: str, body: Any) -> Any:
    """One request with a JSON body to the project's API, as someone outside the tool would send it."""
    app = emulators.create_app("alviss", data_dir=project.world, durations=INSTANT)
    try:
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": "Bearer outsider"}
        async with httpx.AsyncClient(transport=transport, base_url="http://e", headers=headers) as client:
            response = await client.request(method, f"/api/v1/api/projects/acme/7{path}", json=body)
            response.raise_for_status()
            return response.json()
    finally:
        app.state.store.close()


async def built_set(project: Project, resources: str) -> tuple[int, dict[str, Any]]:
    project.write(resources)
    result = await project.converged()
    made = outputs(result, "alviss.active_attribution_set.main")
    assert (await project.call("GET", "/attributionset/active"))["IId"] == made["attribution_set_id"]
    return made["attribution_set_id"], made


async def test_an_exact_set_is_activated_again_and_nothing_is_built(project: Project) -> None:
    built, made = await built_set(
        project, "alviss.active_attribution_set.main: {includes: [5], keep_existing: false}\n"
    )
    assert made["attribution_ids"] == [5]
    await project.call("PATCH", "/attributionset/1/activate")
    sets = (await project.counts())["attribution_set"]

    planned = (await project.workspace().plan()).plan
    change = planned["alviss.active_attribution_set.main"]
    assert change.action is Action.UPDATE
    assert change.reason is Reason.LIVE_CHANGED
    assert change.summary == f"activate attribution set {built} again"
    now = "1" if project.settings.emulator_variant == "full" else "(id not shown)"
    assert (
        f"the active attribution set was changed outside reconciler: now {now}, recorded {built}"
        in change.reasons
    )
    assert (
        f"attribution set {built} (built for this spec) is activated again; no new attribution set"
        in change.reasons
    )
    assert change.after["attribution_set"] == built

    await project.converged()
    assert (await project.call("GET", "/attributionset/active"))["IId"] == built
    assert (await project.counts())["attribution_set"] == sets  # activated again, nothing built


async def test_a_set_keeping_the_existing_ones_is_activated_again_when_it_holds_the_active_ones(
    project: Project,
) -> None:
    built, made = await built_set(project, "alviss.active_attribution_set.main: {includes: [5]}\n")
    assert made["attribution_ids"] == [4, 5]  # the seeded set's attribution 4 kept
    await project.call("PATCH", "/attributionset/1/activate")  # the seeded set: attribution 4 only
    sets = (await project.counts())["attribution_set"]
    change = (await project.workspace().plan()).plan["alviss.active_attribution_set.main"]
    assert change.summary == f"activate attribution set {built} again"
    await project.converged()
    assert (await project.call("GET", "/attributionset/active"))["IId"] == built
    assert (await project.counts())["attribution_set"] == sets


async def test_a_set_keeping_the_existing_ones_lacking_an_active_one_is_built_anew(project: Project) -> None:
    built, _ = await built_set(project, "alviss.active_attribution_set.main: {includes: [5]}\n")
    # Someone attributes model 3 again and activates a set of attribution 4 and that new one.
    body = {
        "model_id": 3,
        "dataset_id": 1,
        "start_date": "2026-01-05",
        "end_date": "2026-03-30",
        "samples": 5,
    }
    newer = (await outside(project, "POST", "/attributions", body))["IId"]
    other = await outside(project, "POST", "/attributionset_align_dates", {"attributionjob_ids": [4, newer]})
    await project.call("PATCH", f"/attributionset/{other['IId']}/activate")
    change = (await project.workspace().plan()).plan["alviss.active_attribution_set.main"]
    assert change.action is Action.UPDATE
    assert change.summary != f"activate attribution set {built} again"  # it lacks the new attribution
    result = await project.converged()
    made = outputs(result, "alviss.active_attribution_set.main")
    assert made["attribution_set_id"] not in (built, other["IId"])
    assert made["attribution_ids"] == sorted([4, 5, newer])


async def test_a_recorded_set_that_is_gone_is_built_again(project: Project) -> None:
    built, _ = await built_set(
        project, "alviss.active_attribution_set.main: {includes: [5], keep_existing: false}\n"
    )
    state = project.root / "specs" / "state" / "modes.json"
    text = state.read_text()
    state.write_text(text.replace(f'"attribution_set_id": {built}', '"attribution_set_id": 99'))
    assert '"attribution_set_id": 99' in state.read_text()
    await project.call("PATCH", "/attributionset/1/activate")
    change = (await project.workspace().plan()).plan["alviss.active_attribution_set.main"]
    assert change.action is Action.UPDATE
    assert change.summary != "activate attribution set 99 again"
    assert not any("activated again" in reason for reason in change.reasons)
    sets = (await project.counts())["attribution_set"]
    await project.converged()
    assert (await project.counts())["attribution_set"] == sets + 1


async def test_asking_for_other_attributions_builds_a_new_set(project: Project) -> None:
    built, _ = await built_set(
        project, "alviss.active_attribution_set.main: {includes: [5], keep_existing: false}\n"
    )
    await project.call("PATCH", "/attributionset/1/activate")
    project.write("alviss.active_attribution_set.main: {includes: [4, 5], keep_existing: false}\n")
    change = (await project.workspace().plan()).plan["alviss.active_attribution_set.main"]
    assert change.summary != f"activate attribution set {built} again"
    assert change.reason is Reason.INPUTS_CHANGED


def test_drift_reports_the_other_active_set_and_apply_activates_the_recorded_one(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECONCILER_EMULATOR_DIR", str(project.world))
    monkeypatch.setenv(
        "RECONCILER_EMULATOR_DURATIONS", "upload=0,dataset=0,refit=0,build=0,attribution=0,attribution_set=0"
    )
    project.write("alviss.active_attribution_set.main: {includes: [5], keep_existing: false}\n")
    spec = str(project.spec)

    def cli(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(main, list(args), env={}, catch_exceptions=False)
        return result.exit_code, result.output

    assert cli("apply", spec, "--auto-approve")[0] == 0
    built = json.loads((project.root / "specs" / "state" / "modes.json").read_text())["resources"][
        "alviss.active_attribution_set.main"
    ]["outputs"]["attribution_set_id"]
    assert cli("drift", spec)[0] == 0
    asyncio.run(project.call("PATCH", "/attributionset/1/activate"))
    code, output = cli("drift", spec)
    assert code == 3, output
    assert "alviss.active_attribution_set.main: the active attribution set was changed outside" in output
    code, output = cli("plan", spec)
    assert f"~ alviss.active_attribution_set.main: activate attribution set {built} again" in output
    assert cli("apply", spec, "--auto-approve")[0] == 0
    assert cli("drift", spec)[0] == 0
    assert asyncio.run(project.call("GET", "/attributionset/active"))["IId"] == built
