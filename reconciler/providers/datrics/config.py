"""What a person writes for a Datrics provider instance and for ``datrics.predictions``."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from reconciler.providers.base import ProviderConfig
from reconciler.spec.refs import DataFile, LocalFile

DEFAULT_ENDPOINT = "https://api.app.datrics.ai/api/v1"


class DatricsConfig(ProviderConfig):
    """One Datrics user, identified by a JWT signed with the platform's API secret."""

    model_config = ConfigDict(extra="forbid")

    emulator: ClassVar[str] = "datrics"
    secret_field: ClassVar[str] = "secret"
    secret_hint: ClassVar[str] = (
        "set secret: ${env:DATRICS_SECRET} in the provider block and export DATRICS_SECRET"
    )

    endpoint: str = Field(
        default=DEFAULT_ENDPOINT,
        description="API base URL, or emulator://datrics for the embedded emulator.",
    )
    secret: SecretStr | None = Field(
        default=None,
        description="The JWT signing secret from the Datrics administrator; write ${env:NAME}. "
        "Optional only for emulator:// endpoints.",
    )
    user_id: int | str = Field(description="The Datrics user id (the token's userId claim).")
    email: str = Field(min_length=1, description="The user's email (the token's email claim).")


class PredictionsConfig(BaseModel):
    """Predictions of a deployed model for a file of records, written to a JSON file."""

    model_config = ConfigDict(extra="forbid")

    model_path: str = Field(
        min_length=1, description="Path of the deployed model, e.g. 1/4/model-groups/1/1.json."
    )
    bucket: str = Field(min_length=1, description="Storage bucket of the model, e.g. storage.datrics.ai.")
    input: DataFile = Field(
        min_length=1, description="CSV (header row) or JSON array of records, relative to the spec file."
    )
    output: Annotated[str, LocalFile(output=True)] = Field(
        min_length=1, description="JSON file the predictions are written to."
    )
    return_only_prediction: bool = Field(
        default=False, description="Ask for the predictions only, without the input columns."
    )
