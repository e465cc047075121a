"""The deployed models of the emulated Datrics world, and how each one predicts.

A model saved as an asset in Datrics is served from object storage at a path
(``{org}/{project}/model-groups/{group}/{version}.json`` in a bucket; the
vendor's example uses ``1/4/model-groups/1/1.json`` in ``storage.datrics.ai``)
and a new version gets a new path.  The emulator deploys a few fixed models
at such paths, with the features of the vendor's two examples (a credit
scoring model and a Titanic survival model), each a small logistic model:
deterministic, so a test can state the exact prediction it expects.

A prediction fails the way a Python worker would: a record lacking a feature
the model needs, or a value that is not a number, ends the task in
``FAILURE`` with a message naming the record and the feature.  Features the
model does not use are ignored, as a column selection would.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

BUCKET = "storage.datrics.ai"


class PredictionError(Exception):
    """A prediction task that cannot succeed; the message is what the task reports."""


@dataclass(frozen=True)
class Model:
    """A deployed binary classifier: ``probability = sigmoid(bias + Σ weight·feature)``."""

    name: str
    bias: float
    weights: Mapping[str, float]

    @property
    def features(self) -> tuple[str, ...]:
        return tuple(self.weights)

    def predict(self, records: Sequence[Mapping[str, Any]], *, only_prediction: bool) -> list[dict[str, Any]]:
        """One prediction per record, appended to the record unless ``only_prediction``."""
        results: list[dict[str, Any]] = []
        for index, record in enumerate(records):
            missing = [feature for feature in self.features if record.get(feature) is None]
            if missing:
                raise PredictionError(
                    f"KeyError: record {index} lacks feature(s) the model needs: {', '.join(missing)}"
                )
            score = self.bias + sum(
                weight * _number(record[feature], index=index, feature=feature)
                for feature, weight in self.weights.items()
            )
            probability = round(1.0 / (1.0 + math.exp(-score)), 6)
            prediction = {"prediction": int(probability >= 0.5), "probability": probability}
            results.append(prediction if only_prediction else {**record, **prediction})
        return results


def _number(value: Any, *, index: int, feature: str) -> float:
    if isinstance(value, bool | int | float):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        text = f"could not convert string to float: {str(value)!r}"
        raise PredictionError(f"ValueError: {text} (record {index}, feature {feature})") from None


_CREDIT = {
    "order_amount": 0.002,
    "average_monthly_income": -0.0005,
    "employment_status_Employed": -1.2,
    "employment_status_Self-Employed": -0.6,
    "employment_status_Contract": -0.3,
}
_TITANIC_V1 = {
    "pclass": -0.9,
    "sex": -2.5,
    "age": -0.03,
    "sibsp": -0.3,
    "parch": -0.1,
    "fare": 0.004,
    "embarked": -0.1,
}
_TITANIC_V2 = {**_TITANIC_V1, "age": -0.025, "fare": 0.003}

#: Deployed models by (bucket, path).
MODELS: Mapping[tuple[str, str], Model] = {
    (BUCKET, "1/4/model-groups/1/1.json"): Model("credit default", bias=-0.5, weights=_CREDIT),
    (BUCKET, "1/4/model-groups/2/1.json"): Model("titanic survival v1", bias=3.0, weights=_TITANIC_V1),
    (BUCKET, "1/4/model-groups/2/2.json"): Model("titanic survival v2", bias=2.6, weights=_TITANIC_V2),
}


def find_model(bucket: str, path: str) -> Model:
    """The model deployed at ``path`` in ``bucket``; a worker that cannot load it fails the task."""
    model = MODELS.get((bucket, path))
    if model is None:
        raise PredictionError(f"FileNotFoundError: no model at {path} in bucket {bucket}")
    return model
