"""The one registry of platforms (``reconciler.platforms``): what reads it, and that it stays cheap."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler import emulators, platforms
from reconciler.errors import ReconcilerError
from reconciler.providers.registry import PLATFORMS
from tests.served import served_emulator
from tests.support import REPO


def test_each_platform_is_one_line_whose_halves_agree() -> None:
    assert platforms.NAMES == ("alviss", "akkio", "sony_epa", "datrics")
    assert tuple(PLATFORMS) == platforms.NAMES == emulators.EMULATORS
    for registered in platforms.PLATFORMS:
        provider = PLATFORMS[registered.name]
        assert provider.name == registered.name
        assert provider.config_class.emulator == registered.name
        plugin = registered.load_emulator()
        assert plugin.name == registered.name
        # The provider waits for the very kinds of job the emulator runs (and times by --durations).
        assert sorted(kind.name for kind in provider.jobs) == sorted(plugin.job_kinds)


def test_every_platform_has_its_docs_page_and_no_page_is_left_over() -> None:
    pages = {page.stem for page in (REPO / "docs" / "providers").glob("*.md")}
    assert pages == set(platforms.NAMES)


def test_an_unknown_name_says_which_are_known() -> None:
    with pytest.raises(ReconcilerError, match="unknown emulator 'datrix'") as caught:
        platforms.find("datrix", what="emulator")
    assert caught.value.hint == "known emulators: alviss, akkio, sony_epa, datrics"


def test_importing_the_registry_imports_no_platform_and_no_fastapi() -> None:
    code = (
        "import sys, reconciler.platforms, reconciler.emulators; "
        "print(sorted(m for m in sys.modules if m.startswith(('reconciler.providers', 'fastapi', "
        "'reconciler.emulators.'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=30)
    assert out.stdout.strip() == "[]"


#: Run in a fresh interpreter: plan the spec given, then print the modules that were imported.
_PLAN_AND_LIST_MODULES = (
    "import json, sys\n"
    "from reconciler.cli import main\n"
    "try:\n"
    "    main(['plan', sys.argv[1]])\n"
    "except SystemExit as exc:\n"
    "    assert exc.code in (0, None), exc.code\n"
    "print('MODULES=' + json.dumps(sorted(sys.modules)))\n"
)
_OTHER_PLATFORMS = tuple(
    f"reconciler.{half}.{name}"
    for name in platforms.NAMES
    if name != "alviss"
    for half in ("providers", "emulators")
)


def _modules_after_planning(spec: Path, environ: dict[str, str] | None = None) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", _PLAN_AND_LIST_MODULES, str(spec)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=spec.parent,
        env={**os.environ, **(environ or {})},
    )
    assert out.returncode == 0, out.stderr
    listed: list[str] = json.loads(out.stdout.rsplit("MODULES=", 1)[1])
    return listed


def _alviss_only_spec(tmp_path: Path, endpoint: str) -> Path:
    shutil.copytree(REPO / "specs" / "data" / "demo", tmp_path / "data" / "demo")
    text = (REPO / "specs" / "demo.yaml").read_text(encoding="utf-8")
    if not endpoint.startswith("emulator://"):
        endpoint += "\n    token: ${env:ALVISS_TOKEN}"
    text = text.replace("endpoint: emulator://alviss", f"endpoint: {endpoint}")
    text = text.replace("path: ../state/demo.json", "path: state.json")
    spec = tmp_path / "demo.yaml"
    spec.write_text(text, encoding="utf-8")
    return spec


def test_planning_an_alviss_spec_imports_no_other_platform(tmp_path: Path) -> None:
    """emulator://alviss: the Alviss provider and emulator (and FastAPI, which serves it), nothing else."""
    modules = _modules_after_planning(_alviss_only_spec(tmp_path, "emulator://alviss"))
    assert "reconciler.providers.alviss" in modules
    assert "reconciler.emulators.alviss" in modules
    assert [m for m in modules if m.startswith(_OTHER_PLATFORMS)] == []


def test_planning_against_an_http_endpoint_imports_no_emulator_and_no_fastapi(tmp_path: Path) -> None:
    with served_emulator("alviss", data_dir=tmp_path / "served") as base:
        spec = _alviss_only_spec(tmp_path, base + "/api/v1/api")
        modules = _modules_after_planning(spec, {"ALVISS_TOKEN": "any"})
    assert "reconciler.providers.alviss" in modules
    unwanted = ("fastapi", "starlette", "uvicorn", "reconciler.emulators.", *_OTHER_PLATFORMS)
    assert [m for m in modules if m.startswith(unwanted)] == []
