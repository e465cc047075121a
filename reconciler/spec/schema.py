"""The JSON Schema of the spec format, generated from the models the providers register.

Editors validate YAML as people type when they know its schema (the YAML
language server reads a ``# yaml-language-server: $schema=…`` line), so the
schema is produced from the very pydantic models the loader validates with:
a field added to a resource type appears in the schema with no second place
to update.  Any value may be written as an expression (``${var.NAME}``…),
so every field also takes a string holding ``${``.  Providers are matched by name pattern (``alviss`` or
``alviss.<alias>``) and resources by address pattern (``alviss.upload.<name>``),
each pointing at its type's schema with the meta-arguments (``provider``,
``depends_on``, ``lifecycle``) every resource accepts, and ``checks`` where its type documents result
metrics; ``moved`` and
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

from reconciler.spec.checks import checks_schema, result_metrics
from reconciler.spec.document import SpecRegistry, StateConfig
from reconciler.spec.outputs import OUTPUT_NAME
from reconciler.spec.variables import VariableSpec

__all__ = ["SCHEMA_ID", "spec_schema"]

SCHEMA_ID = "https://reconciler.dev/schema/spec-v1.json"

_ALIAS = r"(\.[a-z0-9_-]+)?"
_NAME = r"[a-z][a-z0-9_-]*"
_KEY = r"(\[[^\[\]]+\])?"  # an instance key, or an expression giving one: alviss.market[${each.key}]
_HAS_EXPRESSION = r"\$\{"
_EXPRESSION = {
    "type": "string",
    "pattern": _HAS_EXPRESSION,
    "description": "An expression: ${var.NAME}, ${local.NAME}, ${each.key}, ${each.value.FIELD}, ${env:NAME}"
    " (a whole value '${…}' keeps its type).",
}
_FOR_EACH = {
    "description": "One instance per key of a map (keys become instance keys: TYPE.NAME[KEY]) or per string"
    " of a list; each.key and each.value name them.",
    "anyOf": [
        {"type": "object"},
        {"type": "array", "items": {"anyOf": [{"type": "string"}, {"$ref": "#/$defs/expression"}]}},
        {"$ref": "#/$defs/expression"},
    ],
}
_KEPT_OUTSIDE = ("title", "description", "default", "examples")


def _meta_arguments(platform: str) -> dict[str, Any]:
    address = rf"^(module\.{_NAME}{_KEY}\.)*[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*\.{_NAME}{_KEY}$"
    return {
        "provider": {
            "type": "string",
            "pattern": f"^({re.escape(platform)}(\\.[a-z0-9_-]+{_KEY})?|.*{_HAS_EXPRESSION}.*)$",
            "description": f"The provider instance ({platform}, {platform}.<alias>"
            f" or {platform}.<alias>[KEY]); default: {platform}.",
        },
        "depends_on": {
            "type": "array",
            "items": {"type": "string", "pattern": f"{address}|{_HAS_EXPRESSION}"},
            "description": "Addresses this resource waits for, beyond those it references"
            " (a resource with for_each: all of its instances).",
        },
        "lifecycle": {"$ref": "#/$defs/lifecycle"},
        "for_each": _FOR_EACH,
    }


def _modules() -> dict[str, Any]:
    """``modules:``: NAME → {source, inputs, for_each, providers}, as ``spec.modules`` reads them."""
    return {
        "type": ["object", "null"],
        "description": "Module calls by name: a module file's resources, once or once per for_each key,"
        " addressed module.NAME[KEY].TYPE.NAME; its outputs read as ${module.NAME[KEY].OUTPUT}.",
        "patternProperties": {
            "^[a-z][a-z0-9_-]*$": {
                "type": "object",
                "properties": {
                    "source": {
                        "type": "string",
                        "description": "The module's YAML file (variables, locals, providers, resources,"
                        " modules, outputs), relative to the file that calls it.",
                    },
                    "inputs": {
                        "type": ["object", "null"],
                        "description": "Values of the module's variables, by name.",
                    },
                    "for_each": {
                        "type": ["object", "array", "string"],
                        "description": "A map (its keys name the instances) or a list of strings;"
                        " ${each.key} and ${each.value} in inputs and providers.",
                    },
                    "providers": {
                        "type": "object",
                        "description": "The module's provider names mapped to this file's instances"
                        " (default: the caller's instance of the same name).",
                        "additionalProperties": {"type": "string"},
                    },
                },
                "required": ["source"],
                "additionalProperties": False,
            }
        },
        "additionalProperties": False,
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


def _plain_string(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "string" and not set(schema) - {"type", *_KEPT_OUTSIDE}


def _accepting_expressions(schema: Any) -> Any:
    """``schema``, or an expression in its place (any value of a spec may be written ``${…}``)."""
    if not isinstance(schema, dict):
        return schema
    inner = _inside_accepting_expressions(schema)
    if _plain_string(inner) or not inner or set(inner) <= set(_KEPT_OUTSIDE):
        return inner
    outside = {key: inner.pop(key) for key in _KEPT_OUTSIDE if key in inner}
    return {**outside, "anyOf": [inner, {"$ref": "#/$defs/expression"}]}


def _inside_accepting_expressions(schema: dict[str, Any]) -> dict[str, Any]:
    """A model's schema whose every field (and item, and map value) also takes an expression."""
    node = dict(schema)
    if isinstance(node.get("properties"), dict):
        node["properties"] = {key: _accepting_expressions(value) for key, value in node["properties"].items()}
    if isinstance(node.get("items"), dict):
        node["items"] = _accepting_expressions(node["items"])
    if isinstance(node.get("additionalProperties"), dict):
        node["additionalProperties"] = _accepting_expressions(node["additionalProperties"])
    for key in ("anyOf", "oneOf", "allOf"):
        if isinstance(node.get(key), list):
            node[key] = [
                _inside_accepting_expressions(option) if isinstance(option, dict) else option
                for option in node[key]
            ]
    return node


def spec_schema(registry: SpecRegistry) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a spec file for the platforms in ``registry``."""
    models: list[type[BaseModel]] = [
        StateConfig,
        VariableSpec,
        *registry.providers.values(),
        *registry.resources.values(),
        *registry.data.values(),
    ]
    refs, generated = models_json_schema(
        [(model, "validation") for model in dict.fromkeys(models)], ref_template="#/$defs/{model}"
    )
    defs: dict[str, Any] = {
        name: body
        if name == refs[(VariableSpec, "validation")]["$ref"].rsplit("/", 1)[-1]
        else _inside_accepting_expressions(body)
        for name, body in generated.get("$defs", {}).items()
    }
    defs["expression"] = _EXPRESSION
    defs["lifecycle"] = copy.deepcopy(_LIFECYCLE)

    def definition(model: type[BaseModel]) -> dict[str, Any]:
        name = refs[(model, "validation")]["$ref"].rsplit("/", 1)[-1]
        return copy.deepcopy(defs[name])

    providers: dict[str, Any] = {}
    for platform, model in sorted(registry.providers.items()):
        key = f"provider.{platform}"
        body = definition(model)
        body["properties"] = {"for_each": _FOR_EACH, **body.get("properties", {})}
        defs[key] = body
        providers[f"^{re.escape(platform)}{_ALIAS}$"] = {"$ref": f"#/$defs/{key}"}
    resources: dict[str, Any] = {}
    for type_name, model in sorted(registry.resources.items()):
        key = f"resource.{type_name}"
        body = definition(model)
        body["properties"] = {**_meta_arguments(type_name.split(".", 1)[0]), **body.get("properties", {})}
        if metrics := result_metrics(model):
            body["properties"]["checks"] = checks_schema(metrics)
        body["additionalProperties"] = False
        defs[key] = body
        resources[f"^{re.escape(type_name)}\\.{_NAME}$"] = {"$ref": f"#/$defs/{key}"}
    data: dict[str, Any] = {}
    for type_name, model in sorted(registry.data.items()):
        key = f"data.{type_name}"
        body = definition(model)
        provider = _meta_arguments(type_name.split(".", 1)[0])["provider"]
        body["properties"] = {"provider": provider, "for_each": _FOR_EACH, **body.get("properties", {})}
        body["additionalProperties"] = False
        defs[key] = body
        data[f"^{re.escape(type_name)}\\.{_NAME}$"] = {"$ref": f"#/$defs/{key}"}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "reconciler spec",
        "description": "Desired state of ML platforms: version, state, variables, locals, providers, data,"
        " resources and outputs (keys starting with x- are ignored: a home for YAML anchors).",
        "type": "object",
        "additionalProperties": False,
        "patternProperties": {"^x-": {"description": "Ignored by reconciler: a home for YAML anchors."}},
        "properties": {
            "version": {"const": 1, "description": "The spec format version."},
            "state": {"$ref": refs[(StateConfig, "validation")]["$ref"]},
            "variables": {
                "type": ["object", "null"],
                "description": "Variables by name; values from --var NAME=VALUE, --var-file FILE and"
                " RECONCILER_VAR_<NAME>. Write ${var.NAME} to use one.",
                "patternProperties": {
                    "^[A-Za-z_][A-Za-z0-9_]*$": {
                        "anyOf": [{"$ref": refs[(VariableSpec, "validation")]["$ref"]}, {"type": "null"}]
                    }
                },
                "additionalProperties": False,
            },
            "locals": {
                "type": ["object", "null"],
                "description": "Values computed from variables and other locals, by name."
                " Write ${local.NAME}.",
            },
            "providers": {
                "type": ["object", "null"],
                "description": "Provider instances by name: 'platform' or 'platform.alias'"
                " (with for_each: 'platform.alias[KEY]' per key).",
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
                "description": "Resources by address: 'platform.type.name' (with for_each:"
                " 'platform.type.name[KEY]' per key).",
                "patternProperties": resources,
                "additionalProperties": False,
            },
            "modules": _modules(),
            "outputs": _outputs(),
            "moved": _MOVED,
            "import": _IMPORT,
        },
        "$defs": dict(sorted(defs.items())),
    }
