"""Figures, the table they are printed as, and the JSON file they are kept in."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

Direction = Literal["max", "min"]


@dataclass(frozen=True)
class Figure:
    """One measured figure and the target it is held against."""

    workload: str
    name: str
    value: float
    unit: str = ""
    target: float | None = None
    direction: Direction = "max"  # "max": value ≤ target is met; "min": value ≥ target is met

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        return self.value <= self.target if self.direction == "max" else self.value >= self.target


@dataclass
class Result:
    """What one workload measured: its figures and the raw numbers behind them."""

    workload: str
    title: str
    figures: list[Figure] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what the figures cannot say, e.g. a missing reference
    seconds: float = 0.0

    def add(self, name: str, value: float, **kwargs: Any) -> None:
        self.figures.append(Figure(self.workload, name, value, **kwargs))


def _number(value: float) -> str:
    if value == 0 or 0.01 <= abs(value) < 10_000:
        return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
    return f"{value:.2e}"


def table(results: Sequence[Result]) -> str:
    """The figures as a Markdown table (readable in a terminal as well)."""
    lines = ["| id | figure | value | target | met |", "|---|---|---|---|---|"]
    for result in results:
        for figure in result.figures:
            unit = f" {figure.unit}" if figure.unit else ""
            if figure.target is None:
                target, met = "—", ""
            else:
                sign = "≤" if figure.direction == "max" else "≥"
                target, met = f"{sign} {_number(figure.target)}{unit}", "yes" if figure.met else "**no**"
            lines.append(
                f"| {figure.workload} | {figure.name} | {_number(figure.value)}{unit} | {target} | {met} |"
            )
    notes = [note for result in results for note in result.notes]
    return "\n".join(lines + (["", *notes] if notes else []))


def write_json(path: Path, results: Sequence[Result], *, machine: dict[str, Any], total: float) -> None:
    document = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine,
        "total_seconds": round(total, 3),
        "results": [
            {
                "workload": result.workload,
                "title": result.title,
                "seconds": round(result.seconds, 3),
                "figures": [{**asdict(figure), "met": figure.met} for figure in result.figures],
                "details": result.details,
                "notes": result.notes,
            }
            for result in results
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
