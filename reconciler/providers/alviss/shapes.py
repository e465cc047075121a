"""The Alviss answers the provider reads, as models of the fields the vendor documents.

SEEN fields (in the vendor's pages: /api docs and the upload-refit-attribute
tutorial) are typed as the pages use them; fields the pages never show
(INFERRED) are optional, and the provider says what it does without them
(docs/providers/alviss.md).  Extra fields are ignored; a field of the wrong
type is :class:`errors.MalformedAnswer` naming call and field.

=====================  ==========================================================
answer                 SEEN                              INFERRED (optional)
=====================  ==========================================================
POST datauploads       ``upload_id``                     ``IId`` instead
POST datasets, refit,  ``IId``                           —
attributions, align
POST build/model       —                                 ``IId`` (or ``model_id``, ``id``)
GET datauploads/{id}   ``Status``                        ``IId``, ``FileName``, ``FileSize``,
                                                         ``DatasetName``, ``CreatedAt``, ``Message``
GET datasets/active    ``IId``                           ``DataUploads``, ``Status``, …
GET datasets/{id}      ``Status``                        ``IId``, ``DataUploads``, ``ExtendedFrom``, …
GET models/{id}        ``Status``, ``GraphInstance``,    ``IId``, ``ModelParam``, ``RefitOf``, …
                       ``DataSet``, ``Country``,
                       ``Region``, ``Grouping``
GET attributions/{id}  ``Status``                        ``IId``, ``Model``, ``DataSet``,
                                                         ``StartDate``, ``EndDate``, ``Samples``
GET attributionset/    ``Attributions: [{IId}]``         ``IId``, ``Status``
active
GET attributionset/id  ``Status``                        ``IId``, ``Attributions``
graphs, instances      ``nodes``, ``edges``              —
dates                  a list of dates                   —
=====================  ==========================================================

``Status`` is optional everywhere: the vendor's own scripts read it with
``.get`` and treat anything but the done word (absent included) as "not yet".
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, model_validator

from reconciler.answers import Answer, ObjectId


def _member(value: Any) -> Any:
    """A member given as ``{"IId": …}`` (or ``{"Id": …}``) becomes its id; a bare id stays."""
    if isinstance(value, dict):
        for key in ("IId", "Id"):
            if key in value:
                return value[key]
        raise ValueError("expected an id or an object with IId")
    return value


#: A member of a list the vendor may give as ids or as ``{"IId": …}`` objects.
MemberId = Annotated[ObjectId, BeforeValidator(_member)]


def _first_of(data: Any, target: str, *alternatives: str) -> Any:
    if isinstance(data, dict) and data.get(target) is None:
        for key in alternatives:
            if data.get(key) is not None:
                return {**data, target: data[key]}
    return data


class Ref(Answer):
    """A reference the vendor nests as an object: ``{"IId": …}``."""

    IId: ObjectId


class GraphRef(Answer):
    Id: ObjectId


class GraphInstanceRef(Answer):
    Id: ObjectId
    Graph: GraphRef | None = None


# --- answers to creating calls ----------------------------------------------------------
class Created(Answer):
    """``{"IId": new id}``: datasets, refits, attributions, aligned attribution sets."""

    IId: ObjectId


class UploadCreated(Answer):
    """``{"upload_id": …}`` (SEEN); ``IId`` tolerated instead."""

    upload_id: ObjectId

    @model_validator(mode="before")
    @classmethod
    def _alternatives(cls, data: Any) -> Any:
        return _first_of(data, "upload_id", "IId")


class BuildCreated(Answer):
    """The answer to ``POST build/model`` is not documented: ``IId``, ``model_id`` or ``id``."""

    IId: ObjectId

    @model_validator(mode="before")
    @classmethod
    def _alternatives(cls, data: Any) -> Any:
        return _first_of(data, "IId", "model_id", "id")


# --- objects ---------------------------------------------------------------------------------
class Job(Answer):
    """What every Alviss object read shares: its id and job status."""

    IId: ObjectId | None = None  # INFERRED on reads (SEEN only on the active dataset)
    Status: str | None = None  # SEEN words: complete / completed; anything else: still running
    Message: Any = None  # INFERRED: why a job failed
    Error: Any = None  # INFERRED alternative to Message
    CreatedAt: str | None = None  # INFERRED; used to match a lost create

    @property
    def message(self) -> str | None:
        text = self.Message if self.Message not in (None, "") else self.Error
        return None if text in (None, "") else str(text)


class Upload(Job):
    DatasetName: str | None = None
    FileName: str | None = None
    FileSize: int | None = None


class Dataset(Job):
    DataUploads: list[MemberId] | None = None  # INFERRED: the uploads it holds
    Uploads: list[MemberId] | None = None  # INFERRED alternative name
    ExtendedFrom: list[MemberId] | None = None  # INFERRED: the datasets it extends
    Active: bool | None = None

    @property
    def upload_ids(self) -> list[int | str] | None:
        """The uploads it contains, or None when the answer does not say."""
        found = self.DataUploads if self.DataUploads is not None else self.Uploads
        return None if found is None else list(found)


class ActiveDataset(Dataset):
    IId: ObjectId  # SEEN: ``response.json()["IId"]``


class Model(Job):
    DataSet: Ref | None = None
    GraphInstance: GraphInstanceRef | None = None
    Country: str | None = None
    Region: str | None = None
    Grouping: str | None = None
    ModelParam: dict[str, Any] | None = None  # INFERRED
    RefitOf: ObjectId | None = None  # INFERRED


class Attribution(Job):
    Model: Ref | None = None  # INFERRED
    DataSet: Ref | None = None  # INFERRED
    StartDate: str | None = None  # INFERRED
    EndDate: str | None = None  # INFERRED
    Samples: int | None = None  # INFERRED


class AttributionSet(Job):
    Attributions: list[MemberId] | None = None  # SEEN on the active set only
    Active: bool | None = None


class ActiveAttributionSet(AttributionSet):
    Attributions: list[MemberId]  # SEEN: ``[_attr["IId"] for _attr in response.json()["Attributions"]]``


class Graph(Answer):
    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]


#: The shape of each kind's items in its (INFERRED) list endpoint.
LISTED: dict[str, type[Job]] = {
    "datauploads": Upload,
    "datasets": Dataset,
    "models": Model,
    "attributions": Attribution,
    "attributionset": AttributionSet,
}
