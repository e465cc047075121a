"""``alviss.refit``: model M refit on a dataset, normally the active one ("refit on the latest data").

Identity is (source model, dataset, combination, split, params): a new active
dataset, changed params or a changed split plans a new refit; otherwise the
recorded refit stands.  The dates themselves are read at apply time, as the
vendor's tutorial does: the dataset's Sales dates for the combination, the
first ``train_fraction`` of them for training.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from reconciler import errors
from reconciler.answers import ObjectId, same_id
from reconciler.providers.alviss import inputs, lookup, shapes
from reconciler.providers.alviss.client import REFIT, AlvissClient, nested_id
from reconciler.providers.alviss.config import ModelParams, RefitConfig
from reconciler.providers.alviss.model_job import ModelJob
from reconciler.providers.base import Applied, Decision, Desired, Found, Journal, Target
from reconciler.providers.identity import Identity, same_config
from reconciler.providers.jobs import JobWords, pending_for
from reconciler.state.document import PendingOperation, ResourceState
from reconciler.vocabulary import Action


class RefitIdentity(Identity):
    """A refit is the same for the same model, dataset, combination, split and params."""

    kind = "alviss.refit"
    identity_always = frozenset({"model", "dataset", "combination", "split", "params"})

    model: ObjectId
    dataset: ObjectId
    combination: dict[str, str] | None = None
    split: dict[str, Any]
    params: ModelParams
    #: Whose dates (dataset type, combinations), when the spec says (left out otherwise).
    dates: dict[str, Any] | None = None


def refit_identity(config: RefitConfig, *, model: Any, dataset: Any) -> RefitIdentity:
    explicit = config.train_dates is not None
    return RefitIdentity(
        model=model,
        dataset=dataset,
        combination=config.combination.wire() if config.combination else None,
        split=config.identity(),
        params=config.params,
        dates=config.dates.identity() if config.dates is not None and not explicit else None,
    )


def _matches(config: RefitConfig, *, model: Any, dataset: Any) -> Callable[[dict[str, Any]], bool]:
    """A refit of ``model`` on ``dataset`` with these params (and combination and split, where shown)."""
    wire = config.combination.wire() if config.combination else None

    def split_matches(obj: dict[str, Any]) -> bool:
        train, evaluate = obj.get("TrainDates"), obj.get("EvalDates")
        if not isinstance(train, list) or not isinstance(evaluate, list):
            return True  # not shown by the platform: nothing to compare
        explicit = config.identity()
        if "train_dates" in explicit:
            shown_dates = {
                "train_dates": [str(day) for day in train],
                "eval_dates": [str(day) for day in evaluate],
            }
            return shown_dates == explicit
        return len(train) == int((len(train) + len(evaluate)) * config.train_fraction)

    def matches(obj: dict[str, Any]) -> bool:
        if wire is not None and "Country" in obj:
            shown_combination = {
                "country_code": str(obj.get("Country")),
                "region_code": str(obj.get("Region", "all")),
                "grouping": str(obj.get("Grouping", "all")),
            }
            if shown_combination != wire:
                return False
        return (
            same_id(obj.get("RefitOf"), model)
            and same_id(nested_id(obj, "DataSet"), dataset)
            and same_config(obj.get("ModelParam"), config.params)
            and split_matches(obj)
        )

    return matches


def _combination(wire: Mapping[str, str]) -> str:
    return f"{wire['country_code']}/{wire['region_code']}/{wire['grouping']}"


class Refit(ModelJob[RefitConfig, RefitIdentity]):
    """A refit of an existing model on new data."""

    name = "alviss.refit"
    config_class = RefitConfig
    identity_class = RefitIdentity
    id_key = "model_id"
    made_key = id_key

    def identify(self, config: RefitConfig, *, model: Any, dataset: Any) -> RefitIdentity:
        return refit_identity(config, model=model, dataset=dataset)

    def words(self, model: Any) -> JobWords:
        return JobWords(noun="refit", summary=f"refit of model {inputs.shown(model)}", id_key="model_id")

    def shows(self, config: RefitConfig, *, model: Any, dataset: Any) -> Mapping[str, Any]:
        shown: dict[str, Any] = {
            "model": inputs.shown(model),
            "dataset": inputs.shown(dataset),
            "params": config.params.model_dump(),
        }
        if config.dates is not None and config.train_dates is None:
            shown["dates"] = inputs.dates_shown(config.dates)
        return shown

    async def fetch(self, client: AlvissClient, object_id: Any) -> shapes.Job:
        return await client.get_model(object_id)

    def check(
        self, target: Target[RefitConfig], named: Mapping[tuple[str | int, ...], Any]
    ) -> list[errors.SpecError]:
        """A refit on another combination than its source model's is a mistake unless the spec says so."""
        config = target.config
        source = named.get(("model",))
        if config.combination is None or config.combination_override or not isinstance(source, shapes.Model):
            return []
        if not source.Country:
            return []  # the model does not show its combination: nothing to compare
        own = inputs.combination_of(source)
        wanted = config.combination.wire()
        if own == wanted:
            return []
        model = source.IId if source.IId is not None else config.model  # a resource's: its address
        return [
            target.error(
                ("combination",),
                f"'combination' is {_combination(wanted)}, but model {model} is a model of "
                f"{_combination(own)}",
                hint=f"refit a model of {_combination(wanted)}, leave combination out to use the "
                "model's own, or add combination_override: true to refit this model on that "
                "combination's dates",
            )
        ]

    def planned(
        self, target: Target[RefitConfig], named: Mapping[tuple[str | int, ...], Any]
    ) -> shapes.Model | None:
        """A refit is a model of its source model's combination (whatever dates it was fitted on)."""
        return inputs.planned_model(named.get(("model",)), None)

    async def recover(
        self, client: AlvissClient, desired: Desired[RefitConfig], pending: PendingOperation
    ) -> int | str | None:
        wanted = self.identity(desired)
        if wanted is None or not pending_for(wanted, pending):
            return None
        return await lookup.find_created(
            client, "models", pending, _matches(desired.config, model=wanted.model, dataset=wanted.dataset)
        )

    async def find(self, client: AlvissClient, desired: Desired[RefitConfig]) -> Found | None:
        wanted = self.identity(desired)
        if wanted is None:
            return None
        dataset = wanted.dataset
        return await lookup.find_unrecorded(
            client,
            "models",
            _matches(desired.config, model=wanted.model, dataset=dataset),
            how="source model, dataset, params, combination and split",
            outputs=lambda obj: {"model_id": obj["IId"], "dataset_id": dataset},
            shown=("RefitOf", "DataSet", "ModelParam"),
        )

    async def apply(
        self,
        client: AlvissClient,
        desired: Desired[RefitConfig],
        record: ResourceState | None,
        decision: Decision,
        journal: Journal,
    ) -> Applied:
        config = desired.config
        wanted = self.identity(desired)
        assert wanted is not None, "upstream outputs are known at apply time"
        model, dataset = wanted.model, wanted.dataset
        pending = journal.pending
        if decision.action is Action.RESUME and pending is not None and pending.job_id is not None:
            model_id = pending.job_id
        else:
            named = config.combination or (config.dates and config.dates.combinations)
            source = None if named or config.train_dates is not None else await client.get_model(model)
            train, evaluate = await inputs.train_eval_dates(
                client,
                dataset_id=dataset,
                combination=config.combination,
                source=source,
                split=config,
                dates=config.dates,
            )
            detail = {"dataset_id": dataset, "train_dates": train, "eval_dates": evaluate}
            await journal.intent(
                "refit",
                identity=wanted,
                replaces=record.outputs.get("model_id") if record else None,
                dates=len(train) + len(evaluate),
            )
            model_id = await client.refit(model, model_detail=detail, model_param=config.params.model_dump())
            await journal.submitted(model_id)
        what = f"refit {model_id} of model {model}"
        final = await client.wait(REFIT, lambda: client.get_model(model_id), what=what, journal=journal)
        return Applied(
            outputs={"model_id": model_id, "dataset_id": dataset},
            display={
                "Status": final.Status,
                "DataSet": nested_id(final, "DataSet"),
                "RefitOf": final.RefitOf,
                "Country": final.Country,
            },
            identity=wanted,
        )
