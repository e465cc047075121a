"""What a person writes for a Datrics provider instance and for ``datrics.predictions``."""

from __future__ import annotations

from pydantic import ConfigDict, Field, SecretStr

from reconciler.providers.base import Auth, ProviderConfig, secret_field
from reconciler.providers.datrics.access import access_token
from reconciler.providers.records import InputFiles, OutputFile, RecordFiles

DEFAULT_ENDPOINT = "https://api.app.datrics.ai/api/v1"


def _signed(secret: str, config: DatricsConfig) -> str:
    return access_token(secret, user_id=config.user_id, email=config.email)


class DatricsConfig(ProviderConfig):
    """One Datrics user, identified by a JWT signed with the platform's API secret.

    Every request carries ``authorization: Bearer <JWT>``, the JWT signed here
    from the configured secret (see ``access.py``); both are masked.
    """

    emulator = "datrics"
    auth = Auth(
        field="secret",
        env="DATRICS_SECRET",
        header="authorization",
        format="Bearer {}",
        sign=_signed,
        # The embedded emulator accepts any HS256 JWT.
        stand_in="emulator-secret-accepted-only-by-the-emulator",
        refused="check the JWT secret (secret: ${{env:DATRICS_SECRET}}), user_id and email of the provider "
        "block",
    )

    endpoint: str = Field(
        DEFAULT_ENDPOINT, description="API base URL, or emulator://datrics for the embedded emulator."
    )
    secret: SecretStr | None = secret_field("The JWT signing secret from the Datrics administrator")
    user_id: int | str = Field(description="The Datrics user id (the token's userId claim).")
    email: str = Field(min_length=1, description="The user's email (the token's email claim).")


class PredictionsConfig(RecordFiles):
    """Predictions of a deployed model for a file of records, written to a JSON file."""

    model_config = ConfigDict(extra="forbid")

    model_path: str = Field(
        min_length=1, description="Path of the deployed model, e.g. 1/4/model-groups/1/1.json."
    )
    bucket: str = Field(min_length=1, description="Storage bucket of the model, e.g. storage.datrics.ai.")
    input: InputFiles
    output: OutputFile
    return_only_prediction: bool = Field(
        default=False, description="Ask for the predictions only, without the input columns."
    )
    batch_size: int | None = Field(
        default=None,
        ge=1,
        description="Records per prediction task (default: all records in one task).",
    )
    max_in_flight: int = Field(
        default=1, ge=1, le=64, description="Batches submitted and not yet finished at any one time."
    )
