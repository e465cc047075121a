"""What a person writes for an Alviss provider instance and for each Alviss resource type."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from reconciler.providers.base import Auth, HeaderSecret, ProviderConfig, secret_field
from reconciler.spec.refs import DataFile, RefTo, RemoteId

DEFAULT_ENDPOINT = "https://app.alviss.io/api/v1/api"

#: Dataset types of the Alviss data specification (plus ``Extra``, named in the vendor's example).
DatasetType = Literal[
    "Sales",
    "Price",
    "Media",
    "Customer Experience",
    "Brand",
    "Visits",
    "Events",
    "Macro",
    "Competitor",
    "Weather",
    "Distribution",
    "Extra",
]


class AlvissConfig(ProviderConfig):
    """One Alviss project, reached with one access token (sent as ``Authorization: Bearer TOKEN``)."""

    emulator = "alviss"
    auth = Auth(field="token", env="ALVISS_TOKEN", header="Authorization", format="Bearer {}")

    endpoint: str = Field(
        DEFAULT_ENDPOINT, description="API base URL, or emulator://alviss for the embedded emulator."
    )
    token: HeaderSecret | None = secret_field("Access token")
    team: int = Field(description="Team id.")
    project: int = Field(description="Project id.")


class UploadConfig(BaseModel):
    """A local file uploaded as one dataset type."""

    model_config = ConfigDict(extra="forbid")

    dataset_name: DatasetType = Field(description="The dataset type this file holds.")
    file: DataFile = Field(description="Path of a CSV or XLSX file, relative to the spec file.")


class ActiveDatasetConfig(BaseModel):
    """The project's active dataset contains these uploads."""

    model_config = ConfigDict(extra="forbid")

    contains: list[Annotated[str, RefTo("alviss.upload")]] = Field(
        min_length=1, description="Addresses of alviss.upload resources."
    )


ModelRef = Annotated[str, RefTo("alviss.refit", "alviss.model")]
DatasetRef = Annotated[str, RefTo("alviss.active_dataset")]
AttributionRef = Annotated[str, RefTo("alviss.attribution")]
#: Literal ids of objects that must exist in the project: each is read by ``plan`` first.
ModelId = Annotated[int, RemoteId("alviss.model")]
DatasetId = Annotated[int, RemoteId("alviss.dataset")]
AttributionId = Annotated[int, RemoteId("alviss.attribution")]


class Combination(BaseModel):
    """A modelling combination: country, region and grouping."""

    model_config = ConfigDict(extra="forbid")

    country: str = Field(description="ISO-3166 alpha-3 country code, e.g. SWE.")
    region: str = Field(default="all", description="'all' or an ISO-3166-2 region code.")
    grouping: str = Field(default="all")

    def wire(self) -> dict[str, str]:
        return {"country_code": self.country, "region_code": self.region, "grouping": self.grouping}


class ModelParams(BaseModel):
    """Training parameters sent as ``model_param``.

    Part of the refit and remodel identities.  A field added later needs a
    default that means "as before": at its default it is left out of the
    identity, so no recorded refit's fingerprint moves.
    """

    model_config = ConfigDict(extra="forbid")

    #: The fields of the first identity layout, written into identities even at their default.
    identity_always: ClassVar[frozenset[str]] = frozenset({"epochs", "learning_rate", "samples"})

    epochs: int = Field(default=500, gt=0)
    learning_rate: float = Field(default=0.001, gt=0)
    samples: int = Field(default=3, gt=0)


class Split(BaseModel):
    """How a dataset's dates are split into training and evaluation dates."""

    model_config = ConfigDict(extra="forbid")

    train_fraction: float = Field(
        default=0.75, gt=0, lt=1, description="Share of the dates used for training (the vendor's 0.75)."
    )
    train_dates: list[date] | None = Field(default=None, description="Explicit training dates.")
    eval_dates: list[date] | None = Field(default=None, description="Explicit evaluation dates.")

    @model_validator(mode="after")
    def _explicit_dates_together(self) -> Split:
        if (self.train_dates is None) != (self.eval_dates is None):
            raise ValueError("give both train_dates and eval_dates, or neither (then train_fraction splits)")
        if self.train_dates is not None and not self.train_dates:
            raise ValueError("train_dates must not be empty")
        return self

    def identity(self) -> dict[str, Any]:
        if self.train_dates is not None and self.eval_dates is not None:
            return {
                "train_dates": [day.isoformat() for day in self.train_dates],
                "eval_dates": [day.isoformat() for day in self.eval_dates],
            }
        return {"train_fraction": self.train_fraction}


class RefitConfig(Split):
    """Model M refit on a dataset (normally the active dataset: "refit on the latest data")."""

    model: ModelId | ModelRef = Field(
        description="The model to refit: an id, or an alviss.refit/alviss.model."
    )
    dataset: DatasetId | DatasetRef = Field(description="A dataset id, or an alviss.active_dataset.")
    combination: Combination | None = Field(
        default=None, description="Whose dates to use; default: the model's own combination."
    )
    combination_override: bool = Field(
        default=False,
        description="Refit on a combination other than the source model's (otherwise a plan error).",
    )
    params: ModelParams = Field(default_factory=ModelParams)


class RemodelConfig(Split):
    """A new model built from an existing model's high-level graph or low-level graph instance."""

    from_model: ModelId | ModelRef = Field(description="The model whose graph is reused.")
    graph: Literal["high", "low"] = Field(
        default="high", description="high: the model's Graph; low: its GraphInstance."
    )
    dataset: DatasetId | DatasetRef | None = Field(
        default=None, description="Default: the source model's dataset."
    )
    combination: Combination | None = Field(default=None, description="Default: the source model's.")
    params: ModelParams = Field(default_factory=lambda: ModelParams(epochs=50, learning_rate=0.01, samples=2))
    activate: bool = Field(default=False, description="Activate the new model when it is built.")


class AttributionConfig(BaseModel):
    """Attribution of a model over a dataset's date range."""

    model_config = ConfigDict(extra="forbid")

    model: ModelId | ModelRef
    dataset: DatasetId | DatasetRef
    start_date: date | None = Field(default=None, description="Default: the dataset's first date.")
    end_date: date | None = Field(default=None, description="Default: the dataset's last date.")
    samples: int = Field(default=20, gt=0)


class ActiveAttributionSetConfig(BaseModel):
    """The active attribution set includes these attributions."""

    model_config = ConfigDict(extra="forbid")

    includes: list[AttributionId | AttributionRef] = Field(min_length=1)
    keep_existing: bool = Field(
        default=True,
        description="Keep the attributions already in the live active set; false: exactly these.",
    )


# Data sources (``data:``): read-only lookups at plan time -----------------------------------------


class ModelLookup(BaseModel):
    """``data.alviss.model``: an existing model, by id or as the latest completed model of a combination."""

    model_config = ConfigDict(extra="forbid")

    id: int | None = Field(default=None, description="The model's id (or give combination).")
    combination: Combination | None = Field(
        default=None, description="The completed models of this combination (or give id)."
    )
    latest: bool = Field(
        default=True,
        description="With combination: the most recently created match; false: exactly one must match.",
    )

    @model_validator(mode="after")
    def _one_way(self) -> ModelLookup:
        if (self.id is None) == (self.combination is None):
            raise ValueError(
                "give exactly one of id (a model id) or combination (its latest completed model)"
            )
        return self


class ActiveDatasetLookup(BaseModel):
    """``data.alviss.active_dataset``: the project's active dataset, whatever made it."""

    model_config = ConfigDict(extra="forbid")


class ActiveAttributionSetLookup(BaseModel):
    """``data.alviss.active_attribution_set``: the project's active attribution set."""

    model_config = ConfigDict(extra="forbid")
