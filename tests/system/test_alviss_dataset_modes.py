"""Alviss datasets made the ways seed 001 makes them, and the dates a refit or an attribution uses.

``alviss.active_dataset``: ``contains`` (today's default), ``exactly`` (a dataset
of only these uploads, the vendor's upload example), ``extends`` (its
``dataset_ids``) and ``activate: false``; ``activate: false`` for attribution
sets; dates by dataset type and several combinations; an explicit attribution
range; team and project ids as strings or integers.  Each mode converges
(``No changes.`` after apply) and notices, where it applies, what was changed
outside the tool; bad combinations are located errors at validate time.
"""

from __future__ import annotations

import asyncio
import shutil
import textwrap
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from reconciler import emulators
from reconciler.cli import main
from reconciler.providers.base import ClientOptions
from reconciler.vocabulary import Action, Reason
from reconciler.workflow import Settings, Workspace
from tests.served import served_emulator
from tests.support import INSTANT, REPO, no_wait

SALES = "data/demo/sales_w47.csv"
MEDIA = "data/demo/media_w47.csv"


class Project:
    """A spec written into a temporary copy of specs/, run against the in-process emulator."""

    def __init__(self, root: Path, *, variant: str = "full") -> None:
        shutil.copytree(REPO / "specs" / "data", root / "specs" / "data")
        self.root = root
        self.world = root / "emulators"
        self.spec = root / "specs" / "modes.yaml"
        self.settings = Settings(
            environ={},
            emulator_dir=self.world,
            emulator_variant=variant,
            emulator_durations={"alviss": INSTANT},
            client=ClientOptions(sleep=no_wait),
        )

    def write(self, resources: str, *, team: Any = '"acme"', project: Any = 7) -> None:
        self.spec.write_text(
            "version: 1\n"
            "providers:\n"
            "  alviss:\n"
            "    endpoint: emulator://alviss\n"
            f"    team: {team}\n"
            f"    project: {project}\n"
            "resources:\n" + textwrap.indent(textwrap.dedent(resources), "  ")
        )

    def workspace(self) -> Workspace:
        return Workspace(self.spec, settings=self.settings)

    async def call(self, method: str, path: str, *, team: str = "acme", project: str = "7") -> Any:
        """One request to the project's API, as someone outside the tool would send it."""
        app = emulators.create_app("alviss", data_dir=self.world)
        try:
            transport = httpx.ASGITransport(app=app)
            headers = {"Authorization": "Bearer outsider"}
            async with httpx.AsyncClient(transport=transport, base_url="http://e", headers=headers) as client:
                response = await client.request(method, f"/api/v1/api/projects/{team}/{project}{path}")
                response.raise_for_status()
                return response.json()
        finally:
            app.state.store.close()

    async def counts(self) -> dict[str, int]:
        app = emulators.create_app("alviss", data_dir=self.world)
        try:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://e"
            ) as client:
                stats = (await client.get("/_emulator/stats")).json()
        finally:
            app.state.store.close()
        counts: dict[str, int] = stats["projects"]["acme/7"]
        return counts

    async def converged(self) -> Any:
        """Apply, then check the next plan is empty; the first apply's result."""
        first = await self.workspace().apply()
        assert first.report.ok, first.report.messages
        again = await self.workspace().plan()
        assert not again.plan.has_changes, [(c.address, c.reasons) for c in again.plan.actionable]
        return first


UPLOADS = f"""\
alviss.upload.sales: {{dataset_name: Sales, file: {SALES}}}
alviss.upload.media: {{dataset_name: Media, file: {MEDIA}}}
"""


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


def outputs(result: Any, address: str) -> dict[str, Any]:
    found: dict[str, Any] = dict(result.state.resources[address].outputs)
    return found


# -- exactly --------------------------------------------------------------------------------------------
async def test_exactly_makes_a_dataset_of_only_these_uploads_and_activates_it(project: Project) -> None:
    project.write(
        UPLOADS + "alviss.active_dataset.main: {exactly: [alviss.upload.sales, alviss.upload.media]}\n"
    )
    result = await project.converged()
    uploads = sorted(outputs(result, f"alviss.upload.{name}")["upload_id"] for name in ("sales", "media"))
    active = await project.call("GET", "/datasets/active")
    assert active["DataUploads"] == uploads  # not the seeded dataset's uploads 1 and 2
    assert active["ExtendedFrom"] == []
    assert outputs(result, "alviss.active_dataset.main") == {
        "dataset_id": active["IId"],
        "upload_ids": uploads,
    }


async def test_exactly_activates_its_dataset_again_when_another_was_activated(project: Project) -> None:
    project.write(
        UPLOADS + "alviss.active_dataset.main: {exactly: [alviss.upload.sales, alviss.upload.media]}\n"
    )
    result = await project.converged()
    built = outputs(result, "alviss.active_dataset.main")["dataset_id"]
    await project.call("POST", "/datasets/1/activate")
    datasets = (await project.counts())["dataset"]

    planned = (await project.workspace().plan()).plan
    change = planned["alviss.active_dataset.main"]
    assert change.action is Action.UPDATE
    assert change.reason is Reason.LIVE_CHANGED
    assert f"the active dataset was changed outside reconciler: now 1, recorded {built}" in change.reasons
    assert f"dataset {built} (built for this spec) is activated again; no new dataset" in change.reasons
    assert [c.address for c in planned.actionable] == ["alviss.active_dataset.main"]

    await project.converged()
    assert (await project.call("GET", "/datasets/active"))["IId"] == built
    assert (await project.counts())["dataset"] == datasets  # activated again, nothing built


async def test_from_contains_to_exactly_plans_a_dataset_saying_what_differs(project: Project) -> None:
    project.write(
        UPLOADS + "alviss.active_dataset.main: {contains: [alviss.upload.sales, alviss.upload.media]}\n"
    )
    await project.converged()
    project.write(
        UPLOADS + "alviss.active_dataset.main: {exactly: [alviss.upload.sales, alviss.upload.media]}\n"
    )
    change = (await project.workspace().plan()).plan["alviss.active_dataset.main"]
    assert change.action is Action.UPDATE
    assert change.reason is Reason.INPUTS_CHANGED
    assert "exactly: added True" in change.reasons
    assert any("also holds uploads 1, 2, beyond these uploads" in reason for reason in change.reasons)
    await project.converged()
    assert (await project.call("GET", "/datasets/active"))["ExtendedFrom"] == []


# -- extends ---------------------------------------------------------------------------------------------
async def test_extends_sends_dataset_ids_and_holds_the_extended_uploads_too(project: Project) -> None:
    project.write(UPLOADS + "alviss.active_dataset.main: {extends: 1, contains: [alviss.upload.sales]}\n")
    result = await project.converged()
    sales = outputs(result, "alviss.upload.sales")["upload_id"]
    active = await project.call("GET", "/datasets/active")
    assert active["ExtendedFrom"] == [1]
    assert active["DataUploads"] == [1, 2, sales]
    assert outputs(result, "alviss.active_dataset.main")["upload_ids"] == [1, 2, sales]


async def test_extends_another_dataset_resource_built_but_not_activated(project: Project) -> None:
    project.write(
        UPLOADS
        + "alviss.active_dataset.base: {exactly: [alviss.upload.sales], activate: false}\n"
        + "alviss.active_dataset.main:\n"
        + "  {extends: [alviss.active_dataset.base], contains: [alviss.upload.media]}\n"
    )
    result = await project.converged()
    base = outputs(result, "alviss.active_dataset.base")["dataset_id"]
    active = await project.call("GET", "/datasets/active")
    assert active["ExtendedFrom"] == [base]
    assert active["DataUploads"] == sorted(
        outputs(result, f"alviss.upload.{name}")["upload_id"] for name in ("sales", "media")
    )


# -- activate: false -----------------------------------------------------------------------------------
async def test_a_dataset_not_activated_does_not_care_which_dataset_is_active(project: Project) -> None:
    project.write(
        UPLOADS + "alviss.active_dataset.staged: {contains: [alviss.upload.sales], activate: false}\n"
    )
    result = await project.converged()
    staged = outputs(result, "alviss.active_dataset.staged")
    assert (await project.call("GET", "/datasets/active"))["IId"] == 1  # nothing activated
    shown = await project.call("GET", f"/datasets/{staged['dataset_id']}")
    assert shown["Active"] is False
    assert shown["ExtendedFrom"] == [1]  # contains: the live active dataset, extended

    await project.call("POST", f"/datasets/{staged['dataset_id']}/activate")
    assert not (await project.workspace().plan()).plan.has_changes
    await project.call("POST", "/datasets/1/activate")
    assert not (await project.workspace().plan()).plan.has_changes


async def test_turning_activation_off_keeps_the_dataset_and_on_activates_it_again(project: Project) -> None:
    members = "exactly: [alviss.upload.sales, alviss.upload.media]"
    project.write(UPLOADS + f"alviss.active_dataset.main: {{{members}, activate: false}}\n")
    built = outputs(await project.converged(), "alviss.active_dataset.main")["dataset_id"]
    project.write(UPLOADS + f"alviss.active_dataset.main: {{{members}}}\n")
    change = (await project.workspace().plan()).plan["alviss.active_dataset.main"]
    assert change.action is Action.UPDATE
    assert change.after["dataset"] == built
    await project.converged()
    assert (await project.call("GET", "/datasets/active"))["IId"] == built
    project.write(UPLOADS + f"alviss.active_dataset.main: {{{members}, activate: false}}\n")
    assert not (await project.workspace().plan()).plan.has_changes


async def test_a_dataset_not_activated_that_is_gone_is_built_again(project: Project, tmp_path: Path) -> None:
    project.write(
        UPLOADS + "alviss.active_dataset.staged: {exactly: [alviss.upload.sales], activate: false}\n"
    )
    await project.converged()
    state = project.workspace()
    result = await state.plan()
    assert not result.plan.has_changes
    # A recorded dataset the platform no longer knows (the state names one that does not exist).
    path = project.root / "specs" / "state" / "modes.json"
    path.write_text(path.read_text().replace('"dataset_id": 2', '"dataset_id": 99'))
    change = (await project.workspace().plan()).plan["alviss.active_dataset.staged"]
    assert change.action is Action.CREATE
    assert change.reason is Reason.GONE


async def test_an_attribution_set_not_activated(project: Project) -> None:
    project.write(
        "alviss.active_attribution_set.review: {includes: [4], keep_existing: false, activate: false}\n"
    )
    result = await project.converged()
    built = outputs(result, "alviss.active_attribution_set.review")
    assert built["attribution_ids"] == [4]
    active = await project.call("GET", "/attributionset/active")
    assert active["IId"] == 1  # the seeded set stays active
    assert (await project.call("GET", f"/attributionset/{built['attribution_set_id']}"))["Active"] is False
    await project.call("PATCH", f"/attributionset/{built['attribution_set_id']}/activate")
    assert not (await project.workspace().plan()).plan.has_changes
    await project.call("PATCH", "/attributionset/1/activate")
    assert not (await project.workspace().plan()).plan.has_changes


# -- dates ------------------------------------------------------------------------------------------------
MEDIA_LATER = (
    "Country,Region,Grouping,Date,Product,Media,Campaign,Metric,Value\n"
    "SWE,all,all,2026-11-30,Classic,TV,winter_2026,Investment,100\n"
    "NOR,all,all,2026-12-07,Classic,TV,winter_2026,Investment,100\n"
)


async def test_a_refit_on_the_media_dates_of_two_combinations(project: Project) -> None:
    (project.root / "specs" / "data" / "media_later.csv").write_text(MEDIA_LATER)
    project.write(
        """\
        alviss.upload.media: {dataset_name: Media, file: data/media_later.csv}
        alviss.active_dataset.main: {contains: [alviss.upload.media]}
        alviss.refit.both:
          model: 3
          dataset: alviss.active_dataset.main
          train_fraction: 0.5
          dates:
            dataset_name: Media
            combinations: [{country: SWE}, {country: NOR}]
        alviss.refit.sales: {model: 3, dataset: alviss.active_dataset.main, train_fraction: 0.5}
        """
    )
    result = await project.converged()
    both = await project.call("GET", f"/models/{outputs(result, 'alviss.refit.both')['model_id']}")
    sales = await project.call("GET", f"/models/{outputs(result, 'alviss.refit.sales')['model_id']}")
    both_dates = both["TrainDates"] + both["EvalDates"]
    sales_dates = sales["TrainDates"] + sales["EvalDates"]
    assert both_dates == sorted(both_dates)
    assert set(both_dates) - set(sales_dates) == {"2026-11-30", "2026-12-07"}  # one per market
    assert len(both["TrainDates"]) == len(both_dates) // 2

    project.write(
        project.spec.read_text()
        .split("resources:\n", 1)[1]
        .replace("dataset_name: Media\n", "dataset_name: Sales\n")
    )
    planned = (await project.workspace().plan()).plan
    change = planned["alviss.refit.both"]
    assert change.action is Action.REPLACE
    assert "dates.dataset_name: Media → Sales" in change.reasons


async def test_attribution_dates_by_combinations_and_an_explicit_range(project: Project) -> None:
    (project.root / "specs" / "data" / "media_later.csv").write_text(MEDIA_LATER)
    project.write(
        """\
        alviss.upload.media: {dataset_name: Media, file: data/media_later.csv}
        alviss.active_dataset.main: {contains: [alviss.upload.media]}
        alviss.attribution.media:
          model: 3
          dataset: alviss.active_dataset.main
          dates: {dataset_name: Media, combinations: [{country: NOR}]}
        alviss.attribution.range:
          model: 3
          dataset: alviss.active_dataset.main
          start_date: 2025-01-06
          end_date: 2025-03-31
        alviss.attribution.from_start:
          model: 3
          dataset: alviss.active_dataset.main
          start_date: 2025-01-06
          dates: {combinations: [{country: SWE}, {country: NOR}]}
        """
    )
    result = await project.converged()
    assert (outputs(result, "alviss.attribution.media")["end_date"]) == "2026-12-07"
    assert (
        outputs(result, "alviss.attribution.range")["start_date"],
        outputs(result, "alviss.attribution.range")["end_date"],
    ) == ("2025-01-06", "2025-03-31")
    shown = await project.call(
        "GET", f"/attributions/{outputs(result, 'alviss.attribution.range')['attribution_id']}"
    )
    assert (shown["StartDate"], shown["EndDate"]) == ("2025-01-06", "2025-03-31")
    assert outputs(result, "alviss.attribution.from_start")["start_date"] == "2025-01-06"


# -- team and project ids ---------------------------------------------------------------------------------
async def test_team_and_project_as_strings_or_integers_are_one_project(project: Project) -> None:
    project.write(UPLOADS + "alviss.active_dataset.main: {contains: [alviss.upload.sales]}\n", project='"7"')
    await project.converged()
    for team, number in (('"acme"', 7), ("acme", '"7"'), ("acme", " 7")):
        project.write(
            UPLOADS + "alviss.active_dataset.main: {contains: [alviss.upload.sales]}\n",
            team=team,
            project=number,
        )
        assert not (await project.workspace().plan()).plan.has_changes
    assert (await project.counts())["upload"] == 4  # seeded 2, two uploaded, in project acme/7


async def test_team_and_project_from_the_environment(project: Project) -> None:
    project.write(
        UPLOADS + "alviss.active_dataset.main: {contains: [alviss.upload.sales]}\n",
        team="${env:ALVISS_TEAM}",
        project="${env:ALVISS_PROJECT}",
    )
    project.settings = replace(project.settings, environ={"ALVISS_TEAM": "acme", "ALVISS_PROJECT": "7"})
    await project.converged()
    assert (await project.counts())["upload"] == 4


# -- validate ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        (
            "alviss.active_dataset.main: {contains: [alviss.upload.sales], exactly: [alviss.upload.media]}",
            "modes.yaml:10:74: alviss.active_dataset.main: 'exactly' cannot be given with 'contains'",
        ),
        (
            "alviss.active_dataset.main: {exactly: [alviss.upload.sales], extends: 1}",
            "modes.yaml:10:73: alviss.active_dataset.main: 'extends' cannot be given with 'exactly'",
        ),
        (
            "alviss.active_dataset.main: {activate: false}",
            "modes.yaml:10:3: alviss.active_dataset.main: 'contains' is required: the dataset needs members",
        ),
        (
            "alviss.active_dataset.main: "
            "{extends: data.alviss.active_dataset.now, contains: [alviss.upload.sales]}",
            "'extends' names data.alviss.active_dataset.now, the live active dataset, "
            "and this dataset is activated",
        ),
        (
            "alviss.attribution.a: {model: 3, dataset: 1, start_date: 2025-03-01, end_date: 2025-01-01}",
            "alviss.attribution.a: 'end_date' (2025-01-01) is before start_date (2025-03-01)",
        ),
        (
            "alviss.attribution.a: {model: 3, dataset: 1, start_date: 2025-01-01, "
            "end_date: 2025-03-01, dates: {dataset_name: Media}}",
            "alviss.attribution.a: 'dates' is not read when start_date and end_date are both given",
        ),
        (
            "alviss.refit.r: {model: 3, dataset: 1, combination: {country: SWE}, "
            "dates: {combinations: [{country: NOR}]}}",
            "alviss.refit.r: 'dates' cannot name combinations with 'combination' also given",
        ),
        (
            "alviss.refit.r: {model: 3, dataset: 1, train_dates: [2025-01-06], "
            "eval_dates: [2025-01-13], dates: {}}",
            "alviss.refit.r: 'dates' is not read when train_dates and eval_dates are given",
        ),
    ],
)
def test_bad_combinations_are_located_errors(project: Project, resource: str, expected: str) -> None:
    project.write(UPLOADS + resource + "\n")
    text = (
        project.spec.read_text().replace(
            "resources:\n", "data:\n  alviss.active_dataset.now: {}\nresources:\n"
        )
        if "data.alviss" in resource
        else project.spec.read_text()
    )
    project.spec.write_text(text)
    result = CliRunner().invoke(main, ["validate", str(project.spec)], env={}, catch_exceptions=False)
    assert result.exit_code == 1, result.output
    assert expected in result.output
    assert "hint:" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("team", ['"a/b"', '""', '" 7x"', "true", "[1]"])
def test_a_team_id_that_is_no_path_segment_is_located(project: Project, team: str) -> None:
    project.write(UPLOADS, team=team)
    result = CliRunner().invoke(main, ["validate", str(project.spec)], env={}, catch_exceptions=False)
    assert result.exit_code == 1, result.output
    assert "modes.yaml:5:11: provider 'alviss': 'team' must be" in result.output
    assert "Traceback" not in result.output


# -- served --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("variant", ["full", "documented"])
async def test_the_example_converges_against_the_served_emulator(tmp_path: Path, variant: str) -> None:
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    spec = tmp_path / "specs" / "dataset-modes.yaml"
    token = "dataset-modes-token"
    with served_emulator("alviss", data_dir=tmp_path / "served", token=token, variant=variant) as base:
        text = spec.read_text().replace(
            "    endpoint: emulator://alviss ",
            f"    endpoint: {base}/api/v1/api\n    token: ${{env:ALVISS_TOKEN}} ",
        )
        spec.write_text(text)
        settings = Settings(environ={"ALVISS_TOKEN": token}, client=ClientOptions(sleep=no_wait))
        first = await Workspace(spec, settings=settings).apply()
        assert first.report.ok, first.report.messages
        assert first.plan.has_changes
        second = await Workspace(spec, settings=settings).plan()
        assert not second.plan.has_changes, [c.address for c in second.plan.actionable]
        async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}) as client:
            active = (await client.get("/api/v1/api/projects/acme/7/datasets/active")).json()
            history = first.state.resources["alviss.active_dataset.history"].outputs["dataset_id"]
            assert active["IId"] == history
            await client.post("/api/v1/api/projects/acme/7/datasets/1/activate")
        drifted = (await Workspace(spec, settings=settings).plan()).plan
        assert [c.address for c in drifted.actionable] == ["alviss.active_dataset.history"]
        again = await Workspace(spec, settings=settings).apply()
        assert again.report.ok, again.report.messages
        assert not (await Workspace(spec, settings=settings).plan()).plan.has_changes


# -- drift and lost state -----------------------------------------------------------------------------
@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RECONCILER_EMULATOR_DIR", str(tmp_path / "emulators"))
    monkeypatch.setenv(
        "RECONCILER_EMULATOR_DURATIONS", "upload=0,dataset=0,refit=0,build=0,attribution=0,attribution_set=0"
    )
    return tmp_path


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env={}, catch_exceptions=False)
    return result.exit_code, result.output


def test_drift_reports_another_active_dataset_but_not_for_one_built_only(checkout: Path) -> None:
    spec = "specs/dataset-modes.yaml"
    assert cli("apply", spec, "--auto-approve")[0] == 0
    assert cli("drift", spec) == (0, "In sync: the live platforms match the spec and the state.\n")
    outsider = Project.__new__(Project)
    outsider.world = checkout / "emulators"
    asyncio.run(outsider.call("POST", "/datasets/1/activate"))
    code, output = cli("drift", spec)
    assert code == 3, output
    assert "alviss.active_dataset.history: the active dataset was changed outside reconciler" in output
    assert "this_week" not in output  # built only: which dataset is active is none of its business
    assert "review" not in output
    code, output = cli("plan", spec)
    assert "~ alviss.active_dataset.history: activate dataset" in output
    assert "alviss.refit.nordics" not in output.split("Plan:")[0].split("activate dataset")[1]
    assert cli("apply", spec, "--auto-approve")[0] == 0
    assert cli("drift", spec)[0] == 0


async def test_lost_state_adopts_the_active_dataset_of_exactly_these_uploads(project: Project) -> None:
    project.write(
        UPLOADS + "alviss.active_dataset.main: {exactly: [alviss.upload.sales, alviss.upload.media]}\n"
    )
    await project.converged()
    datasets = (await project.counts())["dataset"]
    (project.root / "specs" / "state" / "modes.json").unlink()
    planned = (await project.workspace().plan()).plan
    assert planned["alviss.active_dataset.main"].action is Action.ADOPT
    await project.converged()
    assert (await project.counts())["dataset"] == datasets


async def test_data_sources_and_the_plan_name_a_project_with_string_ids(project: Project) -> None:
    project.write(
        UPLOADS
        + "alviss.active_dataset.main: {contains: [alviss.upload.sales]}\n"
        + "alviss.refit.latest: {model: data.alviss.model.swe, dataset: alviss.active_dataset.main}\n",
        team='"acme"',
        project='"7"',
    )
    project.spec.write_text(
        project.spec.read_text().replace(
            "resources:\n",
            "data:\n  alviss.model.swe: {combination: {country: SWE}}\n  alviss.active_dataset.now: {}\n"
            "resources:\n",
        )
    )
    planned = await project.workspace().plan()
    reads = {read.address: read.summary for read in planned.plan.data}
    assert reads["data.alviss.model.swe"] == "model 3 (SWE/all/all, completed)"
    assert reads["data.alviss.active_dataset.now"] == "dataset 1 (uploads 1, 2)"
    result = await project.converged()
    assert (
        outputs(result, "alviss.refit.latest")["dataset_id"]
        == outputs(result, "alviss.active_dataset.main")["dataset_id"]
    )
