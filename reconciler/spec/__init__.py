"""The spec: YAML files loaded into validated, located models that the rest of the reconciler works from."""

from reconciler.spec.document import (
    Location,
    ProviderSpec,
    ResourceSpec,
    Spec,
    SpecRegistry,
    StateConfig,
)
from reconciler.spec.load import load_spec
from reconciler.spec.names import parse_address
from reconciler.spec.refs import Reference, RefTo, references

__all__ = [
    "Location",
    "ProviderSpec",
    "RefTo",
    "Reference",
    "ResourceSpec",
    "Spec",
    "SpecRegistry",
    "StateConfig",
    "load_spec",
    "parse_address",
    "references",
]
