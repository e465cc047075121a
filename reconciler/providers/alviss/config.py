"""What a person writes for an Alviss provider instance and for each Alviss resource type."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from reconciler.providers.alviss.graph_edits import GraphEdits
from reconciler.providers.base import Auth, HeaderSecret, ProviderConfig, secret_field
from reconciler.spec.messages import hinted
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


def _path_id(value: Any) -> int | str:
    """A team or project id: an integer, or a string (``"7"`` is 7; ``"acme"`` stays a string).

    The vendor's scripts set both to ``"<set me>"`` strings and put them in the
    URL path, so any id that can be one path segment is accepted; decimal
    strings are normalised to integers so ``7`` and ``"7"`` are one project
    (in identities, the state, messages and the emulator's world).
    """
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise hinted(
            "must be an integer or a string", 'write the id the Alviss URL shows, e.g. 1 or "my-team"'
        )
    if isinstance(value, int):
        if value < 0:
            raise hinted("must not be negative", "write the id the Alviss URL shows, e.g. 1")
        return value
    text = value.strip()
    if text.isascii() and text.isdigit():
        return int(text)
    if not text or text != value or "/" in text or not text.isprintable() or " " in text:
        raise hinted(
            "must be one URL path segment: not empty, without spaces, '/' or control characters",
            'write the id the Alviss URL shows (…/projects/TEAM/PROJECT/…), e.g. 1 or "my-team"',
        )
    return text


#: A team or project id as written in a spec or the environment: an integer or a string.
PathId = Annotated[int | str, BeforeValidator(_path_id)]


class AlvissConfig(ProviderConfig):
    """One Alviss project, reached with one access token (sent as ``Authorization: Bearer TOKEN``)."""

    emulator = "alviss"
    auth = Auth(field="token", env="ALVISS_TOKEN", header="Authorization", format="Bearer {}")

    endpoint: str = Field(
        DEFAULT_ENDPOINT, description="API base URL, or emulator://alviss for the embedded emulator."
    )
    token: HeaderSecret | None = secret_field("Access token")
    team: PathId = Field(description='Team id: an integer or a string ("7" is 7).')
    project: PathId = Field(description='Project id: an integer or a string ("7" is 7).')


class UploadConfig(BaseModel):
    """A local file uploaded as one dataset type."""

    model_config = ConfigDict(extra="forbid")

    dataset_name: DatasetType = Field(description="The dataset type this file holds.")
    file: DataFile = Field(description="Path of a CSV or XLSX file, relative to the spec file.")


UploadRef = Annotated[str, RefTo("alviss.upload")]
#: A dataset a new dataset extends: an id, or the dataset of an alviss.active_dataset (resource or data).
ExtendsRef = Annotated[str, RefTo("alviss.active_dataset")]
ExtendsId = Annotated[int, RemoteId("alviss.dataset")]


_LIVE_ACTIVE = "data.alviss.active_dataset."


class ActiveDatasetConfig(BaseModel):
    """A dataset of these uploads, made the project's active one (unless ``activate: false``).

    Membership modes: ``contains`` (the live active dataset holds at least
    these uploads: a new dataset extends it with the missing ones), ``exactly``
    (a dataset of exactly these uploads, as the vendor's upload example makes
    it) and ``extends`` (a dataset extending the named ones with ``contains``,
    the vendor's ``dataset_ids``).
    """

    model_config = ConfigDict(extra="forbid")

    contains: list[UploadRef] | None = Field(
        default=None,
        min_length=1,
        description="Addresses of alviss.upload resources the dataset holds (with others).",
    )
    exactly: list[UploadRef] | None = Field(
        default=None,
        min_length=1,
        description="Addresses of alviss.upload resources: a dataset of exactly these uploads.",
    )
    activate: bool = Field(
        default=True, description="Activate the dataset when it is built; false: build it only."
    )
    extends: ExtendsId | ExtendsRef | list[ExtendsId | ExtendsRef] | None = Field(
        default=None,
        description="Dataset id(s) or alviss.active_dataset reference(s) the new dataset extends "
        "(sent as dataset_ids); contains adds uploads to them.",
    )

    @field_validator("exactly")
    @classmethod
    def _exactly_alone(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        if value is not None and info.data.get("contains") is not None:
            raise hinted(
                "cannot be given with 'contains': exactly these uploads, or at least these",
                "keep one of them: exactly for a dataset of only these uploads, contains to extend "
                "the active dataset with them",
            )
        return value

    @field_validator("extends")
    @classmethod
    def _extends_not_exactly(cls, value: Any, info: ValidationInfo) -> Any:
        if value is not None and info.data.get("exactly") is not None:
            raise hinted(
                "cannot be given with 'exactly': a dataset extending another holds that one's uploads too",
                "write contains with extends (the extended dataset plus these uploads), or exactly "
                "without extends (only these uploads)",
            )
        bases = value if isinstance(value, list) else [value]
        if not bases:
            raise hinted("must name at least one dataset", "write a dataset id or an alviss.active_dataset")
        chasing = [base for base in bases if isinstance(base, str) and base.startswith(_LIVE_ACTIVE)]
        if chasing and info.data.get("activate", True):
            raise hinted(
                f"names {chasing[0]}, the live active dataset, and this dataset is activated: the next "
                "plan would read this very dataset and build another on it, every time",
                "leave extends out (contains extends the live active dataset), or add activate: false",
            )
        return value

    @model_validator(mode="after")
    def _some_members(self) -> ActiveDatasetConfig:
        if self.contains is None and self.exactly is None and self.extends is None:
            raise hinted(
                "is required: the dataset needs members",
                "write contains: [UPLOAD, …] (the active dataset holds these), exactly: [UPLOAD, …] "
                "(a dataset of only these) or extends: DATASET with contains",
                field="contains",
            )
        return self

    @property
    def uploads(self) -> list[str]:
        """The upload addresses the spec names, whatever the mode."""
        return list(self.exactly or self.contains or [])

    @property
    def mode(self) -> str:
        if self.exactly is not None:
            return "exactly"
        return "extends" if self.extends is not None else "contains"

    @property
    def bases(self) -> list[int | str]:
        """What ``extends`` names (ids or references), as a list."""
        if self.extends is None:
            return []
        return list(self.extends) if isinstance(self.extends, list) else [self.extends]


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


class DatesFrom(BaseModel):
    """Which dates of a dataset a refit or an attribution uses: the query of the dates endpoint.

    The vendor's ``POST /datasets/{id}/dates?dataset_name=Sales`` takes a
    dataset type and a *list* of combinations; the dates of every combination
    listed are used together (sorted, each once).
    """

    model_config = ConfigDict(extra="forbid")

    dataset_name: DatasetType = Field(
        default="Sales", description="The dataset type whose dates are used (the vendor's Sales)."
    )
    combinations: list[Combination] | None = Field(
        default=None,
        min_length=1,
        description="Whose dates: several combinations together; default: the model's own combination.",
    )

    def identity(self) -> dict[str, Any]:
        form: dict[str, Any] = {"dataset_name": self.dataset_name}
        if self.combinations is not None:
            form["combinations"] = [combination.wire() for combination in self.combinations]
        return form


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
    dates: DatesFrom | None = Field(
        default=None,
        description="Whose dates are split: {dataset_name, combinations}; default: the Sales dates of "
        "the combination.",
    )

    @field_validator("dates")
    @classmethod
    def _dates_once(cls, value: DatesFrom | None, info: ValidationInfo) -> DatesFrom | None:
        if value is None:
            return value
        if info.data.get("train_dates") is not None:
            raise hinted(
                "is not read when train_dates and eval_dates are given",
                "leave dates out, or the explicit train_dates and eval_dates",
            )
        if value.combinations is not None and info.data.get("combination") is not None:
            raise hinted(
                "cannot name combinations with 'combination' also given: both say whose dates are used",
                "list every combination under dates.combinations and leave combination out",
            )
        return value


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
    edits: GraphEdits | None = Field(
        default=None,
        description="Edits to the source graph before it is built: nodes and edges to add, remove or change.",
    )


class AttributionConfig(BaseModel):
    """Attribution of a model over a dataset's date range."""

    model_config = ConfigDict(extra="forbid")

    model: ModelId | ModelRef
    dataset: DatasetId | DatasetRef
    start_date: date | None = Field(default=None, description="Default: the dataset's first date.")
    end_date: date | None = Field(default=None, description="Default: the dataset's last date.")
    samples: int = Field(default=20, gt=0)
    dates: DatesFrom | None = Field(
        default=None,
        description="Where a missing start or end date comes from: {dataset_name, combinations}; "
        "default: the Sales dates of the model's combination.",
    )

    @field_validator("end_date")
    @classmethod
    def _range_in_order(cls, value: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("start_date")
        if value is not None and start is not None and start > value:
            raise hinted(
                f"({value.isoformat()}) is before start_date ({start.isoformat()})",
                "write the range's first date as start_date and its last as end_date",
            )
        return value

    @field_validator("dates")
    @classmethod
    def _dates_needed(cls, value: DatesFrom | None, info: ValidationInfo) -> DatesFrom | None:
        if value is not None and info.data.get("start_date") and info.data.get("end_date"):
            raise hinted(
                "is not read when start_date and end_date are both given",
                "leave dates out for an explicit range, or drop start_date or end_date to take it "
                "from the dataset",
            )
        return value


class ActiveAttributionSetConfig(BaseModel):
    """The active attribution set includes these attributions."""

    model_config = ConfigDict(extra="forbid")

    includes: list[AttributionId | AttributionRef] = Field(min_length=1)
    keep_existing: bool = Field(
        default=True,
        description="Keep the attributions already in the live active set; false: exactly these.",
    )
    activate: bool = Field(
        default=True,
        description="Activate the set when it is built; false: build it only (the vendor's active: false).",
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
