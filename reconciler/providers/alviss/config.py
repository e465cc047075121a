"""What a person writes for an Alviss provider instance and for each Alviss resource type."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from reconciler.spec.refs import RefTo

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


class AlvissConfig(BaseModel):
    """One Alviss project, reached with one access token."""

    model_config = ConfigDict(extra="forbid")

    endpoint: str = Field(
        default=DEFAULT_ENDPOINT,
        description="API base URL, or emulator://alviss for the embedded emulator.",
    )
    token: SecretStr | None = Field(
        default=None,
        description="Access token; write ${env:NAME}. Optional only for emulator:// endpoints.",
    )
    team: int = Field(description="Team id.")
    project: int = Field(description="Project id.")


class UploadConfig(BaseModel):
    """A local file uploaded as one dataset type."""

    model_config = ConfigDict(extra="forbid")

    dataset_name: DatasetType = Field(description="The dataset type this file holds.")
    file: str = Field(description="Path of a CSV or XLSX file, relative to the spec file.")


class ActiveDatasetConfig(BaseModel):
    """The project's active dataset contains these uploads."""

    model_config = ConfigDict(extra="forbid")

    contains: list[Annotated[str, RefTo("alviss.upload")]] = Field(
        min_length=1, description="Addresses of alviss.upload resources."
    )
