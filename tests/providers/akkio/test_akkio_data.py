"""``data.akkio.dataset``: a dataset of the team by id or exact name, read at plan time, trained on."""

from __future__ import annotations

import pytest

from reconciler import errors
from reconciler.render.plan_text import render_plan
from reconciler.vocabulary import Action
from reconciler.workflow import Workspace
from tests.providers.akkio.test_akkio_apply import Akkio, akkio, mutating

__all__ = ["akkio"]

LOOKUP = """\
version: 1
state: {path: ../state/lookup.json}
providers:
  akkio: {endpoint: emulator://akkio}
data:
  akkio.dataset.leads: {FIELD}
resources:
  akkio.model.again:
    dataset: data.akkio.dataset.leads
    predict_fields: [Positive Lead]
"""


async def made_dataset(akkio: Akkio) -> tuple[str, str]:
    """Apply the example (a dataset named ``Marketing leads-<hex>``); its id and name."""
    assert (await akkio.workspace().apply()).report.ok
    dataset_id = akkio.state()["resources"]["akkio.dataset.leads"]["outputs"]["dataset_id"]
    spec = akkio.root / "specs" / "lookup.yaml"
    spec.write_text(LOOKUP.replace("{FIELD}", f"{{id: {dataset_id}}}"))
    result = await Workspace(spec, settings=akkio.settings).plan()
    name = result.plan.data[0].outputs["name"]
    assert isinstance(name, str) and name.startswith("Marketing leads-")
    return dataset_id, name


async def test_a_dataset_by_id_or_by_name_is_trained_on(akkio: Akkio) -> None:
    dataset_id, name = await made_dataset(akkio)
    spec = akkio.root / "specs" / "lookup.yaml"
    for field in (f"{{id: {dataset_id}}}", f"{{name: {name}}}"):
        spec.write_text(LOOKUP.replace("{FIELD}", field))
        result = await Workspace(spec, settings=akkio.settings).plan()
        (read,) = result.plan.data
        assert read.outputs["dataset_id"] == dataset_id
        assert read.summary == f"dataset {dataset_id} ({name})"
        change = result.plan["akkio.model.again"]
        assert change.action is Action.CREATE and change.after["dataset_id"] == dataset_id
        assert f"  data.akkio.dataset.leads: dataset {dataset_id} ({name})" in render_plan(result.plan)


async def test_a_dataset_that_is_not_there_is_an_error_at_its_field(akkio: Akkio) -> None:
    await made_dataset(akkio)
    before = mutating(await akkio.stats())
    spec = akkio.root / "specs" / "lookup.yaml"
    for field, message in (
        ("{id: nosuchdataset}", "dataset nosuchdataset is not among the team's datasets"),
        ("{name: Marketing leads}", "a dataset named 'Marketing leads' is not among the team's datasets"),
    ):
        spec.write_text(LOOKUP.replace("{FIELD}", field))
        with pytest.raises(errors.SpecErrors) as caught:
            await Workspace(spec, settings=akkio.settings).apply()
        (error,) = caught.value.errors
        assert error.message.startswith(f"data.akkio.dataset.leads: {message}")
        value = field.split(": ", 1)[1].rstrip("}")
        assert (error.line, error.column) == (6, spec.read_text().splitlines()[5].index(value) + 1)
    assert mutating(await akkio.stats()) == before
