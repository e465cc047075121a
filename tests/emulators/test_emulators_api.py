"""The public front door of ``reconciler.emulators``: names, durations, cheap import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from reconciler import emulators, platforms
from reconciler.errors import ReconcilerError


def test_the_public_surface() -> None:
    assert emulators.EMULATORS == platforms.NAMES == ("alviss", "akkio", "sony_epa", "datrics")
    for name in emulators.EMULATORS:
        plugin = emulators.plugin(name)
        assert plugin.name == name
        assert plugin.job_kinds == tuple(plugin.durations) == emulators.JOB_KINDS[name]
    assert emulators.plugin("alviss").job_kinds == (
        "upload",
        "dataset",
        "refit",
        "build",
        "attribution",
        "attribution_set",
    )
    assert sorted(emulators.__all__) == [
        "DEFAULT_VARIANT", "EMULATORS", "JOB_KINDS", "VARIANTS", "create_app", "parse_durations",
        "parse_variant", "plugin", "serve",
    ]  # fmt: skip
    assert emulators.VARIANTS == ("full", "documented", "strict")
    assert emulators.DEFAULT_VARIANT == "full"


def test_parse_durations() -> None:
    assert emulators.parse_durations("upload=1, dataset=0.5,", name="alviss") == {
        "upload": 1.0,
        "dataset": 0.5,
    }
    assert emulators.parse_durations("", name="alviss") == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("uplod=1", "unknown job kind 'uplod'"),
        ("upload=fast", "'fast' is not a number"),
        ("upload", "expected KIND=SECONDS"),
        ("upload=-1", "must be a finite number >= 0"),
        ("upload=nan", "must be a finite number >= 0"),
    ],
)
def test_bad_durations_are_reconciler_errors(text: str, message: str) -> None:
    with pytest.raises(ReconcilerError, match=message):
        emulators.parse_durations(text, name="alviss")


def test_unknown_emulators_and_job_kinds_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ReconcilerError, match="unknown emulator 'datrix'"):
        emulators.create_app("datrix", data_dir=tmp_path)
    with pytest.raises(ReconcilerError, match="unknown emulator"):
        emulators.parse_durations("upload=1", name="datrix")
    with pytest.raises(ReconcilerError, match="unknown job kind 'train'"):
        emulators.create_app("alviss", data_dir=tmp_path, durations={"train": 1.0})


def test_creating_an_app_opens_no_database_yet(tmp_path: Path) -> None:
    emulators.create_app("alviss", data_dir=tmp_path / "lazy")
    assert not (tmp_path / "lazy").exists()


def test_importing_the_package_does_not_import_fastapi() -> None:
    code = "import sys, reconciler.emulators; print('fastapi' in sys.modules, 'uvicorn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=30)
    assert out.stdout.split() == ["False", "False"]


def test_variants_are_parsed_and_reach_every_factory(tmp_path: Path) -> None:
    assert emulators.parse_variant(" Documented ") == "documented"
    with pytest.raises(ReconcilerError, match="unknown emulator variant 'strikt'") as caught:
        emulators.parse_variant("strikt")
    assert caught.value.hint == "variants: full, documented, strict"
    for name in emulators.EMULATORS:
        assert emulators.create_app(name, data_dir=tmp_path / name).state.variant == "full"
        app = emulators.create_app(name, data_dir=tmp_path / name, variant="strict")
        assert app.state.variant == "strict"
    with pytest.raises(ReconcilerError, match="unknown emulator variant"):
        emulators.create_app("alviss", data_dir=tmp_path, variant="partial")
