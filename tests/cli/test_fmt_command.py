"""The ``fmt`` command: rewrite, ``--check`` (exit 1, the files listed), ``--diff``, ``--recursive``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.spec.test_fmt import CANONICAL, MESSY
from tests.system.support import run


def test_fmt_writes_check_lists_and_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("specs/modules").mkdir(parents=True)
    Path("specs/a.yaml").write_text(MESSY)
    Path("specs/b.yaml").write_text(CANONICAL)
    Path("specs/modules/m.yaml").write_text(MESSY)

    code, output = run("fmt", "--check", "specs")
    assert code == 1 and output.splitlines() == [
        "specs/a.yaml",
        "1 file not in the canonical layout; run `reconciler fmt` on them",
    ]
    assert Path("specs/a.yaml").read_text() == MESSY  # --check writes nothing

    code, output = run("fmt", "--check", "--recursive", "specs")
    assert code == 1 and "specs/modules/m.yaml" in output.splitlines()

    code, output = run("fmt", "--diff", "specs/a.yaml")
    assert code == 0 and "-version:   1\n+version: 1\n" in output
    assert Path("specs/a.yaml").read_text() == CANONICAL
    assert run("fmt", "--check", "specs") == (0, "")


def test_fmt_errors_are_located_and_write_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("good.yaml").write_text(MESSY)
    Path("bad.yaml").write_text("version: 1\nresources: [\n")
    code, output = run("fmt", "good.yaml", "bad.yaml", "missing.yaml")
    assert code == 1 and "Traceback" not in output
    assert "missing.yaml:1:1: spec file not found" in output
    code, output = run("fmt", "good.yaml", "bad.yaml")
    assert code == 1 and output.startswith("Error: bad.yaml:3:1: invalid YAML")
    assert Path("good.yaml").read_text() == MESSY
