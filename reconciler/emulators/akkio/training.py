"""What a finished Akkio training answers: stats, field importance and a data story.

No model is really fitted: the numbers are made deterministically from the
dataset's rows and the request, in exactly the shape of the vendor's sample
result (seed 004), so a client sees realistic, stable values and a changed
dataset or parameter visibly changes them.  Longer ``duration`` values give
better scores, as the vendor describes.  The same module answers the
legacy prediction calls with the majority class (or the mean) of the data.

Pure functions only; ``world.py`` stores what they return.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any

#: Share of rows a model of each requested ``duration`` gets right (the emulator's choice).
QUALITY: dict[int, float] = {10: 0.8, 60: 0.9, 300: 0.95, 1800: 0.98}
CATEGORY_LIMIT = 10  # numeric fields with at most this many distinct values are categories
_CAUSES = 5


def problem(columns: list[str] | None, rows: int, predict_fields: list[str]) -> str | None:
    """Why a training on this dataset cannot succeed (its FAILED ``error``), or None."""
    if not rows or not columns:
        return "The dataset has no rows: there is nothing to train a model on."
    if not predict_fields:
        return "predict_fields is empty: name the field the model should predict."
    missing = [field for field in predict_fields if field not in columns]
    if missing:
        return (
            f"Field(s) not found in the dataset: {', '.join(missing)}. "
            f"Fields are case sensitive; the dataset has: {', '.join(columns)}."
        )
    return None


def field_type(values: list[Any]) -> str:
    """``category`` for text, booleans and numbers with few distinct values; else ``number``."""
    present = [value for value in values if value is not None]
    if any(isinstance(value, str | bool) for value in present):
        return "category"
    return "category" if len(set(present)) <= CATEGORY_LIMIT else "number"


def _label(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _weight(name: str) -> float:
    digest = hashlib.sha256(name.encode()).digest()
    return 0.2 + int.from_bytes(digest[:4], "big") / 2**32


def field_importance(columns: list[str], *, predict: list[str], ignore: list[str]) -> dict[str, float]:
    """Importance of every field used (summing to 1); predicted fields get a negligible value."""
    used = [column for column in columns if column not in ignore and column not in predict]
    total = sum(_weight(column) for column in used) or 1.0
    importance: dict[str, float] = {}
    for column in columns:
        if column in predict:
            importance[column] = _weight(column) * 1e-9
        elif column in used:
            importance[column] = _weight(column) / total
    return importance


def _category_stats(index: int, name: str, labels: list[str], quality: float) -> list[dict[str, Any]]:
    counts = Counter(labels)
    classes = sorted(counts)
    missed = {cls: counts[cls] - round(counts[cls] * quality) for cls in classes}
    stats = []
    for position, cls in enumerate(classes):
        count = counts[cls]
        true_positives = count - missed[cls]
        false_positives = missed[classes[position - 1]] if len(classes) > 1 else 0
        precision = true_positives / (true_positives + false_positives) if true_positives else 0.0
        recall = true_positives / count
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        stats.append({
            "field": index, "field_name": name, "field_type": "category", "class": position,
            "class_name": cls, "count": count, "true positives": true_positives,
            "false positives": false_positives, "false negatives": missed[cls],
            "precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "frequency": round(count / len(labels), 4),
        })  # fmt: skip
    return stats


def _number_stats(index: int, name: str, values: list[float], quality: float) -> list[dict[str, Any]]:
    mean = sum(values) / len(values)
    spread = (sum((value - mean) ** 2 for value in values) / len(values)) ** 0.5
    return [{
        "field": index, "field_name": name, "field_type": "number", "count": len(values),
        "mean": round(mean, 4), "mean absolute error": round(spread * (1 - quality), 4),
        "r2": round(quality, 4),
    }]  # fmt: skip


def _mode(values: list[Any]) -> str:
    counted = Counter(_label(value) for value in values)
    return sorted(counted.items(), key=lambda item: (-item[1], item[0]))[0][0] if counted else ""


def _story(
    name: str, kind: str, rows: list[dict[str, Any]], labels: list[str], ranked: list[str], quality: float
) -> dict[str, Any]:
    outcomes = []
    for outcome in sorted(set(labels)):
        inside = [row for row, label in zip(rows, labels, strict=True) if label == outcome]
        outside = [row for row, label in zip(rows, labels, strict=True) if label != outcome] or rows
        share = len(inside) / len(rows)
        causes = [
            {
                "field": field,
                "top_value": _mode([row.get(field) for row in inside]),
                "bottom_value": _mode([row.get(field) for row in outside]),
            }
            for field in ranked[:_CAUSES]
        ]
        outcomes.append({
            "outcome": outcome, "causes": causes,
            "top_case": round(min(1.0, share + quality * (1 - share)), 2),
            "avg_case": round(share, 2),
            "bottom_case": round(max(0.0, share * (1 - quality)), 2),
        })  # fmt: skip
    return {"name": name, "type": kind, "outcomes": outcomes}


def train(
    model_id: str, *, columns: list[str], rows: list[dict[str, Any]], params: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The result of a successful training and what the model needs to predict later."""
    predict: list[str] = list(params["predict_fields"])
    ignore: list[str] = list(params.get("ignore_fields") or [])
    quality = QUALITY.get(int(params["duration"]), 0.9)
    if params.get("extra_attention"):
        quality = min(0.99, quality + 0.01)
    importance = field_importance(columns, predict=predict, ignore=ignore)
    ranked = sorted((c for c in importance if c not in predict), key=lambda c: -importance[c])
    stats, story, defaults = [], [], {}
    for name in predict:
        values = [row.get(name) for row in rows]
        kind = field_type(values)
        index = columns.index(name)
        if kind == "category":
            labels = [_label(value) for value in values]
            stats.append(_category_stats(index, name, labels, quality))
            majority = _mode(values)
            defaults[name] = {"value": majority, "probability": round(labels.count(majority) / len(rows), 4)}
        else:
            numbers = [float(value) for value in values if value is not None]
            mean = sum(numbers) / len(numbers)
            stats.append(_number_stats(index, name, numbers, quality))
            labels = [
                "above average" if (v is not None and float(v) >= mean) else "below average" for v in values
            ]
            defaults[name] = {"value": round(mean, 4), "probability": None}
        story.append(_story(name, kind, rows, labels, ranked, quality))
    result = {
        "status": "success",
        "model_id": model_id,
        "stats": stats,
        "field_importance": importance,
        "data_story": story,
    }
    return result, {"predict_fields": predict, "defaults": defaults, "columns": columns}


def predictions(model: dict[str, Any], data: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Legacy ``POST /v1/models`` answer: each record with its predicted field(s)."""
    answers = []
    for _record in data:
        answer: dict[str, Any] = {}
        for name in model["predict_fields"]:
            default = model["defaults"][name]
            answer[name] = default["value"]
            if default["probability"] is not None:
                answer[f"Probability {name} is {default['value']}"] = default["probability"]
        answers.append(answer)
    return answers
