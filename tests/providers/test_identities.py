"""Identities across upgrades: golden fingerprints, optional fields, older versions, the executor's check.

``tests/fixtures/state-v1`` holds state documents written by the unversioned
identities (dicts hashed from pydantic dumps) for every example spec, and the
fingerprint of each resource (``golden.json``).  Today's code must plan those
specs against those documents with exactly those fingerprints and nothing to
do; adding an optional field to a config model must move no fingerprint; a
type that bumps its identity version must read and upgrade older records; and
apply must refuse, before sending, an identity other than the plan showed.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from pydantic import Field

from reconciler import emulators, errors
from reconciler.engine.checkpoint import Checkpointer, ResourceJournal
from reconciler.engine.plan import Plan
from reconciler.providers.akkio.config import ModelConfig
from reconciler.providers.akkio.config import PredictionsConfig as AkkioPredictionsConfig
from reconciler.providers.akkio.model import identity as training_identity
from reconciler.providers.akkio.predictions import identity as akkio_prediction_identity
from reconciler.providers.alviss import refit as refit_module
from reconciler.providers.alviss.attribution import attribution_identity
from reconciler.providers.alviss.config import (
    AttributionConfig,
    ModelParams,
    RefitConfig,
    RemodelConfig,
)
from reconciler.providers.alviss.model import remodel_identity
from reconciler.providers.alviss.refit import Refit, RefitIdentity, refit_identity
from reconciler.providers.base import ClientOptions
from reconciler.providers.datrics.config import PredictionsConfig
from reconciler.providers.datrics.predictions import identity as prediction_identity
from reconciler.providers.files import LocalFile as SonyFile
from reconciler.providers.identity import VERSION_KEY, Identity, IdentityError, digest, same, same_config
from reconciler.providers.jobs import JobFacts, JobWords, decide_job
from reconciler.providers.sony_epa.config import RetrainConfig
from reconciler.providers.sony_epa.pin import PinIdentity
from reconciler.providers.sony_epa.retrain import identity as retrain_identity
from reconciler.state.document import PendingOperation, ResourceState, StateDocument
from reconciler.vocabulary import Action
from reconciler.workflow import Settings, Workspace
from tests.support import REPO, no_wait
from tests.system.test_convergence import mutating_requests

FIXTURE = REPO / "tests" / "fixtures" / "state-v1"
GOLDEN: dict[str, dict[str, str]] = json.loads((FIXTURE / "golden.json").read_text())


def settings(root: Path, *, seconds: float = 0.0) -> Settings:
    return Settings(
        environ={},
        emulator_dir=root / "emulators",
        emulator_durations={
            name: dict.fromkeys(kinds, seconds) for name, kinds in emulators.JOB_KINDS.items()
        },
        client=ClientOptions(sleep=no_wait),
    )


def workspace(root: Path, spec: str, *, seconds: float = 0.0) -> Workspace:
    return Workspace(root / "specs" / f"{spec}.yaml", settings=settings(root, seconds=seconds))


def state_file(root: Path, spec: str) -> Path:
    return root / "state" / f"{spec}.json"


def install_v1_state(root: Path, spec: str, fixture: str, fresh: dict[str, Any]) -> None:
    """Put the first-format document in place of the state this run wrote.

    Fingerprints, recorded inputs, display and status are the fixture's; the
    remote ids are this run's world's (emulators draw some at random, and
    concurrent uploads take their ids in the order they arrive).
    """
    document = json.loads((FIXTURE / fixture).read_text())
    assert document["resources"].keys() == fresh["resources"].keys()
    for address, record in document["resources"].items():
        now = fresh["resources"][address]
        assert record["outputs"].keys() == now["outputs"].keys()
        record["outputs"] = now["outputs"]
        if record.get("pending") and now.get("pending"):
            record["pending"]["job_id"] = now["pending"]["job_id"]
    document["lineage"] = fresh["lineage"]
    document["serial"] = fresh["serial"]
    state_file(root, spec).write_text(json.dumps(document))


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    # The spec the first-format weekly-refresh state was written for (the example is now a module).
    shutil.copy(FIXTURE / "weekly-refresh.yaml", tmp_path / "specs" / "weekly-refresh.yaml")
    monkeypatch.chdir(tmp_path)
    return tmp_path


async def applied_with_v1_state(root: Path, spec: str) -> None:
    """The spec applied by today's code (building the emulators' world), then the v1 state put in place."""
    result = await workspace(root, spec).apply()
    assert result.report.ok, result.report.messages
    fresh = json.loads(state_file(root, spec).read_text())
    for address, record in fresh["resources"].items():
        assert record["fingerprint"] == GOLDEN[spec][address], (
            f"apply recorded another fingerprint for {address}"
        )
    install_v1_state(root, spec, f"{spec}.json", fresh)


def fingerprints(plan: Plan) -> dict[str, str | None]:
    return {change.address: change.fingerprint for change in plan.changes}


# -- golden fingerprints --------------------------------------------------------------------------


@pytest.mark.parametrize("spec", sorted(GOLDEN))
async def test_first_format_state_plans_the_same_fingerprints_and_nothing_to_do(
    root: Path, spec: str
) -> None:
    await applied_with_v1_state(root, spec)
    sent = await mutating_requests(root / "emulators")

    plan = (await workspace(root, spec).plan()).plan

    assert not plan.has_changes, [(c.address, c.action.value, c.reasons) for c in plan.actionable]
    assert fingerprints(plan) == GOLDEN[spec]
    assert all(change.refreshed is None for change in plan.changes), "no record needs rewriting"
    again = await workspace(root, spec).apply()
    assert again.report.ok and await mutating_requests(root / "emulators") == sent


def test_every_resource_type_has_golden_fingerprints() -> None:
    covered = {address.rsplit(".", 1)[0] for spec in GOLDEN.values() for address in spec}
    covered |= set(UNIT_GOLDEN)
    from reconciler.providers.registry import PLATFORMS

    types = {name for platform in PLATFORMS.values() for name in platform.resource_types}
    assert types <= covered, types - covered


#: Identities the example specs do not exercise, with the fingerprint the first format gave them.
UNIT_GOLDEN: dict[str, tuple[Identity, str]] = {
    "alviss.model": (
        remodel_identity(
            RemodelConfig.model_validate(
                {"from_model": 3, "graph": "low", "combination": {"country": "SWE"}}
            ),
            source=3,
            dataset=None,
        ),
        "sha256:68cf828848cc377105f323a1260268053afd9ba5cd39dda37e3c98dcfec84542",
    ),
    "alviss.model (dates, params)": (
        remodel_identity(
            RemodelConfig.model_validate(
                {
                    "from_model": 3,
                    "dataset": 2,
                    "train_dates": ["2024-01-01"],
                    "eval_dates": ["2024-01-08"],
                    "activate": True,
                    "params": {"epochs": 10},
                }
            ),
            source=3,
            dataset=2,
        ),
        "sha256:2d9155b83f7581b511194dbba03fc3bc6ae20f81a663a14b9523efc693904548",
    ),
    "alviss.attribution (range)": (
        attribution_identity(
            AttributionConfig(
                model=12, dataset=2, start_date=date(2024, 1, 1), end_date=date(2024, 6, 30), samples=5
            ),
            model=12,
            dataset=2,
        ),
        "sha256:01e2d50306a4d3670b53d17c42e6b43e4e402dcae296fe2be3075dace8750969",
    ),
    "alviss.refit (defaults)": (
        refit_identity(RefitConfig(model=3, dataset=2), model=3, dataset=2),
        "sha256:a859491517b40187011579e0382861324f3a459a67aeebf8b36bdb48da2ef8b3",
    ),
    "sony_epa.retrain (evaluation file, no switch)": (
        retrain_identity(
            RetrainConfig(train_file="t.csv", eval_file="e.csv", switch=False),
            SonyFile(path="t", size=1, sha256="a" * 64),
            SonyFile(path="e", size=1, sha256="b" * 64),
        ),
        "sha256:5f4b752d616b945c6fd11e47f5ac8eb6d507c71169abd770adbab849a004f61c",
    ),
    "sony_epa.pin": (
        PinIdentity(retrain_job_id="job-1"),
        "sha256:be82fce5e0c2bf983a3ad72c04b5fde58bb738a4264bbadc3a367aaecf85a116",
    ),
    "akkio.model (every option)": (
        training_identity(
            ModelConfig(
                dataset_id="ds-1",
                predict_fields=["b", "a"],
                duration=300,
                ignore_fields=["z", "y"],
                extra_attention=True,
                force=True,  # how a training is asked for, not what it trains: not in the identity
            ),
            "ds-1",
        ),
        "sha256:b8812b9c4ebc92498e36500998e52aece6c96bc6ef77df5eb22cd481fed6a3f4",
    ),
    "akkio.model (a dataset rows are appended to)": (
        training_identity(ModelConfig(dataset_id="ds-1", predict_fields=["y"]), "ds-1", "d" * 64),
        "sha256:e670a5ed6d89f97f399b4e3f9c18d2b918bfc40b67eab3ffb2b82576fc6aff78",
    ),
    "akkio.predictions": (
        akkio_prediction_identity(
            AkkioPredictionsConfig(model_id="m-1", input="i.csv", output="o.csv"), "c" * 64, "m-1"
        ),
        "sha256:c56acf109c33bde25e6465d0e888cc66b614dba0839b6764d52beffdeb70ae62",
    ),
    "akkio.predictions (predictions only)": (
        akkio_prediction_identity(
            AkkioPredictionsConfig(model_id="m-1", input="i.csv", output="o.csv", with_inputs=False),
            "c" * 64,
            "m-1",
        ),
        "sha256:1ea50761322bc7bee9ca74637549edb9246a7a0c8c8babfa64ec7c2e956810d7",
    ),
    "datrics.predictions (only predictions)": (
        prediction_identity(
            PredictionsConfig(
                model_path="1/4/m.json",
                bucket="b",
                input="i.csv",
                output="o.json",
                return_only_prediction=True,
            ),
            "c" * 64,
        ),
        "sha256:c2314468264da8bf639b4616a1381f6f7eef0c6104a31a0a7c227baf61f66ea7",
    ),
}


@pytest.mark.parametrize("name", sorted(UNIT_GOLDEN))
def test_identities_the_specs_do_not_use_keep_their_first_format_fingerprint(name: str) -> None:
    identity, golden = UNIT_GOLDEN[name]
    assert identity.fingerprint() == golden
    assert digest(identity.canonical()) == golden


@pytest.mark.parametrize("spec", ["weekly-refresh", "akkio-leads"])
async def test_jobs_left_running_by_the_first_format_are_resumed(root: Path, spec: str) -> None:
    result = await workspace(root, spec, seconds=600.0).apply(detach=True)
    assert "pending" in result.report.outcomes.values()
    fresh = json.loads(state_file(root, spec).read_text())
    install_v1_state(root, spec, f"{spec}.pending.json", fresh)
    recorded = json.loads(state_file(root, spec).read_text())["resources"]

    plan = (await workspace(root, spec, seconds=600.0).plan()).plan

    resumed = [change for change in plan.changes if change.action is Action.RESUME]
    assert resumed
    for change in resumed:
        assert change.fingerprint == recorded[change.address]["pending"]["fingerprint"]


# -- optional fields --------------------------------------------------------------------------------


class TunedParams(ModelParams):
    """ModelParams as a later release might have it: two optional fields more."""

    weight_decay: float = Field(default=0.0, ge=0)
    dropout: float | None = None


class TunedRefitConfig(RefitConfig):
    params: TunedParams = Field(default_factory=TunedParams)


async def test_an_optional_field_added_to_model_params_moves_no_fingerprint(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await applied_with_v1_state(root, "weekly-refresh")
    sent = await mutating_requests(root / "emulators")
    monkeypatch.setattr(Refit, "config_class", TunedRefitConfig)  # the upgrade

    plan = (await workspace(root, "weekly-refresh").plan()).plan

    assert not plan.has_changes, [(c.address, c.reasons) for c in plan.actionable]
    assert fingerprints(plan) == GOLDEN["weekly-refresh"]
    await workspace(root, "weekly-refresh").apply()
    assert await mutating_requests(root / "emulators") == sent


async def test_the_added_field_set_to_another_value_is_a_new_refit(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await applied_with_v1_state(root, "weekly-refresh")
    monkeypatch.setattr(Refit, "config_class", TunedRefitConfig)
    spec = root / "specs" / "weekly-refresh.yaml"
    text = spec.read_text()
    spec.write_text(text.replace("samples: 3}", "samples: 3, weight_decay: 0.1}", 1))

    plan = (await workspace(root, "weekly-refresh").plan()).plan

    refit = plan["alviss.refit.se"]
    assert refit.action is Action.REPLACE
    assert refit.fingerprint != GOLDEN["weekly-refresh"]["alviss.refit.se"]
    assert "weight_decay" in " ".join(refit.reasons)
    assert plan["alviss.refit.no"].action is Action.NOOP


def test_a_field_at_its_default_is_left_out_unless_it_was_in_the_first_layout() -> None:
    config = TunedRefitConfig(model=3, dataset=2)
    form = refit_identity(config, model=3, dataset=2).canonical()
    assert form["params"] == {"epochs": 500, "learning_rate": 0.001, "samples": 3}
    assert form["combination"] is None  # the first layout wrote it, so it stays
    tuned_form = refit_identity(
        config.model_copy(update={"params": TunedParams(dropout=0.2)}), model=3, dataset=2
    ).canonical()
    assert tuned_form["params"]["dropout"] == 0.2 and "weight_decay" not in tuned_form["params"]


#: The defaults of config fields that are left out of identities at their default.  Changing one
#: changes what is sent without changing a fingerprint: it needs a new identity version instead.
PINNED_DEFAULTS: dict[str, dict[str, Any]] = {
    "alviss.refit": {"combination": None, "train_fraction": 0.75, "train_dates": None, "eval_dates": None},
    "alviss.attribution": {"samples": 20, "start_date": None, "end_date": None},
    "alviss.active_attribution_set": {"keep_existing": True},
    "akkio.model": {"duration": 10, "ignore_fields": [], "extra_attention": False},
    "sony_epa.retrain": {"eval_file": None, "switch": True},
    "datrics.predictions": {"return_only_prediction": False},
}


@pytest.mark.parametrize("type_name", sorted(PINNED_DEFAULTS))
def test_identity_relevant_defaults_are_pinned(type_name: str) -> None:
    from reconciler.providers.registry import resource_type

    fields = resource_type(type_name).config_class.model_fields
    for name, default in PINNED_DEFAULTS[type_name].items():
        assert fields[name].get_default(call_default_factory=True) == default, (
            f"{type_name}.{name}: its default is part of every identity that leaves it out; "
            "a new default needs a new identity version"
        )
    assert ModelParams().model_dump() == {"epochs": 500, "learning_rate": 0.001, "samples": 3}
    assert RemodelConfig(from_model=1).params.model_dump() == {
        "epochs": 50,
        "learning_rate": 0.01,
        "samples": 2,
    }


# -- versions -----------------------------------------------------------------------------------


class RefitIdentityV2(RefitIdentity):
    """A release that writes the combination as one word ("SWE/all/all") instead of an object."""

    version: ClassVar[int] = 2
    combination: str | None = None  # type: ignore[assignment]

    @classmethod
    def upgrade(cls, version: int, form: dict[str, Any]) -> dict[str, Any]:
        if version != 1:
            return super().upgrade(version, form)
        combination = form.get("combination")
        if isinstance(combination, dict):
            combination = "/".join(combination[key] for key in ("country_code", "region_code", "grouping"))
        return {**form, "combination": combination}


def refit_identity_v2(config: RefitConfig, *, model: Any, dataset: Any) -> RefitIdentityV2:
    combination = config.combination
    return RefitIdentityV2(
        model=model,
        dataset=dataset,
        combination=f"{combination.country}/{combination.region}/{combination.grouping}"
        if combination
        else None,
        split=config.identity(),
        params=config.params,
    )


async def test_records_of_an_older_identity_version_are_upgraded_not_replaced(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await applied_with_v1_state(root, "weekly-refresh")
    sent = await mutating_requests(root / "emulators")
    monkeypatch.setattr(refit_module, "refit_identity", refit_identity_v2)

    plan = (await workspace(root, "weekly-refresh").plan()).plan

    assert not plan.has_changes, [(c.address, c.reasons) for c in plan.actionable]
    refit = plan["alviss.refit.se"]
    assert refit.fingerprint != GOLDEN["weekly-refresh"]["alviss.refit.se"]
    assert refit.refreshed is not None and refit.refreshed.inputs[VERSION_KEY] == 2
    assert refit.refreshed.inputs["combination"] == "SWE/all/all"

    await workspace(root, "weekly-refresh").apply()
    record = json.loads(state_file(root, "weekly-refresh").read_text())["resources"]["alviss.refit.se"]
    assert record["inputs"][VERSION_KEY] == 2 and record["fingerprint"] == refit.fingerprint
    assert await mutating_requests(root / "emulators") == sent
    again = (await workspace(root, "weekly-refresh").plan()).plan
    assert not again.has_changes and all(change.refreshed is None for change in again.changes)


def v1_refit() -> tuple[RefitConfig, dict[str, Any]]:
    config = RefitConfig.model_validate({"model": 3, "dataset": 2, "combination": {"country": "SWE"}})
    return config, refit_identity(config, model=3, dataset=2).canonical()


def test_a_job_pending_under_an_older_version_is_resumed() -> None:
    config, form = v1_refit()
    pending = PendingOperation(
        action="create", step="refit", fingerprint=digest(form), job_id=13, identity=form
    )
    record = ResourceState(type="alviss.refit", provider="alviss", status="pending", pending=pending)
    wanted = refit_identity_v2(config, model=3, dataset=2)
    decision = decide_job(
        record=record,
        identity=wanted,
        facts=JobFacts(live={"IId": 13, "Status": "running"}),
        words=JobWords(noun="refit", summary="refit", id_key="model_id"),
        after={},
    )
    assert decision.action is Action.RESUME and decision.fingerprint == wanted.fingerprint()


def test_ids_recorded_as_text_are_the_same_ids() -> None:
    config, form = v1_refit()
    texts = {**form, "model": "3", "dataset": "2"}
    assert same(refit_identity(config, model=3, dataset=2), digest(texts), texts)


def test_what_cannot_be_upgraded_is_not_the_same() -> None:
    config, form = v1_refit()
    wanted = refit_identity_v2(config, model=3, dataset=2)
    tampered = {**form, "samples": 4}
    assert not same(wanted, digest(form), tampered)  # the form is not what the fingerprint digests
    assert not same(wanted, digest(tampered), tampered)  # not an identity of this type
    newer = {**wanted.canonical(), VERSION_KEY: 3}
    with pytest.raises(IdentityError, match="newer"):
        RefitIdentityV2.from_record(newer)
    with pytest.raises(errors.PlanError, match="newer"):
        same(wanted, digest(newer), newer)


# -- the executor's check -------------------------------------------------------------------------


async def alviss_objects(root: Path) -> dict[str, int]:
    app = emulators.create_app("alviss", data_dir=root / "emulators")
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://e") as client:
            stats: dict[str, Any] = (await client.get("/_emulator/stats")).json()
    finally:
        app.state.store.close()
    objects: dict[str, int] = stats["objects"]
    return objects


async def test_apply_refuses_an_identity_other_than_the_plan_showed_before_sending(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await applied_with_v1_state(root, "weekly-refresh")
    made = await alviss_objects(root)
    before = json.loads(state_file(root, "weekly-refresh").read_text())["resources"]["alviss.refit.se"]

    def meanwhile(plan: Plan) -> bool:
        # Between the plan and the call, what the refit would send changes.
        def other(config: RefitConfig, *, model: Any, dataset: Any) -> RefitIdentity:
            tuned = config.model_copy(update={"params": ModelParams(epochs=501)})
            return refit_identity(tuned, model=model, dataset=dataset)

        monkeypatch.setattr(refit_module, "refit_identity", other)
        return True

    result = await workspace(root, "weekly-refresh").apply(replace=["alviss.refit.se"], approve=meanwhile)

    assert result.report.outcomes["alviss.refit.se"] == "failed"
    assert "not what the plan showed" in result.report.messages["alviss.refit.se"]
    assert result.report.outcomes["alviss.attribution.se"] == "skipped"
    assert await alviss_objects(root) == made  # no refit sent (the dates read before it is a POST)
    after = json.loads(state_file(root, "weekly-refresh").read_text())["resources"]["alviss.refit.se"]
    assert after == before  # not tainted, nothing pending


class InMemory:
    """A state backend that keeps the document in memory."""

    def write(self, document: StateDocument) -> StateDocument:
        return document


async def test_a_later_step_of_a_job_resumed_across_versions_keeps_its_job() -> None:
    _, form = v1_refit()
    old = PendingOperation(action="create", step="build", fingerprint=digest(form), job_id=13, identity=form)
    record = ResourceState(type="alviss.model", provider="alviss", status="pending", pending=old)
    checkpointer = Checkpointer(StateDocument(resources={"a": record}), InMemory())
    journal = ResourceJournal(
        checkpointer,
        address="a",
        type_name="alviss.model",
        provider="alviss",
        action="resume",
        fingerprint="sha256:2",
    )
    await journal.intent("activate", model_id=13)
    current = checkpointer.get("a")
    assert current is not None and current.pending is not None
    assert current.pending.job_id == 13 and current.pending.identity == form


def test_every_resource_type_declares_its_identity_class() -> None:
    from reconciler.providers.registry import PLATFORMS

    for platform in PLATFORMS.values():
        for name, rtype in platform.resource_types.items():
            model = rtype.identity_class
            assert issubclass(model, Identity) and model.kind == name, name
            assert model.model_config.get("frozen") is True, name
            assert model.version >= 1 and model.identity_always <= set(model.model_fields), name


async def test_a_state_written_by_a_newer_reconciler_stops_the_plan(root: Path) -> None:
    await applied_with_v1_state(root, "weekly-refresh")
    document = json.loads(state_file(root, "weekly-refresh").read_text())
    record = document["resources"]["alviss.refit.se"]
    record["inputs"] = {**record["inputs"], VERSION_KEY: 7}
    record["fingerprint"] = digest(record["inputs"])
    state_file(root, "weekly-refresh").write_text(json.dumps(document))
    sent = await mutating_requests(root / "emulators")

    with pytest.raises(errors.PlanError, match="identity version 7, newer") as caught:
        await workspace(root, "weekly-refresh").apply()

    assert caught.value.hint and "at least as new" in caught.value.hint
    assert await mutating_requests(root / "emulators") == sent


async def test_lost_state_after_an_optional_field_was_added_still_finds_the_refits(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The platform echoes the params a refit was made with; one made before the field still matches."""
    result = await workspace(root, "weekly-refresh").apply()
    assert result.report.ok
    made = await alviss_objects(root)
    state_file(root, "weekly-refresh").unlink()
    monkeypatch.setattr(Refit, "config_class", TunedRefitConfig)

    plan = (await workspace(root, "weekly-refresh").plan()).plan

    for address in ("alviss.refit.se", "alviss.refit.no"):
        assert plan[address].action is Action.ADOPT, (address, plan[address].reasons)
    assert fingerprints(plan)["alviss.refit.se"] == GOLDEN["weekly-refresh"]["alviss.refit.se"]
    applied = await workspace(root, "weekly-refresh").apply()
    assert applied.report.ok, applied.report.messages
    assert await alviss_objects(root) == made


def test_params_echoed_by_the_platform_compare_by_the_identity_rule() -> None:
    wanted = TunedParams()
    assert same_config({"epochs": 500, "learning_rate": 0.001, "samples": 3}, wanted)
    assert same_config({"epochs": 500, "learning_rate": 0.001, "samples": 3, "weight_decay": 0.0}, wanted)
    assert not same_config({"epochs": 500, "learning_rate": 0.001, "samples": 3, "weight_decay": 0.1}, wanted)
    assert not same_config({"epochs": 500, "learning_rate": 0.001, "samples": 3, "unknown": 1}, wanted)
    assert not same_config("epochs=500", wanted)
