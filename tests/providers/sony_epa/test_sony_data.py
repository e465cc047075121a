"""``data.sony_epa.retrain_job``: a retrain job of the provider's model, read at plan time."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler import errors
from reconciler.providers.base import ClientOptions
from reconciler.workflow import Settings, Workspace
from tests.providers.sony_epa.sony_provider_support import CHURN, Example, copy_example, no_wait

LOOKUP = """\
version: 1
state: {path: ../state/lookup.json}
providers:
  sony_epa.churn: {endpoint: emulator://sony_epa}
data:
  sony_epa.retrain_job.last:
    provider: sony_epa.churn
    retrain_job_id: JOB
"""


@pytest.fixture
def example(tmp_path: Path) -> Example:
    settings = Settings(
        environ={},
        emulator_dir=tmp_path / "emulators",
        emulator_durations={"sony_epa": {"retrain": 0}},
        client=ClientOptions(sleep=no_wait),
    )
    return Example(root=tmp_path, spec=copy_example(tmp_path), settings=settings)


async def test_a_retrain_job_is_read_and_shown(example: Example) -> None:
    assert (await example.workspace().apply()).report.ok
    job = example.workspace().state().resources[CHURN].outputs
    spec = example.root / "specs" / "lookup.yaml"
    spec.write_text(LOOKUP.replace("JOB", str(job["retrain_job_id"])))
    result = await Workspace(spec, settings=example.settings).plan()
    (read,) = result.plan.data
    assert read.outputs["retrain_job_id"] == str(job["retrain_job_id"])
    assert read.outputs["state"] == "succeeded"
    assert read.outputs["model_id"] == job["model_id"]
    assert not result.plan.has_changes


async def test_a_retrain_job_the_platform_does_not_know_is_an_error_at_its_id(example: Example) -> None:
    spec = example.root / "specs" / "lookup.yaml"
    spec.write_text(LOOKUP.replace("JOB", "no-such-job"))
    with pytest.raises(errors.SpecErrors) as caught:
        await Workspace(spec, settings=example.settings).plan()
    (error,) = caught.value.errors
    assert error.message.startswith(
        "data.sony_epa.retrain_job.last: retrain job no-such-job is not on the platform"
    )
    assert (error.line, error.column) == (8, 21)
