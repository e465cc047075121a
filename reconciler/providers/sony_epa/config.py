"""What a person writes for a Sony EPA provider instance and for ``sony_epa.retrain``.

The platform gives each model its own API key, and the key alone says which
model a call is about.  So a provider instance *is* one model: a spec that
keeps several models retrained uses one alias per model (``sony_epa.churn``,
``sony_epa.demand``), each with its own key from the environment.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from reconciler.providers.base import HeaderSecret, ProviderConfig
from reconciler.spec.refs import DataFile

DEFAULT_ENDPOINT = "https://developer-api.easy-predictive-analytics.sony.com/v1/external"


class SonyEpaConfig(ProviderConfig):
    """One Prediction One model, reached with its API key."""

    model_config = ConfigDict(extra="forbid")

    emulator: ClassVar[str] = "sony_epa"
    secret_field: ClassVar[str] = "api_key"
    secret_hint: ClassVar[str] = (
        "set api_key: ${env:SONY_EPA_API_KEY} in the provider block and export SONY_EPA_API_KEY "
        "(each model has its own key)"
    )

    endpoint: str = Field(
        default=DEFAULT_ENDPOINT,
        description="API base URL, or emulator://sony_epa for the embedded emulator.",
    )
    api_key: HeaderSecret | None = Field(
        default=None,
        description="The model's API key; write ${env:NAME}. Optional only for emulator:// endpoints.",
    )


class RetrainConfig(BaseModel):
    """The model behind the provider's key is retrained on these files."""

    model_config = ConfigDict(extra="forbid")

    train_file: DataFile = Field(description="Training data (CSV, TSV or XLSX), relative to the spec file.")
    eval_file: DataFile | None = Field(
        default=None,
        description="Evaluation data; with it both files are sent as a zip (train_src/, eval_src/).",
    )
    switch: bool = Field(
        default=True, description="Switch the model's prediction API to the retrained model once it finishes."
    )
