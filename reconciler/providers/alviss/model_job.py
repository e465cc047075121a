"""The Alviss resource types that run one job on a model and a dataset: refit, remodel, attribution.

Each declares only what is its own: the field naming its model, the identity
it builds from the resolved ids, where its job is read, its words and what
the plan shows.  Resolving the references, reading the job and deciding (the
standard rules of :mod:`reconciler.providers.jobs`) are written here once.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel

from reconciler.providers.alviss import inputs, lookup, shapes
from reconciler.providers.alviss.client import AlvissClient
from reconciler.providers.base import Decision, Desired, ResourceType, Target
from reconciler.providers.identity import Identity
from reconciler.providers.jobs import JobFacts, JobWords, decide_job
from reconciler.state.document import ResourceState
from reconciler.vocabulary import is_known

ConfigT = TypeVar("ConfigT", bound=BaseModel)
IdentityT = TypeVar("IdentityT", bound=Identity)


class ModelJob(ResourceType[ConfigT, AlvissClient, JobFacts], Generic[ConfigT, IdentityT]):
    """A job on a model (given by id or by reference) and a dataset, making one object."""

    #: The config fields naming the model the job runs on and its dataset.
    model_field: ClassVar[str] = "model"
    dataset_field: ClassVar[str] = "dataset"
    #: The output holding the id of the object the job makes.
    id_key: ClassVar[str]
    #: The project's list that shows the object the job makes (read once per refresh for all of them).
    listed_kind: ClassVar[str] = "models"

    @abstractmethod
    def identify(self, config: ConfigT, *, model: Any, dataset: Any) -> IdentityT:
        """The identity of the job on these (known) ids."""

    @abstractmethod
    def words(self, model: Any) -> JobWords:
        """How the plan speaks of the job on ``model`` (maybe known only after apply)."""

    @abstractmethod
    def shows(self, config: ConfigT, *, model: Any, dataset: Any) -> Mapping[str, Any]:
        """What the plan shows the job will make."""

    @abstractmethod
    async def fetch(self, client: AlvissClient, object_id: Any) -> shapes.Job:
        """The object the job makes, as the platform shows it now."""

    def ids(self, desired: Desired[ConfigT]) -> tuple[Any, Any]:
        """The model and dataset ids the spec asks for (KNOWN_AFTER_APPLY while an upstream changes)."""
        config = desired.config
        model = inputs.resolve(desired, getattr(config, self.model_field), "model_id")
        return model, inputs.resolve(desired, getattr(config, self.dataset_field), "dataset_id")

    def identity(self, desired: Desired[ConfigT]) -> IdentityT | None:
        """The identity of the job the spec asks for; None while an upstream id is not known."""
        model, dataset = self.ids(desired)
        if not (is_known(model) and is_known(dataset)):
            return None
        return self.identify(desired.config, model=model, dataset=dataset)

    async def read(
        self, client: AlvissClient, target: Target[ConfigT], record: ResourceState | None
    ) -> JobFacts:
        # A model or dataset the spec names by id was read before planning began (``engine/remote.py``).
        listed = (client, self.name, self.listed_kind)
        return await lookup.read_job(
            lambda object_id: self.fetch(client, object_id), record, self.id_key, listed=listed
        )

    def decide(self, desired: Desired[ConfigT], record: ResourceState | None, facts: JobFacts) -> Decision:
        config = desired.config
        model, dataset = self.ids(desired)
        pairs = (
            (getattr(config, self.model_field), "model_id"),
            (getattr(config, self.dataset_field), "dataset_id"),
        )
        return decide_job(
            record=record,
            identity=self.identity(desired),
            facts=facts,
            words=self.words(model),
            after=self.shows(config, model=model, dataset=dataset),
            waiting_on=inputs.unknown_refs(desired, *pairs),
        )
