"""What a person writes for an Akkio provider instance and for each Akkio resource type."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from reconciler.providers.base import Auth, HeaderSecret, ProviderConfig, secret_field
from reconciler.providers.records import InputFiles, OutputFile, RecordFiles
from reconciler.spec.checks import Metric
from reconciler.spec.messages import hinted
from reconciler.spec.refs import DataFile, RefTo, RemoteId

DEFAULT_ENDPOINT = "https://api.akkio.com/api/v1"

#: The hint of an answer refusing the key.
REFUSED = "check the api_key the provider block reads from the environment"

#: Training durations the vendor allows: 10 (fastest), 60 (high quality), 300 (higher), 1800 (production).
Duration = Literal[10, 60, 300, 1800]

_WEIGHTED = "without class: the mean over the classes, weighted by their counts"

#: What a training's result ``stats`` report (seed 004), for ``checks``: per class of a category
#: field (selected by its ``class_name``); ``r2`` and ``mean_absolute_error`` of a number field are
#: INFERRED (the seed shows only a category field).
TRAINING_METRICS: dict[str, Metric] = {
    "f1": Metric("f1", "F1 score of a class of the predicted field", "class", _WEIGHTED),
    "precision": Metric("precision", "precision of a class of the predicted field", "class", _WEIGHTED),
    "recall": Metric("recall", "recall of a class of the predicted field", "class", _WEIGHTED),
    "frequency": Metric("frequency", "share of the rows in a class", "class"),
    "r2": Metric("r2", "R² of a number field", inferred=True),
    "mean_absolute_error": Metric(
        "mean_absolute_error", "mean absolute error of a number field", inferred=True
    ),
}


class AkkioConfig(ProviderConfig):
    """One Akkio team, reached with its API key (sent as ``X-API-Key``)."""

    emulator = "akkio"
    auth = Auth(field="api_key", env="AKKIO_API_KEY", header="X-API-Key", refused=REFUSED)

    endpoint: str = Field(
        DEFAULT_ENDPOINT,
        description="API root (the legacy /v1 API is derived from its host), or emulator://akkio.",
    )
    api_key: HeaderSecret | None = secret_field("The team's API key")


class DatasetConfig(BaseModel):
    """A dataset filled with the rows of a local CSV file."""

    model_config = ConfigDict(extra="forbid")

    file: DataFile = Field(description="Path of a CSV file with a header row, relative to the spec file.")
    name: str = Field(
        min_length=1,
        max_length=100,
        description="Dataset name; the platform's dataset is called NAME-<12 hex digits of its sha256>.",
    )
    append: bool = Field(
        default=False,
        description="When the file changes only by rows added at its end, send just those rows to the "
        "same dataset (the legacy API adds rows to a dataset) instead of filling a new one.",
    )


def _field_names(value: list[str]) -> list[str]:
    """Field names as the training API takes them: case sensitive, none empty, none twice."""
    if any(not name.strip() for name in value):
        raise hinted("has an empty field name", "name the dataset's fields exactly (case sensitive)")
    twice = sorted({name for name in value if value.count(name) > 1})
    if twice:
        raise hinted(
            f"names {', '.join(repr(name) for name in twice)} more than once", "name each field once"
        )
    return value


class ModelConfig(BaseModel):
    """A model trained on a dataset to predict some of its fields."""

    model_config = ConfigDict(extra="forbid")

    dataset: Annotated[str, RefTo("akkio.dataset")] | None = Field(
        default=None, description="Address of an akkio.dataset resource (or give dataset_id)."
    )
    dataset_id: Annotated[str, RemoteId("akkio.dataset")] | None = Field(
        default=None, min_length=1, description="Id of a dataset that already exists on the platform."
    )
    predict_fields: list[str] = Field(min_length=1, description="Fields to predict (case sensitive).")
    duration: Duration = Field(default=10, description="Training time: 10, 60, 300 or 1800.")
    ignore_fields: list[str] = Field(default_factory=list, description="Fields the model must not use.")
    extra_attention: bool = Field(default=False, description="Helps with predicting rare cases.")
    force: bool = Field(
        default=False,
        description="Ask for a fresh model on every training, even where the platform already trained "
        "these very inputs (false: the platform answers with that earlier model).",
    )

    result_metrics: ClassVar[dict[str, Metric]] = TRAINING_METRICS

    @field_validator("predict_fields")
    @classmethod
    def _predicted(cls, value: list[str]) -> list[str]:
        return _field_names(value)

    @field_validator("ignore_fields")
    @classmethod
    def _ignored(cls, value: list[str]) -> list[str]:
        return _field_names(value)

    @model_validator(mode="after")
    def _predicted_not_ignored(self) -> Self:
        both = [name for name in self.predict_fields if name in self.ignore_fields]
        if both:
            raise hinted(
                f"names {', '.join(repr(name) for name in both)}, which predict_fields names too",
                "a predicted field is never an input of its own model: leave it out of ignore_fields",
                field="ignore_fields",
            )
        return self

    @model_validator(mode="after")
    def _one_dataset(self) -> Self:
        if (self.dataset is None) == (self.dataset_id is None):
            raise ValueError(
                "give exactly one of dataset (a resource address) or dataset_id (an existing id)"
            )
        return self


class DatasetLookup(BaseModel):
    """``data.akkio.dataset``: an existing dataset of the team, by id or by its exact name."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(default=None, min_length=1, description="The dataset's id (or give name).")
    name: str | None = Field(
        default=None, min_length=1, description="The dataset's exact name; exactly one must have it."
    )

    @model_validator(mode="after")
    def _one_way(self) -> Self:
        if (self.id is None) == (self.name is None):
            raise ValueError("give exactly one of id or name")
        return self


class PredictionsConfig(RecordFiles):
    """A trained model's predictions for a file of records, written to a local file."""

    model_config = ConfigDict(extra="forbid")

    model: Annotated[str, RefTo("akkio.model")] | None = Field(
        default=None, description="Address of an akkio.model resource (or give model_id)."
    )
    model_id: Annotated[str, RemoteId("akkio.model")] | None = Field(
        default=None, min_length=1, description="Id of a model that already exists on the platform."
    )
    input: InputFiles
    output: OutputFile
    with_inputs: bool = Field(
        default=True,
        description="Write each record's input fields beside its predictions (false: the predictions only).",
    )
    batch_size: int = Field(default=1000, ge=1, le=100_000, description="Records per prediction request.")
    max_in_flight: int = Field(
        default=1,
        ge=1,
        le=5,
        description="Prediction requests sent and not yet answered at any one time (the platform allows "
        "5 requests a second).",
    )

    @model_validator(mode="after")
    def _one_model(self) -> Self:
        if (self.model is None) == (self.model_id is None):
            raise ValueError("give exactly one of model (a resource address) or model_id (an existing id)")
        return self
