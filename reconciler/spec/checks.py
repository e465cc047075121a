"""Quality gates: a job-like resource's ``checks:``, read offline and judged against its result's metrics.

A team refitting every week fears one thing most: a bad model promoted
without anyone looking.  A ``checks:`` list on a resource names metrics its
platform reports about the finished job and a bound for each::

    checks:
      - {metric: f1, class: "1", at_least: 0.8}

Which metrics a type reports is declared once, on its configuration model
(``result_metrics``, a mapping of :class:`Metric`), so the spec is checked
offline: an unknown metric, a selector the metric does not take or a bound
that is not a number is a located error listing what the type documents.
The engine measures a finished job through its resource type and calls
:func:`evaluate`; a miss ends the job ``rejected`` (see
``engine/executor.py``) and holds back everything that would promote it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from pydantic import BaseModel

from reconciler.errors import SpecError
from reconciler.spec.document import Location
from reconciler.spec.messages import describe, spec_error
from reconciler.spec.names import suggest
from reconciler.spec.yamlpos import Document, YamlPath

__all__ = ["BOUNDS", "Check", "Measured", "Metric", "Miss", "evaluate", "read_checks", "result_metrics"]

Bound = Literal["at_least", "at_most", "equals"]
BOUNDS: Final[tuple[Bound, ...]] = ("at_least", "at_most", "equals")
#: Two values closer than this are equal (``equals``): scores are rounded floats.
TOLERANCE: Final = 1e-9

#: What a finished job measured: a metric's value, or per selected value (a class name) its value.
Measured = Mapping[str, float | Mapping[str, float]]


@dataclass(frozen=True)
class Metric:
    """One result metric a resource type documents (its name, what it is, how it is selected)."""

    name: str
    description: str
    #: The key choosing one of its values (``class`` for a per-class score), if it has several.
    selector: str | None = None
    #: What the metric is without a selector ("the count-weighted mean over classes"); None: required.
    unselected: str | None = None
    #: Not shown in the vendor's pages: the emulator's and the tool's reading (docs mark it so).
    inferred: bool = False


@dataclass(frozen=True)
class Check:
    """One gate: a metric (maybe one selected value of it) and its bound."""

    metric: str
    bound: Bound
    value: float
    location: Location
    selector: str | None = None
    selected: str | None = None

    @property
    def label(self) -> str:
        """``f1`` or ``f1 (class "1")``."""
        return self.metric if self.selector is None else f'{self.metric} ({self.selector} "{self.selected}")'

    def __str__(self) -> str:
        return f"{self.label} {self.bound} {_number(self.value)}"


@dataclass(frozen=True)
class Miss:
    """A check the job's result failed: the value measured (None: the result does not report it)."""

    check: Check
    value: float | None

    @property
    def by(self) -> float | None:
        """How far the value is from the bound (positive), or None when nothing was measured."""
        return None if self.value is None else abs(self.value - self.check.value)

    def __str__(self) -> str:
        check = self.check
        if self.value is None:
            return (
                f"{check.label} is not reported by the result (wanted {check.bound} {_number(check.value)})"
            )
        side = {"at_least": "below", "at_most": "above", "equals": "not equal to"}[check.bound]
        return (
            f"{check.label} is {_number(self.value)}, {side} {_number(check.value)} "
            f"({check.bound}) by {_number(self.by or 0.0)}"
        )


def _number(value: float) -> str:
    return f"{round(value, 4):g}"


def result_metrics(model: type[BaseModel]) -> Mapping[str, Metric]:
    """The metrics a resource type's configuration model documents (empty: none, it takes no checks)."""
    metrics = getattr(model, "result_metrics", None)
    return metrics if isinstance(metrics, Mapping) else {}


def evaluate(checks: tuple[Check, ...], measured: Measured) -> list[Miss]:
    """The checks ``measured`` fails, in the order written."""
    misses = []
    for check in checks:
        value = _value(check, measured)
        if value is None or not _holds(check, value):
            misses.append(Miss(check, value))
    return misses


def _value(check: Check, measured: Measured) -> float | None:
    found = measured.get(check.metric)
    if isinstance(found, Mapping):
        found = found.get(check.selected if check.selected is not None else "")
    if isinstance(found, bool) or not isinstance(found, int | float) or not math.isfinite(found):
        return None
    return float(found)


def _holds(check: Check, value: float) -> bool:
    if check.bound == "at_least":
        return value >= check.value - TOLERANCE
    if check.bound == "at_most":
        return value <= check.value + TOLERANCE
    return abs(value - check.value) <= TOLERANCE


def _listed(metrics: Mapping[str, Metric]) -> str:
    return ", ".join(
        name + (f" (by {metric.selector})" if metric.selector else "") for name, metric in metrics.items()
    )


def read_checks(
    document: Document,
    path: YamlPath,
    value: Any,
    *,
    subject: str,
    type_name: str,
    model: type[BaseModel],
    errors: list[SpecError],
) -> tuple[Check, ...] | None:
    """A resource's ``checks`` (at ``path``), or None (reported) when they are not valid."""
    if path in document.broken:
        return None
    metrics = result_metrics(model)
    if not metrics:
        errors.append(
            spec_error(
                f"{subject}: {type_name} reports no result metrics, so it takes no checks",
                document.key_at(path),
                hint="checks apply to job-like resources whose results expose metrics "
                "(see the provider's page, section Quality gates)",
            )
        )
        return None
    if not isinstance(value, list):
        got = describe(document, path, value)
        message = f"{subject}: 'checks' must be a list of {{metric, at_least|at_most|equals}}"
        errors.append(spec_error(message + (f", got {got}" if got else ""), document.at(path)))
        return None
    checks: list[Check] = []
    ok = True
    for index, item in enumerate(value):
        check = _check(document, (*path, index), item, subject, metrics, errors)
        if check is None:
            ok = False
        else:
            checks.append(check)
    return tuple(checks) if ok else None


def _check(
    document: Document,
    path: YamlPath,
    item: Any,
    subject: str,
    metrics: Mapping[str, Metric],
    errors: list[SpecError],
) -> Check | None:
    where = f"{subject}: 'checks[{path[-1]}]'"
    if path in document.broken:
        return None
    if not isinstance(item, dict):
        got = describe(document, path, item)
        message = f"{where} must be a mapping such as {{metric: f1, at_least: 0.8}}"
        errors.append(spec_error(message + (f", got {got}" if got else ""), document.at(path)))
        return None
    name = item.get("metric")
    if not isinstance(name, str):
        place = document.at((*path, "metric")) if "metric" in item else document.at(path)
        errors.append(spec_error(f"{where} needs 'metric': one of {_listed(metrics)}", place))
        return None
    metric = metrics.get(name)
    if metric is None:
        close = suggest(name, metrics)
        hint = (f"did you mean {close!r}? " if close else "") + f"its metrics: {_listed(metrics)}"
        errors.append(
            spec_error(f"{where}: unknown metric {name!r}", document.at((*path, "metric")), hint=hint)
        )
        return None
    allowed = ("metric", *BOUNDS, *((metric.selector,) if metric.selector else ()))
    ok = True
    for key in item:
        if key not in allowed:
            close = suggest(str(key), allowed)
            hint = f"did you mean {close!r}? " if close else ""
            hint += f"a check of {name} takes: {', '.join(allowed)}"
            errors.append(
                spec_error(f"{where}: unknown key {key!r}", document.key_at((*path, key)), hint=hint)
            )
            ok = False
    bounds = [bound for bound in BOUNDS if bound in item]
    if len(bounds) != 1:
        message = f"{where} needs exactly one bound: at_least, at_most or equals"
        errors.append(spec_error(message, document.at(path)))
        return None
    bound = bounds[0]
    limit = item[bound]
    if isinstance(limit, bool) or not isinstance(limit, int | float) or not math.isfinite(limit):
        got = describe(document, (*path, bound), limit)
        message = f"{where}: {bound!r} must be a number"
        errors.append(spec_error(message + (f", got {got}" if got else ""), document.at((*path, bound))))
        return None
    selected: str | None = None
    if metric.selector is not None and metric.selector in item:
        raw = item[metric.selector]
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            message = f'{where}: {metric.selector!r} must be a {metric.selector} name such as "1"'
            errors.append(spec_error(message, document.at((*path, metric.selector))))
            return None
        selected = str(int(raw)) if isinstance(raw, float) and raw.is_integer() else str(raw)
    elif metric.selector is not None and metric.unselected is None:
        message = f"{where}: {name} is reported per {metric.selector}; say which ({metric.selector}: …)"
        errors.append(spec_error(message, document.at(path)))
        return None
    if not ok:
        return None
    return Check(
        metric=name,
        bound=bound,
        value=float(limit),
        location=document.at(path),
        selector=metric.selector if selected is not None else None,
        selected=selected,
    )


def checks_schema(metrics: Mapping[str, Metric]) -> dict[str, Any]:
    """The JSON Schema of ``checks`` on a type documenting ``metrics`` (``reconciler schema``)."""
    number = {"type": "number"}
    items = []
    for name, metric in metrics.items():
        properties: dict[str, Any] = {"metric": {"const": name, "description": metric.description}}
        if metric.selector is not None:
            properties[metric.selector] = {
                "type": ["string", "integer"],
                "description": f"the {metric.selector}",
            }
        properties |= dict.fromkeys(BOUNDS, number)
        required = ["metric"] + ([metric.selector] if metric.selector and metric.unselected is None else [])
        items.append(
            {
                "type": "object",
                "properties": properties,
                "required": required,
                "oneOf": [{"required": [bound]} for bound in BOUNDS],
                "additionalProperties": False,
            }
        )
    listed = ", ".join(metrics)
    return {
        "type": "array",
        "description": f"Quality gates the finished job must pass, else it ends rejected: {listed}.",
        "items": {"anyOf": items},
    }
