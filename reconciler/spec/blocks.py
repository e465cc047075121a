"""The blocks that change how a plan treats objects, not what they are: ``lifecycle``, ``moved``, ``import``.

They are read here, offline, into located specs (:class:`Lifecycle`,
:class:`MovedBlock`, :class:`ImportBlock`), with every mistake a person can
make without a state at hand reported at its ``file:line:col``: a malformed
address, a ``moved`` that changes a record's type or whose ``to`` is not in
the spec, an ``import`` of an address the spec does not declare, an
``ignore_changes`` naming a field the resource type does not have.  What
needs the state (``moved`` from an address that was never recorded) is
checked by the plan (``engine/moves.py``), still at the block's place.

Addresses in ``moved`` may name one resource (``alviss.refit.se``), one
instance (``alviss.refit.weekly[se]``), every instance of a resource
(``alviss.refit.weekly``), or a module call (``module.market``,
``module.market[se]``) and so everything inside it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from reconciler.errors import SpecError
from reconciler.spec.document import ImportBlock, Lifecycle, Location, MovedBlock
from reconciler.spec.messages import describe, require_mapping, spec_error, unknown_keys
from reconciler.spec.names import parse_instance, suggest
from reconciler.spec.yamlpos import Document, YamlPath

__all__ = [
    "AddressForm",
    "address_form",
    "check_blocks",
    "read_imports",
    "read_lifecycle",
    "read_moved",
    "under",
]

_LIFECYCLE_KEYS = ("prevent_replace", "ignore_changes")
_PLACEHOLDER = "platform.type.name"
_ADDRESS_FORMS = (
    "'platform.type.name', 'platform.type.name[KEY]', 'module.NAME[KEY].platform.type.name' or 'module.NAME'"
)


@dataclass(frozen=True)
class AddressForm:
    """What an address in a ``moved`` block names: a resource (or its instances) of ``type``, or a module."""

    module: bool
    type: str | None = None
    keyed: bool = False


def address_form(text: str) -> AddressForm | None:
    """The form of ``text`` as a ``moved`` address, or None when it is not one (a data source is not)."""
    try:
        parsed = parse_instance(text)
    except ValueError:
        parsed = None
    if parsed is not None:
        return (
            None if parsed.data else AddressForm(module=False, type=parsed.type, keyed=parsed.key is not None)
        )
    try:  # a module path is the front of the addresses inside it
        inside = parse_instance(f"{text}.{_PLACEHOLDER}")
    except ValueError:
        return None
    if not inside.modules or inside.data or "".join(f"{step}." for step in inside.modules) != f"{text}.":
        return None
    return AddressForm(module=True)


def under(address: str, prefix: str) -> bool:
    """Whether ``address`` is ``prefix`` itself or inside it (one of its instances, or in its module)."""
    return address == prefix or address.startswith((prefix + "[", prefix + "."))


# -- lifecycle ---------------------------------------------------------------------------------------


def read_lifecycle(
    document: Document,
    path: YamlPath,
    value: Any,
    *,
    subject: str,
    model: type[BaseModel],
    errors: list[SpecError],
) -> Lifecycle | None:
    """A resource's ``lifecycle`` (at ``path``), or None (reported) when it is not a valid one.

    ``model`` is the resource type's configuration: ``ignore_changes`` may name its fields only.
    """
    if path in document.broken:
        return None
    expected = "a mapping (prevent_replace, ignore_changes)"
    if (
        require_mapping(document, path, value, f"{subject}: 'lifecycle'", errors=errors, expected=expected)
        is None
    ):
        return None
    ok = unknown_keys(
        document,
        path,
        value,
        _LIFECYCLE_KEYS,
        subject=f"{subject}: unknown lifecycle key",
        takes="lifecycle takes",
        errors=errors,
    )
    prevent = value.get("prevent_replace", False)
    if not isinstance(prevent, bool):
        where = (*path, "prevent_replace")
        got = describe(document, where, prevent)
        message = f"{subject}: 'lifecycle.prevent_replace' must be true or false"
        errors.append(spec_error(message + (f", got {got}" if got else ""), document.at(where)))
        ok = False
    ignored = _ignore_changes(
        document, (*path, "ignore_changes"), value.get("ignore_changes", []), subject, model, errors
    )
    if ignored is None:
        ok = False
    if not ok or ignored is None:
        return None
    place = document.at((*path, "prevent_replace")) if "prevent_replace" in value else document.key_at(path)
    return Lifecycle(prevent_replace=prevent, ignore_changes=ignored, location=place)


def _fields(model: type[BaseModel]) -> dict[str, str]:
    """The names a person writes for ``model``'s fields (aliases included), each to its field's name."""
    names: dict[str, str] = {}
    for name, info in model.model_fields.items():
        names[name] = name
        if isinstance(info.alias, str):
            names[info.alias] = name
    return names


def _ignore_changes(
    document: Document,
    path: YamlPath,
    value: Any,
    subject: str,
    model: type[BaseModel],
    reported: list[SpecError],
) -> tuple[str, ...] | None:
    errors: list[SpecError] = []
    if path in document.broken:
        return None
    if not isinstance(value, list):
        got = describe(document, path, value)
        message = f"{subject}: 'lifecycle.ignore_changes' must be a list of field names"
        reported.append(spec_error(message + (f", got {got}" if got else ""), document.at(path)))
        return None
    fields = _fields(model)
    names: list[str] = []
    for index, item in enumerate(value):
        where = document.at((*path, index))
        if not isinstance(item, str):
            got = describe(document, (*path, index), item)
            message = f"{subject}: 'lifecycle.ignore_changes[{index}]' must be a field name"
            errors.append(spec_error(message + (f", got {got}" if got else ""), where))
        elif item not in fields:
            close = suggest(item, fields)
            known = ", ".join(sorted(name for name in model.model_fields))
            hint = f"did you mean {close!r}?" if close else f"its fields: {known}"
            errors.append(
                spec_error(
                    f"{subject}: ignore_changes names {item!r}, which is not one of its fields",
                    where,
                    hint=hint,
                )
            )
        elif fields[item] in names:
            errors.append(spec_error(f"{subject}: ignore_changes names {item!r} twice", where))
        else:
            names.append(fields[item])
    reported.extend(errors)
    return None if errors else tuple(names)


# -- moved and import ------------------------------------------------------------------------------------


def _items(
    document: Document, section: str, value: Any, keys: tuple[str, ...], errors: list[SpecError]
) -> list[tuple[int, dict[str, Any]]]:
    """The well-formed entries of a ``moved``/``import`` list: each a mapping of exactly ``keys``."""
    if value is None or (section,) in document.broken:
        return []
    shape = "{" + ", ".join(keys) + "}"
    if not isinstance(value, list):
        got = describe(document, (section,), value)
        message = f"'{section}' must be a list of {shape}"
        errors.append(spec_error(message + (f", got {got}" if got else ""), document.at((section,))))
        return []
    items: list[tuple[int, dict[str, Any]]] = []
    for index, item in enumerate(value):
        path: YamlPath = (section, index)
        if path in document.broken:
            continue
        entry = f"{section}[{index}]"
        if require_mapping(document, path, item, entry, errors=errors, expected=f"a mapping {shape}") is None:
            continue
        ok = unknown_keys(
            document,
            path,
            item,
            keys,
            subject=f"{entry}: unknown key",
            takes="each entry takes",
            errors=errors,
        )
        for key in keys:
            if key not in item:
                errors.append(spec_error(f"{section}[{index}]: {key!r} is required", document.at(path)))
                ok = False
            elif (*path, key) in document.broken:
                ok = False
        if ok:
            items.append((index, item))
    return items


def _address(
    document: Document, path: YamlPath, value: Any, what: str, errors: list[SpecError]
) -> tuple[str, AddressForm] | None:
    where = document.at(path)
    if not isinstance(value, str):
        got = describe(document, path, value)
        errors.append(spec_error(f"{what} must be an address" + (f", got {got}" if got else ""), where))
        return None
    form = address_form(value)
    if form is None:
        if value.startswith("data.") or ".data." in value:
            message = f"{what}: {value!r} is a data source, which has no record"
        else:
            try:
                parse_instance(value)
                message = f"{what}: {value!r} is not an address"
            except ValueError as exc:
                message = f"{what}: {exc}"
        errors.append(spec_error(message, where, hint=f"write {_ADDRESS_FORMS}"))
        return None
    return value, form


def read_moved(document: Document, value: Any, *, errors: list[SpecError]) -> list[MovedBlock]:
    """The ``moved:`` list of one file, each entry checked on its own (see :func:`check_blocks`)."""
    blocks: list[MovedBlock] = []
    for index, item in _items(document, "moved", value, ("from", "to"), errors):
        path: YamlPath = ("moved", index)
        source = _address(document, (*path, "from"), item["from"], f"moved[{index}].from", errors)
        to = _address(document, (*path, "to"), item["to"], f"moved[{index}].to", errors)
        if source is None or to is None:
            continue
        (old, old_form), (new, new_form) = source, to
        where = document.at((*path, "to"))
        if old == new:
            errors.append(spec_error(f"moved[{index}]: 'from' and 'to' are the same address {old!r}", where))
            continue
        if old_form.module != new_form.module:
            kinds = ("a module", "a resource") if old_form.module else ("a resource", "a module")
            errors.append(
                spec_error(f"moved[{index}]: {old!r} is {kinds[0]} but {new!r} is {kinds[1]}", where)
            )
            continue
        if old_form.type != new_form.type:
            message = (
                f"moved[{index}]: {old!r} (type {old_form.type}) and {new!r} (type {new_form.type}) differ"
            )
            errors.append(
                spec_error(message, where, hint="a record keeps its type: move it to the same type")
            )
            continue
        blocks.append(
            MovedBlock(
                source=old,
                to=new,
                location=document.at(path),
                source_location=document.at((*path, "from")),
                to_location=where,
            )
        )
    return blocks


def read_imports(document: Document, value: Any, *, errors: list[SpecError]) -> list[ImportBlock]:
    """The ``import:`` list of one file, each entry checked on its own (see :func:`check_blocks`)."""
    blocks: list[ImportBlock] = []
    for index, item in _items(document, "import", value, ("to", "id"), errors):
        path: YamlPath = ("import", index)
        to = _address(document, (*path, "to"), item["to"], f"import[{index}].to", errors)
        object_id = item["id"]
        id_where = document.at((*path, "id"))
        if isinstance(object_id, bool) or not isinstance(object_id, str | int) or object_id == "":
            got = describe(document, (*path, "id"), object_id)
            message = f"import[{index}].id must be the platform's id of the object (a string or a number)"
            errors.append(spec_error(message + (f", got {got}" if got else ""), id_where))
            continue
        if to is None:
            continue
        if to[1].module:
            errors.append(
                spec_error(
                    f"import[{index}].to must name one resource, not a module",
                    document.at((*path, "to")),
                    hint="write the address of the resource inside it: module.NAME[KEY].platform.type.name",
                )
            )
            continue
        blocks.append(
            ImportBlock(
                to=to[0],
                id=object_id,
                location=document.at(path),
                to_location=document.at((*path, "to")),
                id_location=id_where,
            )
        )
    return blocks


def _declared(address: str, resources: Collection[str]) -> bool:
    """Whether the spec declares ``address``: exactly, or as the resource or module its instances are in."""
    return address in resources or any(under(other, address) for other in resources)


def check_blocks(
    moved: list[MovedBlock], imports: list[ImportBlock], *, resources: Mapping[str, str]
) -> list[SpecError]:
    """What is wrong with the blocks of the whole spec, given every declared address (to its type)."""
    errors: list[SpecError] = []
    sources: dict[str, Location] = {}
    for index, block in enumerate(moved):
        if block.source in sources:
            message = f"moved from {block.source!r} is already written at {sources[block.source]}"
            errors.append(spec_error(message, block.source_location))
            continue
        sources[block.source] = block.source_location
        if block.source in resources:
            errors.append(
                spec_error(
                    f"moved from {block.source!r}, which is still a resource of the spec",
                    block.source_location,
                    hint=f"rename the resource to {block.to!r} in the spec, or remove this block",
                )
            )
        later = [other.source for other in moved[index + 1 :]]
        if not _declared(block.to, resources) and not any(under(block.to, source) for source in later):
            close = suggest(block.to, resources)
            hint = (
                f"did you mean {close!r}?"
                if close
                else "moved.to names where the resource now is in the spec"
            )
            errors.append(
                spec_error(f"moved to {block.to!r}, which is not in the spec", block.to_location, hint=hint)
            )
    targets: dict[str, Location] = {}
    for imported in imports:
        if imported.to in targets:
            message = f"import to {imported.to!r} is already written at {targets[imported.to]}"
            errors.append(spec_error(message, imported.to_location))
            continue
        targets[imported.to] = imported.to_location
        if imported.to not in resources:
            instances = sorted(other for other in resources if under(other, imported.to))
            close = instances[0] if instances else suggest(imported.to, resources)
            hint = f"did you mean {close!r}?" if close else "import.to names a resource of the spec"
            errors.append(
                spec_error(
                    f"import to {imported.to!r}, which is not a resource of the spec",
                    imported.to_location,
                    hint=hint,
                )
            )
    return errors
