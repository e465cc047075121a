"""``reconciler report --html FILE SPEC…``: one page for several workspaces, read-only, written at once."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from reconciler.workflow import Settings
from tests.support import Demo
from tests.system.support import run

WEEKLY = "specs/weekly-refresh.yaml"
DEMO = "specs/demo.yaml"


def test_several_specs_are_several_workspaces_on_one_page_and_nothing_is_written_to_state(
    project: Path,
) -> None:
    code, output = run("apply", DEMO, "--auto-approve")
    assert code == 0, output
    state = project / "state" / "demo.json"
    before = state.read_bytes()

    code, output = run("report", "--html", "out/status.html", DEMO, WEEKLY)
    assert code == 0, output
    assert output.splitlines() == [
        "demo: in sync; 3 ready",
        "weekly-refresh: spec; 12 new",
        "Wrote out/status.html (2 workspaces).",
    ]
    html = (project / "out" / "status.html").read_text()
    assert 'data-workspace="demo"' in html and 'data-workspace="weekly-refresh"' in html
    assert html.count("<svg") == 2
    assert state.read_bytes() == before  # read-only: as drift, no state write
    assert sorted(path.name for path in (project / "out").iterdir()) == ["status.html"]  # no temporary left


def test_variables_are_given_as_to_every_command_that_reads_a_spec(project: Path) -> None:
    one = project / "one-market.yaml"
    one.write_text("markets:\n  se: {project: 1, data: se, model: 3, combination: null}\n")
    code, output = run("report", "--html", "page.html", WEEKLY, "--var-file", str(one), "--var", "week=w47")
    assert code == 0, output
    assert "weekly-refresh: spec; 6 new" in output
    html = (project / "page.html").read_text()
    assert 'data-group="module.market[se]"' in html and "module.market[no]" not in html


def test_a_workspace_that_cannot_be_planned_shows_its_error_and_the_command_exits_1(project: Path) -> None:
    broken = project / "specs" / "broken.yaml"
    broken.write_text((project / DEMO).read_text().replace("dataset_name: Media", "dataset_name: [Media"))
    code, output = run("report", "--html", "page.html", DEMO, "specs/broken.yaml")
    assert code == 1, output
    assert output.splitlines()[:3] == [
        "demo: spec; 3 new",  # the other workspace is shown as usual
        "broken: error; no resources",
        "Wrote page.html (2 workspaces).",
    ]
    assert "Error: broken: specs/broken.yaml:" in output
    html = (project / "page.html").read_text()
    assert 'class="error" role="alert"' in html and "specs/broken.yaml:" in html


def test_a_file_that_cannot_be_written_is_an_error_that_says_so(project: Path) -> None:
    code, output = run("report", "--html", f"{DEMO}/page.html", DEMO)  # under a file, not a directory
    assert code == 1
    assert f"Error: cannot write {DEMO}/page.html" in output
    assert "Traceback" not in output


def test_the_page_file_is_required(project: Path) -> None:
    code, output = run("report", DEMO)
    assert code == 1
    assert "Missing option '--html'" in output


def test_no_secret_reaches_the_page(project: Path, monkeypatch: object) -> None:
    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    secret = "alviss-token-5e6f7a8b9c"
    monkeypatch.setenv("ALVISS_TOKEN", secret)
    spec = project / "specs" / "demo.yaml"
    spec.write_text(spec.read_text().replace("# token: ${env:ALVISS_TOKEN}", "token: ${env:ALVISS_TOKEN}"))
    code, output = run("apply", DEMO, "--auto-approve")
    assert code == 0, output
    state_file = project / "state" / "demo.json"
    document = json.loads(state_file.read_text())
    record = document["resources"]["alviss.upload.sales_w47"]
    record.update(status="tainted", error=f"upload failed: the platform echoed Bearer {secret}")
    state_file.write_text(json.dumps(document))

    code, output = run("report", "--html", "page.html", DEMO)
    assert code == 0, output
    html = (project / "page.html").read_text()
    assert secret not in html
    assert "upload failed: the platform echoed Bearer ***" in html


def test_an_activation_outside_reconciler_is_on_the_page_as_drift_with_what_the_plan_found(
    project: Path,
) -> None:
    code, output = run("apply", DEMO, "--auto-approve")
    assert code == 0, output
    outsider = Demo(root=project, settings=Settings(emulator_dir=project / "emulators"))
    asyncio.run(outsider.call("POST", "/datasets/1/activate"))

    code, output = run("report", "--html", "page.html", DEMO)
    assert code == 0, output
    assert output.splitlines()[0] == "demo: live; 1 drifted, 2 ready"
    html = (project / "page.html").read_text()
    assert "live state changed outside reconciler" in html
    attention = html[html.index("<h3>Needs attention</h3>") : html.index("<h3>Jobs in flight</h3>")]
    assert 'data-address="alviss.active_dataset.main"' in attention
    assert "badge status-drifted" in attention
    assert "the active dataset was changed outside reconciler: now 1, recorded 2" in attention


DATA_SPEC = """\
version: 1
state: {path: ../state/looked.json}
providers:
  alviss: {endpoint: emulator://alviss, team: 1, project: 1}
data:
  alviss.model.latest_se:
    combination: {country: SWE}
  alviss.active_dataset.se: {}
resources:
  alviss.refit.se:
    model: data.alviss.model.latest_se
    dataset: data.alviss.active_dataset.se
    combination: {country: SWE}
"""


def test_the_graph_shows_the_data_sources_resources_read(project: Path) -> None:
    (project / "specs" / "looked.yaml").write_text(DATA_SPEC)
    code, output = run("report", "--html", "page.html", "specs/looked.yaml")
    assert code == 0, output
    html = (project / "page.html").read_text()
    graph = html[html.index("<svg") : html.index("</svg>")]
    for address in ("data.alviss.model.latest_se", "data.alviss.active_dataset.se"):
        assert f'<g class="node status-data" data-address="{address}">' in graph
    assert '<g class="node status-new" data-address="alviss.refit.se">' in graph
    assert graph.count('class="edge"') == 2
