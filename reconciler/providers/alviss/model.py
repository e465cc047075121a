"""``alviss.model``: a remodel, a new model trained from scratch on an existing model's graph.

The vendor shows two ways, both supported: from the model's high-level graph
(``GET /build/graphs/{Graph.Id}``) or its low-level graph instance
(``GET /graph_instances/{team}/{GraphInstance.Id}``).  Identity is (source
model, graph level, dataset, combination, split, params, activate).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from reconciler import errors
from reconciler.answers import ObjectId
from reconciler.providers.alviss import inputs, lookup, shapes
from reconciler.providers.alviss.client import BUILD, AlvissClient, nested_id
from reconciler.providers.alviss.config import ModelParams, RemodelConfig
from reconciler.providers.alviss.model_job import ModelJob
from reconciler.providers.base import Applied, Decision, Desired, Found, Journal, Target
from reconciler.providers.identity import Identity, same_config
from reconciler.providers.jobs import JobWords, pending_for
from reconciler.state.document import PendingOperation, ResourceState
from reconciler.vocabulary import Action


class RemodelIdentity(Identity):
    """A remodel is the same when built from the same graph, on the same data, with the same params."""

    kind = "alviss.model"
    identity_always = frozenset(
        {"from_model", "graph", "dataset", "combination", "split", "params", "activate"}
    )

    from_model: ObjectId
    graph: Literal["high", "low"]
    dataset: ObjectId | None = None
    combination: dict[str, str] | None = None
    split: dict[str, Any]
    params: ModelParams
    activate: bool = False


def remodel_identity(config: RemodelConfig, *, source: Any, dataset: Any) -> RemodelIdentity:
    return RemodelIdentity(
        from_model=source,
        graph=config.graph,
        dataset=dataset,
        combination=config.combination.wire() if config.combination else None,
        split=config.identity(),
        params=config.params,
        activate=config.activate,
    )


async def source_graph(client: AlvissClient, source: shapes.Model, level: str) -> shapes.Graph:
    """The source model's graph at the chosen level, as nodes and edges."""
    instance = source.GraphInstance
    if instance is None:
        raise errors.ProviderError(
            f"model {source.IId} has no graph to build from",
            hint="choose a model that was built from a graph",
        )
    if level != "high":
        return await client.graph_instance(instance.Id)
    if instance.Graph is None:
        raise errors.ProviderError(f"model {source.IId} names no {level}-level graph id")
    return await client.graph(instance.Graph.Id)


class Remodel(ModelJob[RemodelConfig, RemodelIdentity]):
    """A new model built from an existing model's graph."""

    name = "alviss.model"
    config_class = RemodelConfig
    identity_class = RemodelIdentity
    id_key = "model_id"
    model_field = "from_model"

    def identify(self, config: RemodelConfig, *, model: Any, dataset: Any) -> RemodelIdentity:
        return remodel_identity(config, source=model, dataset=dataset)

    def words(self, model: Any) -> JobWords:
        return JobWords(
            noun="model build", summary=f"remodel from model {inputs.shown(model)}", id_key="model_id"
        )

    def shows(self, config: RemodelConfig, *, model: Any, dataset: Any) -> Mapping[str, Any]:
        return {
            "from_model": inputs.shown(model),
            "graph": config.graph,
            "dataset": "the source model's" if dataset is None else inputs.shown(dataset),
            "params": config.params.model_dump(),
        }

    async def fetch(self, client: AlvissClient, object_id: Any) -> shapes.Job:
        return await client.get_model(object_id)

    def planned(
        self, target: Target[RemodelConfig], named: Mapping[tuple[str | int, ...], Any]
    ) -> shapes.Model | None:
        """A remodel is a model of its combination, or of its source model's."""
        return inputs.planned_model(named.get(("from_model",)), target.config.combination)

    async def find(self, client: AlvissClient, desired: Desired[RemodelConfig]) -> Found:
        """Not looked up: the combination and dates a remodel was built with are chosen at apply time."""
        return Found(
            searched=False,
            how="a remodel's build inputs are only known once it is built, so a lost one is built again",
        )

    async def recover(
        self, client: AlvissClient, desired: Desired[RemodelConfig], pending: PendingOperation
    ) -> int | str | None:
        wanted = self.identity(desired)
        if wanted is None or not pending_for(wanted, pending):
            return None
        combination = pending.detail.get("combination") or {}
        return await lookup.find_created(
            client,
            "models",
            pending,
            lambda obj: (
                obj.get("RefitOf") is None
                and nested_id(obj, "DataSet") == inputs.normalize(pending.detail.get("dataset_id"))
                and same_config(obj.get("ModelParam"), desired.config.params)
                and inputs.combination_of(obj) == combination
            ),
        )

    async def apply(
        self,
        client: AlvissClient,
        desired: Desired[RemodelConfig],
        record: ResourceState | None,
        decision: Decision,
        journal: Journal,
    ) -> Applied:
        config = desired.config
        wanted = self.identity(desired)
        assert wanted is not None, "upstream outputs are known at apply time"
        source_id, dataset = wanted.from_model, wanted.dataset
        pending = journal.pending
        if decision.action is Action.RESUME and pending is not None and pending.job_id is not None:
            model_id = pending.job_id
            dataset_id = pending.detail.get("dataset_id", dataset)
        else:
            source = await client.get_model(source_id)
            dataset_id = dataset if dataset is not None else nested_id(source, "DataSet")
            graph = await source_graph(client, source, config.graph)
            train, evaluate = await inputs.train_eval_dates(
                client, dataset_id=dataset_id, combination=config.combination, source=source, split=config
            )
            combination = config.combination.wire() if config.combination else inputs.combination_of(source)
            body = {
                "model_param": config.params.model_dump(),
                "model_detail": {
                    "dataset_id": dataset_id,
                    "train_dates": train,
                    "eval_dates": evaluate,
                    "activate": config.activate,
                    "modelling_combination": combination,
                },
                "graph_detail": {"graph": {"nodes": graph.nodes, "edges": graph.edges}},
            }
            await journal.intent(
                "build",
                identity=wanted,
                dataset_id=dataset_id,
            )
            model_id = await client.build_model(body)
            await journal.submitted(model_id)
        what = f"model build {model_id} from model {source_id}"
        final = await client.wait(BUILD, lambda: client.get_model(model_id), what=what, journal=journal)
        return Applied(
            outputs={"model_id": model_id, "dataset_id": dataset_id},
            display={"Status": final.Status, "DataSet": nested_id(final, "DataSet")},
            identity=wanted,
        )
