"""``alviss.model``: a remodel, a new model trained from scratch on an existing model's graph.

The vendor shows two ways, both supported: from the model's high-level graph
(``GET /build/graphs/{Graph.Id}``) or its low-level graph instance
(``GET /graph_instances/{team}/{GraphInstance.Id}``), "where possibly
different modeling assumptions are made": the spec's ``edits`` to that graph
(:mod:`~reconciler.providers.alviss.graph_edits`).  Identity is (source model,
graph level, dataset, combination, split, params, activate, edits).

The source graph is read at plan time when the source model is named by id
(the edits are checked against it and the plan shows their diff); a source
made by this apply is read, and the edits checked, when it is built, before
anything is sent.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Literal

from reconciler import errors
from reconciler.answers import ObjectId, same_id
from reconciler.providers.alviss import graph_edits, graphs, inputs, lookup, shapes
from reconciler.providers.alviss.client import BUILD, AlvissClient, nested_id
from reconciler.providers.alviss.config import ModelParams, RemodelConfig
from reconciler.providers.alviss.model_job import ModelJob
from reconciler.providers.base import Applied, Decision, Desired, Found, Journal, Target
from reconciler.providers.identity import Identity, same_config
from reconciler.providers.jobs import JobFacts, JobWords, pending_for
from reconciler.spec.messages import display_path
from reconciler.state.document import PendingOperation, ResourceState
from reconciler.vocabulary import Action, is_known


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
    #: The graph edits in their canonical order; left out when there are none (remodels made before).
    edits: dict[str, Any] | None = None


def remodel_identity(config: RemodelConfig, *, source: Any, dataset: Any) -> RemodelIdentity:
    return RemodelIdentity(
        from_model=source,
        graph=config.graph,
        dataset=dataset,
        combination=config.combination.wire() if config.combination else None,
        split=config.identity(),
        params=config.params,
        activate=config.activate,
        edits=config.edits.canonical() if config.edits else None,
    )


#: The facts' keys holding the source graph read at plan time, and the model it is of.
SOURCE_GRAPH = "source_graph"
SOURCE_MODEL = "source_model"


def _edits(config: RemodelConfig) -> graph_edits.GraphEdits | None:
    return config.edits if config.edits is not None and not config.edits.empty else None


def _graph_name(model: Any, level: str) -> str:
    return f"model {model}'s {level}-level graph"


def edits_errors(target: Target[RemodelConfig], found: list[graph_edits.Problem]) -> errors.SpecErrors:
    """The problems of the edits as spec errors, each at the edit it is about."""
    located = []
    for problem in found:
        path = ("edits", *problem.path)
        located.append(target.error(path, f"{display_path(path)!r} {problem.sentence}", hint=problem.hint))
    return errors.SpecErrors(sorted(located, key=lambda error: (error.file, error.line, error.column)))


async def edited_graph(
    client: AlvissClient, target: Target[RemodelConfig], source: shapes.Model, model: Any
) -> dict[str, list[dict[str, Any]]]:
    """The source model's graph at the configured level, with the spec's edits applied (checked first)."""
    config = target.config
    graph = (await source_graph(client, source, config.graph)).model_dump()
    edits = _edits(config)
    if edits is None:
        return graph
    found = graphs.problems(edits, graph, what=_graph_name(model, config.graph))
    if found:
        # Refused before anything is sent: a PlanError records nothing (no job, nothing to taint).
        located = edits_errors(target, found).errors
        prefix = f"{target.address}: "
        lines = [
            f"{error.location}: {error.message.removeprefix(prefix)}"
            + (f"\n  hint: {error.hint}" if error.hint else "")
            for error in located
        ]
        raise errors.PlanError("\n".join(lines))
    return graphs.edited(edits, graph)


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


def same_graph(one: shapes.Graph | dict[str, Any], other: dict[str, Any]) -> bool | None:
    """Whether two graphs hold the same nodes and edges, whatever their order; None when either
    cannot be read by ids."""
    left = graphs.Source.of(one if isinstance(one, dict) else one.model_dump())
    right = graphs.Source.of(other)
    if isinstance(left, str) or isinstance(right, str):
        return None
    return left == right


async def built_from(client: AlvissClient, obj: Mapping[str, Any], graph: dict[str, Any]) -> bool | None:
    """Whether the listed model ``obj`` was built from ``graph``; None when that cannot be told.

    The graph a build posts is the built model's ``Graph`` in the emulator, and
    its ``GraphInstance`` once lowered; which level a real platform keeps it at
    is INFERRED, so either level holding ``graph`` counts, and a model whose
    graphs both read otherwise is another remodel's.
    """
    try:
        model = await client.get_model(obj["IId"])
    except errors.NotFound:
        return None
    instance = model.GraphInstance
    if instance is None:
        return None
    verdicts: list[bool | None] = [None] if instance.Graph is None else []
    levels = [("instance", instance.Id)]
    if instance.Graph is not None:
        levels.insert(0, ("graph", instance.Graph.Id))
    for level, graph_id in levels:
        try:
            read = await (client.graph(graph_id) if level == "graph" else client.graph_instance(graph_id))
        except (errors.NotFound, errors.MalformedAnswer):
            verdicts.append(None)
            continue
        verdict = same_graph(read, graph)
        if verdict:
            return True
        verdicts.append(verdict)
    return None if None in verdicts else False


class Remodel(ModelJob[RemodelConfig, RemodelIdentity]):
    """A new model built from an existing model's graph."""

    name = "alviss.model"
    config_class = RemodelConfig
    identity_class = RemodelIdentity
    id_key = "model_id"
    made_key = id_key
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

    async def read(
        self, client: AlvissClient, target: Target[RemodelConfig], record: ResourceState | None
    ) -> JobFacts:
        """The recorded build; with edits, the source model's graph where it is known before apply.

        That is the model a literal ``from_model`` names, or for a reference,
        the source the last build recorded (used only while the reference
        still resolves to it).
        """
        facts = await super().read(client, target, record)
        config = target.config
        if _edits(config) is None:
            return facts
        literal = isinstance(config.from_model, int)
        source_id = config.from_model if literal else (record.inputs.get("from_model") if record else None)
        if source_id is None:
            return facts
        try:
            source = await client.get_model(source_id)
            graph = (await source_graph(client, source, config.graph)).model_dump()
        except errors.NotFound:
            if literal:
                raise
            return facts  # the recorded source is gone: its graph is read when the build is made
        return dataclasses.replace(facts, extra={**facts.extra, SOURCE_GRAPH: graph, SOURCE_MODEL: source_id})

    def decide(
        self, desired: Desired[RemodelConfig], record: ResourceState | None, facts: JobFacts
    ) -> Decision:
        """The standard decision, the edits checked against the source graph where it is known; a
        build shows its edits as a diff against that graph."""
        edits = _edits(desired.config)
        graph = None
        if edits is not None and SOURCE_GRAPH in facts.extra:
            model, _ = self.ids(desired)
            if is_known(model) and same_id(model, facts.extra.get(SOURCE_MODEL)):
                graph = facts.extra[SOURCE_GRAPH]
                found = graphs.problems(edits, graph, what=_graph_name(model, desired.config.graph))
                if found:
                    raise edits_errors(desired.target, found)
        decision = super().decide(desired, record, facts)
        if edits is None or decision.action is Action.NOOP:
            return decision
        before, after = graphs.diff_view(edits, graph)
        shown = {key: value for key, value in decision.after.items() if key != self.id_key}
        shown["edits"] = after
        if self.id_key in decision.after:
            shown[self.id_key] = decision.after[self.id_key]
        return dataclasses.replace(decision, before={**decision.before, "edits": before}, after=shown)

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
        source, graph = await self._lost_graph(client, desired.target, wanted.from_model)
        config = desired.config
        # Recorded with the intent; a record written before it was is given the combination the
        # build was sent with, which the spec or the source model fixes.
        combination = pending.detail.get("combination") or (
            config.combination.wire() if config.combination else inputs.combination_of(source)
        )

        async def same_graph(obj: dict[str, Any]) -> bool | None:
            return await built_from(client, obj, graph)

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
            confirm=same_graph,
        )

    async def _lost_graph(
        self, client: AlvissClient, target: Target[RemodelConfig], source_id: Any
    ) -> tuple[shapes.Model, dict[str, list[dict[str, Any]]]]:
        """The source model and the graph the lost build was sent with: the source's, edited as the
        spec says.

        When it cannot be read the lost build cannot be told from another
        remodel of the same source: nothing is sent again (an unknown outcome).
        """
        try:
            source = await client.get_model(source_id)
            return source, await edited_graph(client, target, source, source_id)
        except (errors.TransportError, errors.AuthError):
            raise
        except (errors.ProviderError, errors.PlanError) as exc:
            raise errors.OutcomeUnknown(
                f"the graph model {source_id}'s remodel was built with cannot be read ({exc.message}), "
                "so the model an earlier run may have built cannot be looked up; nothing is sent again",
                hint="look for it in Alviss: `reconciler state import ADDRESS ID` if it exists, "
                "`reconciler state rm ADDRESS` to send it again",
            ) from exc

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
            graph = await edited_graph(client, desired.target, source, source_id)
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
                "graph_detail": {"graph": {"nodes": graph["nodes"], "edges": graph["edges"]}},
            }
            await journal.intent(
                "build",
                identity=wanted,
                dataset_id=dataset_id,
                combination=combination,
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
