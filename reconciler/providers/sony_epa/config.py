"""What a person writes for a Sony EPA provider instance and for ``sony_epa.retrain``.

The platform gives each model its own API key, and the key alone says which
model a call is about.  So a provider instance *is* one model: a spec that
keeps several models retrained uses one alias per model (``sony_epa.churn``,
``sony_epa.demand``), each with its own key from the environment.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from reconciler.providers.base import Auth, HeaderSecret, ProviderConfig, secret_field
from reconciler.spec.checks import Metric
from reconciler.spec.refs import DataFile, LocalFile

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


class RetrainJobLookup(BaseModel):
    """``data.sony_epa.retrain_job``: a retrain job of the provider's model, by id, as it is now."""

    model_config = ConfigDict(extra="forbid")

    retrain_job_id: str = Field(min_length=1, description="The retrain job's id.")
