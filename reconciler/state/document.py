"""The state document: what the reconciler knows it made.

One JSON document per workspace.  ``lineage`` is fixed when the document is
created; ``serial`` is bumped by the backend only when the content changes.
Per resource it records the remote ids (``outputs``), the fingerprint of the
inputs that produced them, what is shown about the remote object as last read
(``display``: labels and status for people, never compared), a status, and
while a job runs the pending operation (the write-ahead record: what was
submitted, when, and the job id once known).  No secret is ever
stored here.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    model_serializer,
)

FORMAT_VERSION = 1

#: ``rejected``: the job finished but failed its quality gates (``checks``); its outputs are recorded.
Status = Literal["ready", "pending", "tainted", "rejected"]


def utcnow() -> datetime:
    return datetime.now(UTC)


class PendingOperation(BaseModel):
    """A mutating call recorded before it was sent (write-ahead), and its job once known."""

    model_config = ConfigDict(extra="forbid")

    action: str
    step: str
    fingerprint: str
    submitted_at: datetime = Field(default_factory=utcnow)
    job_id: str | int | None = None
    detail: dict[str, Any] = Field(default_factory=dict)
    #: The canonical form of the identity ``fingerprint`` digests (absent in records of older versions).
    identity: dict[str, Any] | None = None


class ResourceState(BaseModel):
    """What the reconciler recorded about one resource address."""

    model_config = ConfigDict(extra="forbid")

    type: str
    provider: str
    status: Status = "ready"
    fingerprint: str | None = None
    inputs: dict[str, Any] = Field(default_factory=dict)
    outputs: dict[str, Any] = Field(default_factory=dict)
    #: What is shown about the object as last read (labels for the plan's before-values, the
    #: platform's status, scores): for people only, never compared. Earlier versions wrote it as
    #: ``essence``; such state files still load.
    display: dict[str, Any] = Field(default_factory=dict, validation_alias=AliasChoices("display", "essence"))
    pending: PendingOperation | None = None
    error: str | None = None
    #: The addresses ``moved`` blocks took this record from, oldest first: a block whose ``from`` is
    #: here was applied already. Written only when there are some.
    moved_from: list[str] = Field(default_factory=list)

    @model_serializer(mode="wrap")
    def _without_empty_moves(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if not self.moved_from:
            data.pop("moved_from", None)
        return data


class OutputState(BaseModel):
    """One output of the spec as the last apply recorded it (``reconciler output`` prints it)."""

    model_config = ConfigDict(extra="forbid")

    value: Any = None
    sensitive: bool = False
    description: str | None = None


class StateDocument(BaseModel):
    """The whole state of one workspace."""

    model_config = ConfigDict(extra="forbid")

    format_version: int = FORMAT_VERSION
    lineage: str = Field(default_factory=lambda: str(uuid.uuid4()))
    serial: int = 0
    resources: dict[str, ResourceState] = Field(default_factory=dict)
    #: The spec's outputs as the last apply computed them, by name.
    outputs: dict[str, OutputState] = Field(default_factory=dict)

    def content_equal(self, other: StateDocument) -> bool:
        """Same content, ignoring the serial (which only the backend bumps)."""
        return (
            self.lineage == other.lineage
            and self.resources == other.resources
            and self.outputs == other.outputs
        )


class DocumentProblem(ValueError):
    """A stored state document that cannot be read; the message says what is wrong with it."""


def parse_document(data: str | bytes, *, corrupt: Callable[[str], Exception]) -> StateDocument:
    """The state document stored as JSON ``data``; if it is not one, ``corrupt(what is wrong)`` is raised."""
    try:
        return _read_document(data)
    except DocumentProblem as exc:
        raise corrupt(str(exc)) from exc


def _read_document(data: str | bytes) -> StateDocument:
    """The state document stored as JSON ``data``, or DocumentProblem saying why it is not one."""
    try:
        raw = json.loads(data)
    except ValueError as exc:
        raise DocumentProblem(f"is not valid JSON ({exc})") from exc
    if not isinstance(raw, dict):
        raise DocumentProblem("does not hold a JSON object")
    version = raw.get("format_version")
    if version != FORMAT_VERSION:
        raise DocumentProblem(
            f"has format_version {version!r}; this reconciler reads format_version {FORMAT_VERSION}"
        )
    try:
        return StateDocument.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            for error in exc.errors(include_url=False, include_input=False)[:3]
        )
        raise DocumentProblem(f"does not match the state format ({problems})") from exc
