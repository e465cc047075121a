"""``data.sony_epa.retrain_job``: a retrain job of the provider's model, as the platform shows it now.

The status check (``GET /retrain_jobs/{id}``) is the only read the vendor
documents; a job the platform does not know (``Not found retrain job.``) is
an error at the id, read at plan time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.providers.base import DataRead, DataSourceType, Target
from reconciler.providers.sony_epa.client import JobGone, SonyEpaClient, job_status
from reconciler.providers.sony_epa.config import RetrainJobLookup


class RetrainJobData(DataSourceType[RetrainJobLookup, SonyEpaClient]):
    """``data.sony_epa.retrain_job``: one retrain job, by id."""

    name = "sony_epa.retrain_job"
    config_class = RetrainJobLookup

    async def read(
        self, client: SonyEpaClient, target: Target[RetrainJobLookup], *, made: Mapping[str, frozenset[str]]
    ) -> DataRead:
        job_id = target.config.retrain_job_id
        try:
            job = await client.retrain_job(job_id)
        except JobGone as exc:
            raise target.error(
                ("retrain_job_id",),
                f"retrain job {job_id} is not on the platform ({client.http.service})",
                hint="check the id, and that the provider's api_key is the key of that job's model",
            ) from exc
        outputs: dict[str, Any] = {
            "retrain_job_id": job_id,
            "status": job.status,
            "state": job_status(job).state,
        }
        if job.model_id is not None:
            outputs["model_id"] = job.model_id
        model = f", model {job.model_id}" if job.model_id is not None else ""
        return DataRead(outputs=outputs, summary=f"retrain job {job_id} ({job.status}{model})", found=job)
