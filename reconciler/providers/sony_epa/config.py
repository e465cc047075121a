"""What a person writes for a Sony EPA provider instance and for ``sony_epa.retrain``.

The platform gives each model its own API key, and the key alone says which
model a call is about.  So a provider instance *is* one model: a spec that
keeps several models retrained uses one alias per model (``sony_epa.churn``,
``sony_epa.demand``), each with its own key from the environment.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from reconciler.providers.base import Auth, HeaderSecret, ProviderConfig, secret_field
from reconciler.spec.checks import Metric
from reconciler.spec.refs import DataFile, LocalFile, RefTo

DEFAULT_ENDPOINT = "https://developer-api.easy-predictive-analytics.sony.com/v1/external"

#: What the retrain's results file (the status check's ``download_url``) reports, for ``checks``:
#: INFERRED, the vendor's pages name the file but do not show what it holds.
RETRAIN_METRICS: dict[str, Metric] = {
    "accuracy": Metric("accuracy", "share of the evaluation rows predicted right", inferred=True),
    "auc": Metric("auc", "area under the ROC curve", inferred=True),
}


class SonyEpaConfig(ProviderConfig):
    """One Prediction One model, reached with its API key (sent as ``x-api-key``)."""

    emulator = "sony_epa"
    auth = Auth(
        field="api_key",
        env="SONY_EPA_API_KEY",
        note="(each model has its own key)",
        header="x-api-key",
        stand_in="emulator-{instance}",  # one key per instance, as one model per key
        refused="check the api_key of provider {instance} (for example ${{env:SONY_EPA_API_KEY}}): "
        "each model has its own API key",
    )

    endpoint: str = Field(
        DEFAULT_ENDPOINT, description="API base URL, or emulator://sony_epa for the embedded emulator."
    )
    api_key: HeaderSecret | None = secret_field("The model's API key")


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
    results_file: Annotated[str, LocalFile(output=True)] | None = Field(
        default=None,
        description="Where the retrain's results file (the status check's download_url) is saved, "
        "relative to the spec file; downloaded again when it is missing or was edited.",
    )

    result_metrics: ClassVar[dict[str, Metric]] = RETRAIN_METRICS


class PinConfig(BaseModel):
    """The model's prediction API switched to one named retrain job (and kept there)."""

    model_config = ConfigDict(extra="forbid")

    retrain_job_id: str | None = Field(
        default=None, min_length=1, description="The id of a finished retrain job of the provider's model."
    )
    retrain: Annotated[str, RefTo("sony_epa.retrain")] | None = Field(
        default=None, description="The address of a sony_epa.retrain in the spec (instead of retrain_job_id)."
    )

    @model_validator(mode="after")
    def _one_job(self) -> PinConfig:
        if (self.retrain_job_id is None) == (self.retrain is None):
            raise ValueError("name the retrain job with exactly one of retrain_job_id and retrain")
        return self


class RetrainJobLookup(BaseModel):
    """``data.sony_epa.retrain_job``: a retrain job of the provider's model, by id, as it is now."""

    model_config = ConfigDict(extra="forbid")

    retrain_job_id: str = Field(min_length=1, description="The retrain job's id.")
