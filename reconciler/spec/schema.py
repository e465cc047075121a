"""The JSON Schema of the spec format, generated from the models the providers register.

Editors validate YAML as people type when they know its schema (the YAML
language server reads a ``# yaml-language-server: $schema=…`` line), so the
schema is produced from the very pydantic models the loader validates with:
a field added to a resource type appears in the schema with no second place
to update.  Providers are matched by name pattern (``alviss`` or
``alviss.<alias>``) and resources by address pattern (``alviss.upload.<name>``),
each pointing at its type's schema with the meta-arguments (``provider``,
``depends_on``, ``lifecycle``) every resource accepts; ``moved`` and
``import`` are lists of ``{from, to}`` and ``{to, id}``.

The loader stays the authority (it also checks references, cycles and
interpolation); the schema catches misspelled keys, wrong types and missing
fields before a run.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from reconciler.spec.document import SpecRegistry, StateConfig
from reconciler.spec.outputs import OUTPUT_NAME

__all__ = ["SCHEMA_ID", "spec_schema"]

SCHEMA_ID = "https://reconciler.dev/schema/spec-v1.json"

_ALIAS = r"(\.[a-z0-9_-]+)?"
_NAME = r"[a-z][a-z0-9_-]*"


def _meta_arguments(platform: str) -> dict[str, Any]:
    return {
        "provider": {
            "type": "string",
            "pattern": f"^{re.escape(platform)}{_ALIAS}$",
            "description": f"The provider instance ({platform} or {platform}.<alias>); default: {platform}.",
        },
        "depends_on": {
            "type": "array",
            "items": {"type": "string", "pattern": rf"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*\.{_NAME}$"},
            "description": "Addresses this resource waits for, beyond those it references.",
        },
        "lifecycle": {"$ref": "#/$defs/lifecycle"},
    }


def _outputs() -> dict[str, Any]:
    """``outputs:``: NAME → {value, description, sensitive}, as ``reconciler.spec.outputs`` reads them."""
    return {
        "type": ["object", "null"],
        "description": "Values apply records in the state and `reconciler output` prints, by name.",
        "patternProperties": {
            f"^{OUTPUT_NAME.pattern}$": {
                "type": "object",
                "properties": {
                    "value": {
                        "description": "Any value; a string naming a resource (alviss.refit.se) is its "
                        "recorded outputs, RESOURCE.OUTPUT one of them, a for_each resource a map by key."
                    },
                    "description": {"type": "string", "description": "What the output is, for people."},
                    "sensitive": {
                        "type": "boolean",
                        "description": "Masked in listings; shown when asked for by name.",
                    },
                },
                "required": ["value"],
                "additionalProperties": False,
            }
        },
        "additionalProperties": False,
    }


_LIFECYCLE = {
    "type": "object",
    "additionalProperties": False,
    "description": "How the plan may treat this resource's object.",
    "properties": {
        "prevent_replace": {
            "type": "boolean",
            "description": "A plan that would replace the object (changed inputs, an upstream change, "
            "a taint, --replace) is an error naming the reason.",
        },
        "ignore_changes": {
            "type": "array",
            "items": {"type": "string"},
            "uniqueItems": True,
            "description": "Fields of this resource whose edits plan nothing while its recorded object "
            "stands (a new object is made from the spec as written).",
        },
    },
}
_MOVED = {
    "type": ["array", "null"],
    "description": "Records to move to a new address (a renamed resource, a new for_each key, a module): "
    "applied by the plan, recorded by apply, nothing sent. Keep the blocks after applying them.",
    "items": {
        "type": "object",
        "additionalProperties": False,
        "required": ["from", "to"],
        "properties": {
            "from": {
                "type": "string",
                "description": "The recorded address (a resource, instance or module).",
            },
            "to": {"type": "string", "description": "Its address in the spec (the same type)."},
        },
    },
}
_IMPORT = {
    "type": ["array", "null"],
    "description": "Objects made outside the tool to record as resources of the spec: read by the plan, "
    "recorded by apply, nothing sent.",
    "items": {
        "type": "object",
        "additionalProperties": False,
        "required": ["to", "id"],
        "properties": {
            "to": {"type": "string", "description": "The resource (or instance) address in the spec."},
            "id": {
                "type": ["string", "integer"],
                "description": "The platform's id of the object (a job resource: the object it made).",
            },
        },
    },
}


def spec_schema(registry: SpecRegistry) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a spec file for the platforms in ``registry``."""
    models: list[type[BaseModel]] = [
        StateConfig,
        *registry.providers.values(),
        *registry.resources.values(),
        *registry.data.values(),
    ]
    refs, generated = models_json_schema(
        [(model, "validation") for model in dict.fromkeys(models)], ref_template="#/$defs/{model}"
    )
    defs: dict[str, Any] = generated.get("$defs", {})
    defs["lifecycle"] = copy.deepcopy(_LIFECYCLE)

    def definition(model: type[BaseModel]) -> dict[str, Any]:
        name = refs[(model, "validation")]["$ref"].rsplit("/", 1)[-1]
        return copy.deepcopy(defs[name])

    providers: dict[str, Any] = {}
    for platform, model in sorted(registry.providers.items()):
        key = f"provider.{platform}"
        defs[key] = definition(model)
        providers[f"^{re.escape(platform)}{_ALIAS}$"] = {"$ref": f"#/$defs/{key}"}
    resources: dict[str, Any] = {}
    for type_name, model in sorted(registry.resources.items()):
        key = f"resource.{type_name}"
        body = definition(model)
        body["properties"] = {**_meta_arguments(type_name.split(".", 1)[0]), **body.get("properties", {})}
        body["additionalProperties"] = False
        defs[key] = body
        resources[f"^{re.escape(type_name)}\\.{_NAME}$"] = {"$ref": f"#/$defs/{key}"}
    data: dict[str, Any] = {}
    for type_name, model in sorted(registry.data.items()):
        key = f"data.{type_name}"
        body = definition(model)
        provider = _meta_arguments(type_name.split(".", 1)[0])["provider"]
        body["properties"] = {"provider": provider, **body.get("properties", {})}
        body["additionalProperties"] = False
        defs[key] = body
        data[f"^{re.escape(type_name)}\\.{_NAME}$"] = {"$ref": f"#/$defs/{key}"}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "reconciler spec",
        "description": "Desired state of ML platforms: version, state, providers, data, resources, outputs.",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "version": {"const": 1, "description": "The spec format version."},
            "state": {"$ref": refs[(StateConfig, "validation")]["$ref"]},
            "providers": {
                "type": ["object", "null"],
                "description": "Provider instances by name: 'platform' or 'platform.alias'.",
                "patternProperties": providers,
                "additionalProperties": False,
            },
            "data": {
                "type": ["object", "null"],
                "description": "Data sources by 'platform.type.name', read at plan time and referred to as"
                " 'data.platform.type.name'.",
                "patternProperties": data,
                "additionalProperties": False,
            },
            "resources": {
                "type": ["object", "null"],
                "description": "Resources by address: 'platform.type.name'.",
                "patternProperties": resources,
                "additionalProperties": False,
            },
            "outputs": _outputs(),
            "moved": _MOVED,
            "import": _IMPORT,
        },
        "$defs": dict(sorted(defs.items())),
    }
