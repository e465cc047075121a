"""Which specs the agent keeps, with which var files; and the options it refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler import errors
from reconciler.agent.options import AgentOptions, find_targets


@pytest.fixture
def specs(tmp_path: Path) -> Path:
    for name in ("se.yaml", "no.yaml", "dk.yml"):
        (tmp_path / "specs" / "markets").mkdir(parents=True, exist_ok=True)
        (tmp_path / "specs" / "markets" / name).write_text("version: 1\nresources: {}\n")
    (tmp_path / "specs" / "markets" / "notes").mkdir()
    (tmp_path / "specs" / "markets" / "vars.yaml").write_text("markets: [se]\n")  # no spec
    return tmp_path


def test_globs_match_spec_files_sorted_once_each(specs: Path) -> None:
    found = find_targets(["specs/markets/*.yaml", "specs/markets/se.yaml", "specs/**/*.yml"], cwd=specs)
    assert [t.label for t in found.targets] == [
        "specs/markets/no.yaml",
        "specs/markets/se.yaml",
        "specs/markets/dk.yml",
    ]
    assert all(t.spec.is_absolute() for t in found.targets)
    assert found.skipped == ("specs/markets/vars.yaml",)
    named = find_targets(["specs/markets/vars.yaml"], cwd=specs)  # named, not globbed: taken as given
    assert [t.label for t in named.targets] == ["specs/markets/vars.yaml"]


def test_var_files_for_every_spec_or_those_a_pattern_matches(specs: Path) -> None:
    found = find_targets(
        ["specs/markets/*.yaml"],
        ["common.yaml", "se=vars/se.yaml", "specs/markets/n*.yaml=vars/nordic.yaml", "*.yaml=vars/all.yaml"],
        cwd=specs,
    )
    files = {t.spec.stem: t.var_files for t in found.targets}
    assert files == {
        "se": ("common.yaml", "vars/se.yaml", "vars/all.yaml"),
        "no": ("common.yaml", "vars/nordic.yaml", "vars/all.yaml"),
    }
    assert found.matched["se"] == ("specs/markets/se.yaml",)


@pytest.mark.parametrize(
    ("specs_given", "var_files", "message"),
    [
        (["specs/none/*.yaml"], [], "--specs specs/none/\\*.yaml matches no spec file"),
        (["specs/markets/notes"], [], "matches no spec file"),
        (["specs/markets/*.yaml"], ["fi=vars/fi.yaml"], "--var-file fi=… matches none of the specs"),
        (["specs/markets/*.yaml"], ["=vars/fi.yaml"], "PATTERN=FILE"),
    ],
)
def test_what_matches_nothing_is_an_error(
    specs: Path, specs_given: list[str], var_files: list[str], message: str
) -> None:
    with pytest.raises(errors.ReconcilerError, match=message):
        find_targets(specs_given, var_files, cwd=specs)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"specs": ()}, "at least one --specs"),
        ({"interval": 0}, "--interval must be above zero"),
        ({"jitter": 1.0}, "--jitter"),
        ({"concurrency": 0}, "--concurrency must be at least 1"),
        ({"apply": "sometimes"}, "--apply must be one of never, auto, approved"),
    ],
)
def test_bad_options_are_refused(changes: dict[str, object], message: str) -> None:
    values: dict[str, object] = {"specs": ("specs/*.yaml",), **changes}
    with pytest.raises(errors.ReconcilerError, match=message):
        AgentOptions(**values)  # type: ignore[arg-type]
