"""Two resources switching one Sony EPA model's API (two ``sony_epa.pin``, or two ``sony_epa.retrain``
with ``switch: true``, its default) would switch it back and forth: ``validate`` and ``plan`` refuse
the spec at the later one, naming the first.  Models are provider instances: ``for_each`` instances
and module instances of one provider instance fight, those of different instances do not."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from reconciler.errors import SpecError, SpecErrors
from reconciler.providers.registry import spec_registry
from reconciler.spec import load_spec
from tests.system.support import run

HEAD = """\
version: 1
providers:
  sony_epa.churn: {endpoint: "emulator://sony_epa"}
  sony_epa.other: {endpoint: "emulator://sony_epa"}
resources:
"""


def pin(name: str, provider: str, job: str) -> str:
    return f'  sony_epa.pin.{name}:\n    provider: {provider}\n    retrain_job_id: "{job}"\n'


def retrain(name: str, provider: str, switch: str | None = None) -> str:
    line = f"    switch: {switch}\n" if switch is not None else ""
    return f"  sony_epa.retrain.{name}:\n    provider: {provider}\n    train_file: train.csv\n{line}"


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    (root / "train.csv").write_text("a,b\n1,2\n")
    return path


def problems(spec: Path) -> list[SpecError]:
    with pytest.raises((SpecError, SpecErrors)) as caught:
        load_spec(spec, registry=spec_registry(), environ={})
    error = caught.value
    return list(error.errors) if isinstance(error, SpecErrors) else [error]


def loads(spec: Path) -> None:
    load_spec(spec, registry=spec_registry(), environ={})


def test_two_pins_of_one_model_are_refused_at_the_second_naming_the_first(tmp_path: Path) -> None:
    spec = write(
        tmp_path, "spec.yaml", HEAD + pin("a", "sony_epa.churn", "7") + pin("b", "sony_epa.churn", "9")
    )
    [error] = problems(spec)
    assert (error.line, error.column) == (9, 3)  # sony_epa.pin.b's key
    assert error.file.endswith("spec.yaml")
    assert str(error).startswith(
        f"{spec}:9:3: sony_epa.pin.b: pins the model's API of provider sony_epa.churn"
    )
    assert "while sony_epa.pin.a (spec.yaml:6) already pins it" in str(error)
    assert error.hint is not None and "keep one sony_epa.pin per model" in error.hint


def test_two_retrains_switching_one_model_by_default_are_refused_at_the_second(tmp_path: Path) -> None:
    spec = write(
        tmp_path, "spec.yaml", HEAD + retrain("a", "sony_epa.churn") + retrain("b", "sony_epa.churn")
    )
    [error] = problems(spec)
    assert (error.line, error.column) == (9, 3)  # switch not written: the retrain's key
    assert "sony_epa.retrain.b: switch (true when not set) switches the model's API" in str(error)
    assert "while sony_epa.retrain.a (spec.yaml:6) switches it to its own" in str(error)
    assert error.hint is not None and "set switch: false on sony_epa.retrain.b" in error.hint


def test_a_written_switch_true_is_the_place(tmp_path: Path) -> None:
    body = retrain("a", "sony_epa.churn", "true") + retrain("b", "sony_epa.churn", "true")
    [error] = problems(write(tmp_path, "spec.yaml", HEAD + body))
    assert (error.line, error.column) == (13, 13)  # sony_epa.retrain.b's switch value
    assert "sony_epa.retrain.b: switch: true switches" in str(error)


def test_three_on_one_model_each_later_one_names_the_first(tmp_path: Path) -> None:
    body = pin("a", "sony_epa.churn", "1") + pin("b", "sony_epa.churn", "2") + pin("c", "sony_epa.churn", "3")
    found = problems(write(tmp_path, "spec.yaml", HEAD + body))
    assert [error.line for error in found] == [9, 12]
    assert all("while sony_epa.pin.a (spec.yaml:6)" in str(error) for error in found)


@pytest.mark.parametrize(
    "body",
    [
        pin("a", "sony_epa.churn", "7") + pin("b", "sony_epa.other", "9"),
        retrain("a", "sony_epa.churn") + retrain("b", "sony_epa.other"),
        retrain("a", "sony_epa.churn") + retrain("b", "sony_epa.churn", "false"),
        retrain("a", "sony_epa.churn", "false")
        + retrain("b", "sony_epa.churn", "false")
        + pin("p", "sony_epa.churn", "7"),
    ],
    ids=["pins of two models", "retrains of two models", "one switches", "a pin decides"],
)
def test_one_switcher_per_model_is_fine(tmp_path: Path, body: str) -> None:
    loads(write(tmp_path, "spec.yaml", HEAD + body))


FOR_EACH = """\
version: 1
providers:
  sony_epa.model:
    for_each: [churn, demand]
    endpoint: "emulator://sony_epa"
resources:
  sony_epa.retrain.weekly:
    for_each: [churn, demand]
    provider: PROVIDER
    train_file: train.csv
"""


def test_for_each_instances_of_one_model_fight(tmp_path: Path) -> None:
    spec = write(tmp_path, "spec.yaml", FOR_EACH.replace("PROVIDER", "sony_epa.model[churn]"))
    [error] = problems(spec)
    assert (error.line, error.column) == (7, 3)
    assert "sony_epa.retrain.weekly[demand]: switch (true when not set)" in str(error)
    assert "while sony_epa.retrain.weekly[churn] (spec.yaml:7) switches it to its own" in str(error)
    assert error.hint is not None
    assert "every instance of this sony_epa.retrain uses provider sony_epa.model[churn]" in error.hint


def test_for_each_instances_of_their_own_models_are_fine(tmp_path: Path) -> None:
    loads(write(tmp_path, "spec.yaml", FOR_EACH.replace("PROVIDER", "sony_epa.model[${each.key}]")))


MODULE = """\
resources:
  sony_epa.pin.serve:
    retrain_job_id: "7"
"""

CALLER = """\
version: 1
providers:
  sony_epa.model:
    for_each: [churn, demand]
    endpoint: "emulator://sony_epa"
modules:
  serving:
    source: modules/serving.yaml
    for_each: [se, no]
    providers: {sony_epa: "PROVIDER"}
"""


def test_module_instances_on_one_model_fight_located_in_the_module(tmp_path: Path) -> None:
    write(tmp_path, "modules/serving.yaml", MODULE)
    spec = write(tmp_path, "spec.yaml", CALLER.replace("PROVIDER", "sony_epa.model[churn]"))
    [error] = problems(spec)
    assert error.file == str(tmp_path / "modules" / "serving.yaml")
    assert (error.line, error.column) == (2, 3)
    assert (
        "module.serving[no].sony_epa.pin.serve: pins the model's API of provider sony_epa.model[churn]"
        in str(error)
    )
    assert "while module.serving[se].sony_epa.pin.serve (serving.yaml:2) already pins it" in str(error)
    assert error.hint is not None and "map its provider per instance" in error.hint


def test_module_instances_on_their_own_models_are_fine(tmp_path: Path) -> None:
    write(tmp_path, "modules/serving.yaml", MODULE)
    caller = CALLER.replace("[se, no]", "[churn, demand]").replace("PROVIDER", "sony_epa.model[${each.key}]")
    loads(write(tmp_path, "spec.yaml", caller))


def test_a_module_pin_beside_the_callers_pin_of_one_model(tmp_path: Path) -> None:
    write(tmp_path, "modules/serving.yaml", MODULE)
    caller = CALLER.replace("    for_each: [se, no]\n", "").replace("PROVIDER", "sony_epa.model[churn]")
    caller += "resources:\n" + pin("root", "sony_epa.model[churn]", "9")
    [error] = problems(write(tmp_path, "spec.yaml", caller))
    assert "module.serving.sony_epa.pin.serve" in str(error) and "sony_epa.pin.root" in str(error)


def test_validate_and_plan_exit_1_before_anything_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    spec = write(
        tmp_path, "spec.yaml", HEAD + pin("a", "sony_epa.churn", "7") + pin("b", "sony_epa.churn", "9")
    )
    for command in ("validate", "plan"):
        code, output = run(command, str(spec))
        assert code == 1, output
        assert "spec.yaml:9:3: sony_epa.pin.b: pins the model's API" in output
        assert "hint: keep one sony_epa.pin per model" in output
        assert "Traceback" not in output
