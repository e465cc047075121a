"""``checks:`` as written: read offline against the metrics a type documents, each mistake located;
and judged against what a finished job measured."""

# ruff: noqa: E501  (the expected messages are kept whole, as a person reads them)

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, ClassVar

import pytest
from pydantic import BaseModel, ConfigDict

from reconciler.errors import SpecErrors
from reconciler.spec import SpecRegistry, load_spec
from reconciler.spec.checks import Check, Metric, evaluate
from reconciler.spec.document import Location

from .fakes import REGISTRY


class Training(BaseModel):
    """A job-like type whose result reports metrics."""

    model_config = ConfigDict(extra="forbid")

    dataset: str
    result_metrics: ClassVar[dict[str, Metric]] = {
        "f1": Metric("f1", "F1 of a class", "class", "the weighted mean"),
        "frequency": Metric("frequency", "share of a class", "class"),
        "r2": Metric("r2", "R²", inferred=True),
    }


GATED = dataclasses.replace(REGISTRY, resources={**REGISTRY.resources, "alviss.training": Training})
HEAD = "providers:\n  alviss: {team: 1, project: 1}\nresources:\n"


def case(name: str, body: str, *expected: str) -> Any:
    return pytest.param(HEAD + body, list(expected), id=name)


CASES = [
    case(
        "close_metric",
        "  alviss.training.t: {dataset: d, checks: [{metric: freqency, at_least: 0.8, class: '1'}]}\n",
        "spec.yaml:4:53: alviss.training.t: 'checks[0]': unknown metric 'freqency'\n  hint: did you mean 'frequency'? its metrics: f1 (by class), frequency (by class), r2",
    ),
    case(
        "unknown_metric",
        "  alviss.training.t: {dataset: d, checks: [{metric: f2, at_least: 0.8}]}\n",
        "spec.yaml:4:53: alviss.training.t: 'checks[0]': unknown metric 'f2'\n  hint: its metrics: f1 (by class), frequency (by class), r2",
    ),
    case(
        "no_metric",
        "  alviss.training.t: {dataset: d, checks: [{at_least: 0.8}]}\n",
        "spec.yaml:4:44: alviss.training.t: 'checks[0]' needs 'metric': one of f1 (by class), frequency (by class), r2",
    ),
    case(
        "not_a_list",
        "  alviss.training.t: {dataset: d, checks: {metric: f1}}\n",
        "spec.yaml:4:43: alviss.training.t: 'checks' must be a list of {metric, at_least|at_most|equals}, got a mapping",
    ),
    case(
        "no_bound",
        "  alviss.training.t: {dataset: d, checks: [{metric: f1}]}\n",
        "spec.yaml:4:44: alviss.training.t: 'checks[0]' needs exactly one bound: at_least, at_most or equals",
    ),
    case(
        "two_bounds",
        "  alviss.training.t: {dataset: d, checks: [{metric: r2, at_least: 0.5, at_most: 0.9}]}\n",
        "spec.yaml:4:44: alviss.training.t: 'checks[0]' needs exactly one bound: at_least, at_most or equals",
    ),
    case(
        "bound_not_a_number",
        "  alviss.training.t: {dataset: d, checks: [{metric: r2, at_least: high}]}\n",
        "spec.yaml:4:67: alviss.training.t: 'checks[0]': 'at_least' must be a number, got 'high'",
    ),
    case(
        "selector_the_metric_does_not_take",
        "  alviss.training.t: {dataset: d, checks: [{metric: r2, class: '1', at_least: 0.5}]}\n",
        "spec.yaml:4:57: alviss.training.t: 'checks[0]': unknown key 'class'\n  hint: a check of r2 takes: metric, at_least, at_most, equals",
    ),
    case(
        "selector_required",
        "  alviss.training.t: {dataset: d, checks: [{metric: frequency, at_most: 0.9}]}\n",
        "spec.yaml:4:44: alviss.training.t: 'checks[0]': frequency is reported per class; say which (class: …)",
    ),
    case(
        "type_without_metrics",
        "  alviss.upload.u: {dataset_name: S, file: s.csv, checks: [{metric: f1, at_least: 0.8}]}\n",
        "spec.yaml:4:51: alviss.upload.u: alviss.upload reports no result metrics, so it takes no checks\n  hint: checks apply to job-like resources whose results expose metrics (see the provider's page, section Quality gates)",
    ),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_check_mistakes_are_located(
    text: str, expected: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("spec.yaml").write_text(text, encoding="utf-8")
    Path("s.csv").write_text("a\n1\n", encoding="utf-8")
    with pytest.raises(SpecErrors) as caught:
        load_spec(Path("spec.yaml"), registry=GATED, environ={})
    assert [str(error) for error in caught.value.errors] == expected


def test_checks_are_read_with_their_places(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        HEAD
        + "  alviss.training.t:\n    dataset: d\n    checks:\n"
        + "      - {metric: f1, class: 1, at_least: 0.8}\n      - {metric: r2, equals: 1}\n"
    )
    loaded = load_spec(spec, registry=GATED, environ={}, data_files=False)
    first, second = loaded.resources["alviss.training.t"].checks
    assert (first.metric, first.selector, first.selected, first.bound, first.value) == (
        "f1",
        "class",
        "1",
        "at_least",
        0.8,
    )
    assert (first.location.line, first.location.column) == (7, 9)
    assert str(first) == 'f1 (class "1") at_least 0.8'
    assert (second.metric, second.selector, second.bound, second.value) == ("r2", None, "equals", 1.0)


def test_checks_per_for_each_instance(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        HEAD
        + "  alviss.training.t:\n    for_each: [a, b]\n    dataset: ${each.key}\n"
        + "    checks: [{metric: f1, at_least: 0.8}]\n"
    )
    loaded = load_spec(spec, registry=GATED, environ={}, data_files=False)
    assert [len(loaded.resources[f"alviss.training.t[{key}]"].checks) for key in "ab"] == [1, 1]


def gate(metric: str, bound: Any, value: float, selected: str | None = None) -> Check:
    return Check(
        metric,
        bound,
        value,
        Location("s.yaml", 1, 1),
        selector="class" if selected else None,
        selected=selected,
    )


def test_evaluate_says_which_metric_missed_and_by_how_much() -> None:
    measured = {"f1": {"0": 0.9, "1": 0.6667, "": 0.85}, "r2": 0.5}
    checks = (
        gate("f1", "at_least", 0.8, "1"),
        gate("f1", "at_least", 0.8),
        gate("r2", "at_most", 0.4),
        gate("r2", "equals", 0.5),
        gate("f1", "at_least", 0.5, "2"),
    )
    assert [str(miss) for miss in evaluate(checks, measured)] == [
        'f1 (class "1") is 0.6667, below 0.8 (at_least) by 0.1333',
        "r2 is 0.5, above 0.4 (at_most) by 0.1",
        'f1 (class "2") is not reported by the result (wanted at_least 0.5)',
    ]
    assert evaluate((), measured) == []


def test_the_real_registry_documents_metrics_only_for_job_like_types() -> None:
    from reconciler.providers.registry import spec_registry
    from reconciler.spec.checks import result_metrics

    registry: SpecRegistry = spec_registry()
    documented = {name for name, model in registry.resources.items() if result_metrics(model)}
    assert "akkio.model" in documented
    assert "akkio.dataset" not in documented
