"""A ``sony_epa.pin`` and a ``sony_epa.retrain`` with ``switch: true`` on one model (one provider
instance) would switch the model's API back and forth: ``validate`` and ``plan`` refuse the spec,
at the retrain's ``switch``, before anything is read or sent."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import SpecError, SpecErrors
from reconciler.providers.registry import spec_registry
from reconciler.spec import load_spec
from reconciler.workflow import Settings, Workspace
from tests.support import REPO
from tests.system.support import run

HEAD = """\
version: 1
providers:
  sony_epa.churn: {endpoint: "emulator://sony_epa"}
  sony_epa.other: {endpoint: "emulator://sony_epa"}
resources:
"""
PIN = """\
  sony_epa.pin.churn:
    provider: sony_epa.churn
    retrain: sony_epa.retrain.churn
"""


def retrain(name: str, provider: str, switch: str | None) -> str:
    line = f"    switch: {switch}\n" if switch is not None else ""
    return f"  sony_epa.retrain.{name}:\n    provider: {provider}\n    train_file: train.csv\n{line}"


def write(tmp_path: Path, body: str) -> Path:
    (tmp_path / "train.csv").write_text("a,b\n1,2\n")
    spec = tmp_path / "spec.yaml"
    spec.write_text(HEAD + body)
    return spec


def errors_of(spec: Path) -> list[SpecError]:
    with pytest.raises((SpecError, SpecErrors)) as caught:
        load_spec(spec, registry=spec_registry(), environ={})
    error = caught.value
    return list(error.errors) if isinstance(error, SpecErrors) else [error]


def test_a_pin_and_a_switching_retrain_of_one_model_are_refused_at_the_switch(tmp_path: Path) -> None:
    spec = write(tmp_path, retrain("churn", "sony_epa.churn", "true") + PIN)
    [error] = errors_of(spec)
    assert (error.line, error.column) == (9, 13)  # the value of the retrain's switch
    assert error.file.endswith("spec.yaml")
    assert "sony_epa.retrain.churn: switch: true switches the model's API" in str(error)
    assert "sony_epa.pin.churn (spec.yaml:10)" in str(error)
    assert "set switch: false on sony_epa.retrain.churn" in str(error)


def test_switch_left_at_its_default_is_true_and_refused_at_the_retrain(tmp_path: Path) -> None:
    spec = write(tmp_path, retrain("churn", "sony_epa.churn", None) + PIN)
    [error] = errors_of(spec)
    assert (error.line, error.column) == (6, 3)  # the retrain's key: switch is not written
    assert "switch (true when not set)" in str(error)


@pytest.mark.parametrize(
    "body",
    [
        retrain("churn", "sony_epa.churn", "false") + PIN,  # the pin decides
        retrain("churn", "sony_epa.churn", "false") + retrain("x", "sony_epa.other", "true") + PIN,
        retrain("churn", "sony_epa.churn", "true"),  # no pin
    ],
    ids=["switch false", "another model switches", "no pin"],
)
def test_other_models_or_no_switch_are_fine(tmp_path: Path, body: str) -> None:
    load_spec(write(tmp_path, body), registry=spec_registry(), environ={})


def test_every_pair_is_reported_and_validate_and_plan_exit_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    body = retrain("churn", "sony_epa.churn", "true") + retrain("b", "sony_epa.churn", None) + PIN
    spec = write(tmp_path, body)
    assert len(errors_of(spec)) == 3  # each retrain with the pin, and the two retrains
    for command in ("validate", "plan"):
        code, output = run(command, str(spec))
        assert code == 1, output
        assert output.count("pins that API to one retrain job") == 2, output
        assert output.count("while sony_epa.retrain.churn (spec.yaml:6) switches it to its own") == 1
        assert "Traceback" not in output
    with pytest.raises(SpecErrors):
        Workspace(spec, settings=Settings(environ={})).validate()


def test_the_example_with_a_pin_switches_nothing_itself() -> None:
    load_spec(REPO / "specs" / "sony-results.yaml", registry=spec_registry(), environ={})
