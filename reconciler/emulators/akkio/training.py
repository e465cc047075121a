"""What a finished Akkio training answers: stats, field importance and a data story.

No model is really fitted: the numbers are made deterministically from the
dataset's rows and the request, in exactly the shape of the vendor's sample
result (seed 004), so a client sees realistic, stable values and a changed
dataset or parameter visibly changes them.  Longer ``duration`` values give
better scores, as the vendor describes.  The same module answers the
legacy prediction calls from the data: per record, the outcomes of the
training rows that share its value of the most important category field.

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
    # Records are predicted by the most important field with few values (a category), so each value
    # stands for a group of training rows rather than one row.
    by = next((name for name in ranked if field_type([row.get(name) for row in rows]) == "category"), None)
    groups = {name: _groups(rows, name, by) for name in predict}
    model = {"predict_fields": predict, "defaults": defaults, "columns": columns, "by": by, "groups": groups}
    return result, model


def _groups(rows: list[dict[str, Any]], name: str, by: str | None) -> dict[str, Any]:
    """What a prediction reads: the predicted field's outcomes per value of the most important field.

    Categories: the share of each class (``""``: over every row); numbers: the mean.
    """
    values = [row.get(name) for row in rows]
    keyed: dict[str, list[Any]] = {"": values}
    if by is not None:
        for row, value in zip(rows, values, strict=True):
            keyed.setdefault("=" + _label(row.get(by)), []).append(value)
    if field_type(values) == "category":
        classes = sorted({_label(value) for value in values})
        shares = {}
        for key, group in keyed.items():
            counted = Counter(_label(value) for value in group)
            shares[key] = {cls: round(counted[cls] / len(group), 4) for cls in classes}
        return {"kind": "category", "shares": shares}
    means = {}
    for key, group in keyed.items():
        numbers = [float(value) for value in group if value is not None]
        means[key] = round(sum(numbers) / len(numbers), 4) if numbers else None
    return {"kind": "number", "means": means}


def predictions(model: dict[str, Any], data: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Legacy ``POST /v1/models`` answer: each record with its predicted field(s).

    A record is predicted from the training rows that share its value of the
    most important category field (all rows when none does): the most frequent class
    and every class's probability (``Probability <field> is <class>``, as the
    vendor's Models page shows), or the mean of a number field.
    """
    by = model.get("by")
    answers = []
    for record in data:
        answer: dict[str, Any] = {}
        key = "=" + _label(record.get(by)) if by is not None else ""
        for name in model["predict_fields"]:
            grouped = (model.get("groups") or {}).get(name)
            if grouped is None:  # a model stored before predictions read the data
                default = model["defaults"][name]
                answer[name] = default["value"]
                if default["probability"] is not None:
                    answer[f"Probability {name} is {default['value']}"] = default["probability"]
            elif grouped["kind"] == "category":
                shares = grouped["shares"].get(key) or grouped["shares"][""]
                answer[name] = sorted(shares.items(), key=lambda item: (-item[1], item[0]))[0][0]
                for cls, share in shares.items():
                    answer[f"Probability {name} is {cls}"] = share
            else:
                mean = grouped["means"].get(key)
                answer[name] = mean if mean is not None else grouped["means"][""]
        answers.append(answer)
    return answers
