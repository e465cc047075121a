"""The loaded, validated spec: what the rest of the reconciler works from.

These are plain containers; the per-platform and per-type configuration models
(pydantic, ``extra="forbid"``) come from the providers through a
:class:`SpecRegistry`, so this layer knows no platform.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from reconciler.errors import SpecError
from reconciler.spec.names import resource_of

if TYPE_CHECKING:
    from reconciler.spec.checks import Check


@dataclass(frozen=True)
class Location:
    """A place in a spec file (1-based line and column)."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class StateConfig(BaseModel):
    """Where the state document lives: a local file, or a PostgreSQL workspace."""

    model_config = ConfigDict(extra="forbid")

    backend: Literal["local", "postgres"] = Field(default="local", description="local (a file) or postgres.")
    path: str | None = Field(default=None, description="local: the state file, relative to the spec file.")
    dsn: SecretStr | None = Field(
        default=None, description="postgres: connection string; write ${env:RECONCILER_PG_DSN}."
    )
    workspace: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$",
        description="postgres: the workspace name (default: the spec file's name).",
    )

    @model_validator(mode="after")
    def _fits_backend(self) -> StateConfig:
        if self.backend == "postgres":
            if self.dsn is None:
                raise ValueError("a postgres state needs dsn (write dsn: ${env:RECONCILER_PG_DSN})")
            if self.path is not None:
                raise ValueError("path is for a local state; a postgres state names a workspace")
        elif self.dsn is not None or self.workspace is not None:
            raise ValueError("dsn and workspace are for a postgres state (add backend: postgres)")
        return self


@dataclass(frozen=True)
class SpecRegistry:
    """The configuration models the providers offer, keyed by platform, resource type and data source type.

    ``checks`` holds, per platform, what it finds wrong across the spec's resources (two resources
    that would fight over one object): each problem is located, and reported by ``validate`` and
    ``plan`` with the rest.  Only the platforms the spec uses are asked.
    """

    providers: Mapping[str, type[BaseModel]]
    resources: Mapping[str, type[BaseModel]]
    data: Mapping[str, type[BaseModel]] = field(default_factory=dict)
    checks: Mapping[str, SpecCheck] = field(default_factory=dict)


@dataclass(frozen=True)
class ProviderSpec:
    """One provider instance: ``alviss`` (the default) or an alias such as ``alviss.se``."""

    name: str
    platform: str
    config: BaseModel
    location: Location


@dataclass(frozen=True)
class Lifecycle:
    """A resource's ``lifecycle:`` block: how the plan may treat its object.

    ``prevent_replace`` turns a plan that would replace the object into an
    error; ``ignore_changes`` names inputs (fields of the resource) whose edits
    plan nothing while the recorded object stands.
    """

    prevent_replace: bool = False
    ignore_changes: tuple[str, ...] = ()
    #: Where ``prevent_replace`` was written (errors about a refused replacement point at it).
    location: Location | None = None


@dataclass(frozen=True)
class MovedBlock:
    """One ``moved:`` entry: the records at ``source`` now belong to ``to`` (nothing is sent)."""

    source: str
    to: str
    location: Location
    source_location: Location
    to_location: Location


@dataclass(frozen=True)
class ImportBlock:
    """One ``import:`` entry: adopt the platform's object ``id`` as the resource ``to`` (nothing is sent)."""

    to: str
    id: str | int
    location: Location
    to_location: Location
    id_location: Location


@dataclass(frozen=True)
class ResourceSpec:
    """One resource: address ``platform.type.name``, its provider instance and its configuration."""

    address: str
    type: str
    name: str
    provider: str
    config: BaseModel
    depends_on: tuple[str, ...]
    location: Location
    field_locations: Mapping[tuple[str | int, ...], Location] = field(default_factory=dict)
    lifecycle: Lifecycle = field(default_factory=Lifecycle)
    #: Quality gates (``checks:``) its finished job must pass, else it ends ``rejected``.
    checks: tuple[Check, ...] = ()

    @property
    def platform(self) -> str:
        return self.type.split(".", 1)[0]


#: A platform's check across a spec's resources (every resource, by address) and its provider
#: instances (by name, for what each reaches: two names may reach one project): the problems found.
SpecCheck = Callable[[Mapping[str, ResourceSpec], Mapping[str, ProviderSpec]], list[SpecError]]


@dataclass(frozen=True)
class OutputReference:
    """A string in an output's value that names a resource (and maybe one of its recorded outputs).

    ``instances`` lists the addresses the name stands for: the resource itself, or every
    instance of a ``for_each`` resource (whose value is then a map by instance key).
    """

    path: tuple[str | int, ...]
    address: str
    field: str | None
    instances: tuple[str, ...]


@dataclass(frozen=True)
class OutputSpec:
    """One top-level output: its value (references resolved by apply, from the state) and how to show it."""

    name: str
    value: Any
    description: str | None
    sensitive: bool
    location: Location
    references: tuple[OutputReference, ...] = ()


@dataclass(frozen=True)
class Spec:
    """A whole spec: its files, state settings, provider instances and resources (in file order)."""

    files: tuple[Path, ...]
    base_dir: Path
    version: int
    state: StateConfig
    providers: Mapping[str, ProviderSpec]
    resources: Mapping[str, ResourceSpec]
    outputs: Mapping[str, OutputSpec] = field(default_factory=dict)
    #: ``moved:`` and ``import:`` blocks, in file order: applied by the plan itself.
    moved: tuple[MovedBlock, ...] = ()
    imports: tuple[ImportBlock, ...] = ()
    #: Data sources by address (``data.alviss.model.latest``): read-only lookups done at plan time.
    data: Mapping[str, ResourceSpec] = field(default_factory=dict)
    #: The values of the spec's variables (``variables:``), and which of them are sensitive.
    variables: Mapping[str, Any] = field(default_factory=dict)
    sensitive_variables: frozenset[str] = frozenset()

    def instances_of(self, address: str) -> list[str]:
        """The resources ``address`` names: itself, or every instance of a resource with for_each."""
        if address in self.resources:
            return [address]
        found = []
        for candidate in self.resources:
            if "[" in candidate and resource_of(candidate) == address:
                found.append(candidate)
        return found
