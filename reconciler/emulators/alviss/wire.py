"""Request bodies the Alviss emulator accepts, as pydantic models.

Validating every body with a model gives malformed requests FastAPI's own
422 answer, as the real (FastAPI) back end would.  Unknown fields are
refused rather than ignored: the emulator exists to check the reconciler's
provider, and a misspelt field silently dropped would hide a bug there.
Graph nodes and edges are the exception; they carry free-form attributes.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from reconciler.emulators.alviss.datafiles import is_date


def _date(value: str) -> str:
    if not is_date(value):
        raise ValueError(f"'{value}' is not a date written YYYY-MM-DD")
    return value


IsoDate = Annotated[str, AfterValidator(_date)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DatasetCreate(_Body):
    upload_ids: list[int] = Field(default_factory=list)
    dataset_ids: list[int] = Field(default_factory=list)
    activate: bool = False


class Combination(_Body):
    country_code: str
    region_code: str
    grouping: str = "all"


class ModelParam(_Body):
    epochs: int = Field(gt=0)
    learning_rate: float = Field(gt=0)
    samples: int = Field(gt=0)


class RefitDetail(_Body):
    dataset_id: int
    train_dates: list[IsoDate]
    eval_dates: list[IsoDate] = Field(default_factory=list)


class Refit(_Body):
    model_detail: RefitDetail
    model_param: ModelParam


class BuildDetail(RefitDetail):
    activate: bool = False
    modelling_combination: Combination


class GraphNode(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    type: str | None = None


class GraphEdge(BaseModel):
    model_config = ConfigDict(extra="allow")
    source: str
    target: str


class GraphBody(_Body):
    nodes: list[GraphNode]
    edges: list[GraphEdge]

    def as_data(self) -> dict[str, list[dict[str, Any]]]:
        return {
            "nodes": [node.model_dump(exclude_none=True) for node in self.nodes],
            "edges": [edge.model_dump() for edge in self.edges],
        }


class GraphDetail(_Body):
    graph: GraphBody


class BuildModel(_Body):
    model_param: ModelParam
    model_detail: BuildDetail
    graph_detail: GraphDetail


class AttributionCreate(_Body):
    model_id: int
    dataset_id: int
    start_date: IsoDate
    end_date: IsoDate
    samples: int = Field(gt=0)


class AlignDates(_Body):
    attributionjob_ids: list[int] = Field(min_length=1)
    active: bool = False
