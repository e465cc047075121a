"""Every command gives the same answer whatever directory it runs from.

The state is relative to the spec, and so is the in-process emulator's world
(``.reconciler/emulators/`` beside the state file); a saved plan names its
spec relative to itself.  Each command is run on a fresh copy of a project
from three directories (the project root, the spec's own directory, and a
directory outside the project) and what it prints is compared.
"""

from __future__ import annotations

import difflib
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from tests.support import REPO

INSTANT = "upload=0,dataset=0,refit=0,build=0,attribution=0,attribution_set=0"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_CLOCK = re.compile(r"\b\d\d:\d\d:\d\d\b")


def _project(root: Path) -> None:
    """A repository holding the demo spec (state in ``../state/``, as in this repository)."""
    if root.exists():
        shutil.rmtree(root)
    (root / "specs" / "data").mkdir(parents=True)
    shutil.copy(REPO / "specs" / "demo.yaml", root / "specs" / "demo.yaml")
    shutil.copytree(REPO / "specs" / "data" / "demo", root / "specs" / "data" / "demo")


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, _CLOCK.sub("HH:MM:SS", _UUID.sub("UUID", result.output))


def _session(spec: str, plan_file: Path, cwd: Path) -> list[tuple[str, int, str]]:
    """Every command on the project, in an order a user would run them, with what each printed."""
    here = Path.cwd()
    plan = str(plan_file)

    def json_plan(code_output: tuple[int, str]) -> tuple[int, str]:
        code, output = code_output
        document = json.loads(output)
        # Printed without -out, spec_files are relative to where it ran: compare where they point.
        document["spec_files"] = [str((cwd / name).resolve()) for name in document["spec_files"]]
        return code, json.dumps(document, sort_keys=True)

    steps: list[tuple[str, Callable[[], tuple[int, str]]]] = [
        ("validate", lambda: _invoke("validate", spec)),
        ("graph", lambda: _invoke("graph", spec, "--format", "mermaid")),
        ("show (empty state)", lambda: _invoke("show", spec)),
        ("plan", lambda: _invoke("plan", spec)),
        ("plan --format json", lambda: json_plan(_invoke("plan", spec, "--format", "json"))),
        ("plan --detailed-exitcode", lambda: _invoke("plan", spec, "--detailed-exitcode")),
        # One upload first (two at once finish in either order, and draw their ids in that order).
        ("plan -out", lambda: _invoke("plan", spec, "--target", "alviss.upload.sales_w47", "-out", plan)),
        ("show PLANFILE", lambda: _invoke("show", plan)),
        ("show PLANFILE --format json", lambda: _invoke("show", plan, "--format", "json")),
        ("show PLANFILE --format markdown", lambda: _invoke("show", plan, "--format", "markdown")),
        ("apply PLANFILE", lambda: _invoke("apply", plan, "--no-color")),
        ("apply", lambda: _invoke("apply", "--auto-approve", "--no-color", spec)),
        ("plan after apply", lambda: _invoke("plan", spec)),
        ("drift", lambda: _invoke("drift", spec)),
        ("apply again", lambda: _invoke("apply", "--auto-approve", "--no-color", spec)),
        ("show", lambda: _invoke("show", spec)),
        ("show --format json", lambda: _invoke("show", spec, "--format", "json")),
        ("state list", lambda: _invoke("state", "list", spec)),
        ("state show", lambda: _invoke("state", "show", spec, "alviss.upload.sales_w47")),
        ("state mv", lambda: _invoke("state", "mv", spec, "alviss.upload.sales_w47", "alviss.upload.sales")),
        (
            "state mv back",
            lambda: _invoke("state", "mv", spec, "alviss.upload.sales", "alviss.upload.sales_w47"),
        ),
        ("state rm", lambda: _invoke("state", "rm", spec, "alviss.upload.media_w47")),
        ("import", lambda: _invoke("import", spec, "alviss.upload.media_w47", "4")),
        ("plan at the end", lambda: _invoke("plan", spec)),
    ]
    assert Path.cwd() == here
    return [(name, *step()) for name, step in steps]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No run-wide world: the default place (beside the state) is what is tested."""
    monkeypatch.delenv("RECONCILER_EMULATOR_DIR", raising=False)
    monkeypatch.setenv("RECONCILER_EMULATOR_DURATIONS", INSTANT)


@pytest.mark.usefixtures("clean_env")
def test_every_command_answers_the_same_from_three_directories(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project, outside = tmp_path / "project", tmp_path / "elsewhere"
    outside.mkdir()
    plan_file = tmp_path / "plans" / "demo.plan.json"
    places = {
        "the project root": (lambda: project, "specs/demo.yaml"),
        "the spec's directory": (lambda: project / "specs", "demo.yaml"),
        "a directory outside the project": (lambda: outside, "../project/specs/demo.yaml"),
    }
    # One project whose world exists already (a fresh world draws its own dates), copied for each session.
    template = tmp_path / "template"
    _project(template)
    monkeypatch.chdir(template)
    assert _invoke("plan", "specs/demo.yaml")[0] == 0
    sessions = {}
    for where, (directory, spec) in places.items():
        if project.exists():
            shutil.rmtree(project)
        shutil.copytree(template, project)  # the same fresh project, at the same place, each time
        if plan_file.exists():
            plan_file.unlink()
        monkeypatch.chdir(directory())
        sessions[where] = _session(spec, plan_file, directory())
        monkeypatch.chdir(tmp_path)
        # The world is beside the state; nothing is written where the command ran.
        assert (project / "state" / ".reconciler" / "emulators" / "alviss.sqlite3").is_file()
        assert not (directory() / ".reconciler").exists()
        assert not (outside / "state").exists() and not (project / "specs" / "state").exists()

    reference = sessions["the project root"]
    codes = {name: code for name, code, _ in reference}
    assert codes["plan --detailed-exitcode"] == 2 and codes["plan after apply"] == 0
    assert "No changes." in dict((name, out) for name, _, out in reference)["plan after apply"]
    assert all(code == 0 for name, code, _ in reference if name != "plan --detailed-exitcode"), reference
    for where, session in sessions.items():
        for (name, code, output), (_, code0, output0) in zip(session, reference, strict=True):
            diff = "\n".join(difflib.unified_diff(output0.splitlines(), output.splitlines(), lineterm=""))
            assert (code, output) == (code0, output0), (
                f"{name} from {where}: exit {code}, not {code0}\n{diff}"
            )


@pytest.mark.usefixtures("clean_env")
def test_show_without_an_argument_finds_the_one_spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "project"
    _project(project)
    for directory in (project, project / "specs"):
        monkeypatch.chdir(directory)
        assert _invoke("show") == (0, "The state is empty.\n")
    monkeypatch.chdir(project)
    assert _invoke("apply", "--auto-approve", "specs/demo.yaml")[0] == 0
    code, output = _invoke("show")
    assert code == 0 and "alviss.upload.sales_w47 [ready]" in output

    monkeypatch.chdir(tmp_path)  # no spec here, nor in specs/
    code, output = _invoke("show")
    assert code == 1 and "no spec in the current directory or its specs/" in output
    assert "reconciler show SPEC" in output

    shutil.copy(project / "specs" / "demo.yaml", project / "specs" / "other.yml")
    monkeypatch.chdir(project)
    code, output = _invoke("show")
    assert code == 1 and "2 specs in the current directory and its specs/" in output
    assert "specs/demo.yaml, specs/other.yml" in output and "reconciler show specs/demo.yaml" in output


@pytest.mark.usefixtures("clean_env")
def test_show_markdown_is_for_plans(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _project(tmp_path / "project")
    monkeypatch.chdir(tmp_path / "project")
    code, output = _invoke("show", "specs/demo.yaml", "--format", "markdown")
    assert code == 1 and "--format markdown shows a saved plan" in output


@pytest.mark.usefixtures("clean_env")
def test_the_provider_block_can_name_the_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "project"
    _project(project)
    spec = project / "specs" / "demo.yaml"
    spec.write_text(
        spec.read_text().replace("    team: 1\n", "    team: 1\n    emulator_dir: ../worlds\n", 1)
    )
    monkeypatch.chdir(tmp_path)
    assert _invoke("apply", "--auto-approve", str(spec))[0] == 0
    assert (project / "worlds" / "alviss.sqlite3").is_file()
    assert not (project / "state" / ".reconciler" / "emulators").exists()

    spec.write_text(spec.read_text().replace("emulator://alviss", "https://app.alviss.io/api/v1/api"))
    code, output = _invoke("validate", str(spec))
    assert code == 1 and "emulator_dir is only for an emulator:// endpoint" in output


@pytest.mark.usefixtures("clean_env")
def test_a_state_left_where_earlier_versions_kept_it_is_not_silently_forked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a state block the state is beside the spec; an old one in the working directory stops a run."""
    project = tmp_path / "project"
    _project(project)
    spec = project / "specs" / "demo.yaml"
    spec.write_text(re.sub(r"state:\n  backend: local\n  path: .*\n", "", spec.read_text()))
    monkeypatch.chdir(project)
    assert _invoke("apply", "--auto-approve", "specs/demo.yaml")[0] == 0
    assert (project / "specs" / "state" / "demo.json").is_file()

    (project / "specs" / "state" / "demo.json").rename(project / "demo.json")
    (project / "state").mkdir()
    (project / "demo.json").rename(project / "state" / "demo.json")
    code, output = _invoke("plan", "specs/demo.yaml")
    assert code == 1 and "where earlier versions kept it" in output
    assert f"mv state/demo.json* {project / 'specs' / 'state'}/" in output


@pytest.mark.usefixtures("clean_env")
def test_a_world_left_where_earlier_versions_kept_it_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    _project(project)
    monkeypatch.chdir(project)
    assert _invoke("apply", "--auto-approve", "specs/demo.yaml")[0] == 0
    (project / ".reconciler").mkdir()
    (project / "state" / ".reconciler" / "emulators").rename(project / ".reconciler" / "emulators")
    code, output = _invoke("plan", "specs/demo.yaml")
    assert code == 1 and "where earlier versions kept it" in output
    world = project / "state" / ".reconciler" / "emulators"
    assert f"mkdir -p {world} && mv .reconciler/emulators/* {world}/" in output
    subprocess.run(f"mkdir -p {world} && mv .reconciler/emulators/* {world}/", shell=True, check=True)
    assert _invoke("plan", "specs/demo.yaml")[1].startswith("No changes.")


def test_demo_from_the_repository_root_then_a_plan_from_outside_it(tmp_path: Path) -> None:
    """``make demo`` at the repository root, then ``plan`` from elsewhere says ``No changes.``"""
    repo, outside = tmp_path / "repo", tmp_path / "outside"
    shutil.copytree(REPO / "specs", repo / "specs")
    (repo / "state").mkdir()
    outside.mkdir()
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "RECONCILER_EMULATOR_DURATIONS": INSTANT}

    def reconciler(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "reconciler", *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert reconciler("plan", "specs/demo.yaml", cwd=repo).returncode == 0
    assert reconciler("apply", "--auto-approve", "specs/demo.yaml", cwd=repo).returncode == 0
    for spec in (str(repo / "specs" / "demo.yaml"), "../repo/specs/demo.yaml"):
        planned = reconciler("plan", spec, "--detailed-exitcode", cwd=outside)
        assert (planned.returncode, planned.stderr) == (0, "")
        assert planned.stdout.startswith("No changes.")
    assert reconciler("drift", "../repo/specs/demo.yaml", cwd=outside).returncode == 0
    assert list(outside.iterdir()) == []


def test_a_postgres_state_keeps_the_world_beside_the_spec(tmp_path: Path) -> None:
    from reconciler.workflow import Settings, Workspace

    _project(tmp_path / "project")
    spec = tmp_path / "project" / "specs" / "demo.yaml"
    spec.write_text(
        re.sub(
            r"state:\n  backend: local\n  path: .*\n",
            "state: {backend: postgres, dsn: '${env:PG_DSN}'}\n",
            spec.read_text(),
        )
    )
    space = Workspace(spec, settings=Settings(environ={"PG_DSN": "postgresql://reconciler@db/ops"}))
    assert space.state_path() is None
    assert (
        space.emulator_dir("alviss")
        == (tmp_path / "project" / "specs").resolve() / ".reconciler" / "emulators"
    )
    run_wide = Workspace(spec, settings=Settings(environ={"PG_DSN": "x", "RECONCILER_EMULATOR_DIR": "/w"}))
    assert run_wide.emulator_dir("alviss") == Path("/w")


@pytest.mark.usefixtures("clean_env")
def test_a_plan_saved_by_an_earlier_version_names_its_spec_from_where_it_ran(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Earlier plans recorded the spec relative to the directory ``plan`` ran in: found from there still."""
    _project(tmp_path / "project")
    monkeypatch.chdir(tmp_path / "project")
    assert _invoke("plan", "specs/demo.yaml", "-out", "plans/demo.json")[0] == 0
    document = json.loads(Path("plans/demo.json").read_text())
    assert document["spec_files"] == ["../specs/demo.yaml"]  # relative to the plan file
    document["spec_files"] = ["specs/demo.yaml"]  # as an earlier version wrote it
    Path("plans/demo.json").write_text(json.dumps(document))
    code, output = _invoke("apply", "plans/demo.json", "--no-color")
    assert code == 0, output
    assert _invoke("plan", "specs/demo.yaml")[1].startswith("No changes.")


@pytest.mark.usefixtures("clean_env")
def test_a_saved_plan_applies_after_the_repository_moved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plan names its spec relative to itself, and no absolute path is in what it was based on."""
    _project(tmp_path / "checkout-1" / "project")
    monkeypatch.chdir(tmp_path / "checkout-1" / "project")
    assert _invoke("plan", "specs/demo.yaml", "-out", "plan.json")[0] == 0
    monkeypatch.chdir(tmp_path)
    (tmp_path / "checkout-1").rename(tmp_path / "checkout-2")
    code, output = _invoke("apply", "checkout-2/project/plan.json", "--no-color")
    assert code == 0, output
    monkeypatch.chdir(tmp_path / "checkout-2" / "project")
    assert _invoke("plan", "specs/demo.yaml")[1].startswith("No changes.")
