"""Turning one provider instance or one resource, as written, into its validated spec.

Each entry is checked in the order a person reads it: the key (name grammar,
known platform or type), the body (a mapping), the meta-arguments
(``provider``, ``depends_on``, ``lifecycle``) and then the type's own model.  The
meta-arguments are removed before the model sees the body, so no model has
to declare them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from reconciler.errors import SpecError
from reconciler.spec.blocks import read_lifecycle
from reconciler.spec.checks import Check, read_checks
from reconciler.spec.document import Lifecycle, Location, ProviderSpec, ResourceSpec, SpecRegistry
from reconciler.spec.messages import describe, require_mapping, spec_error, validation_errors
from reconciler.spec.names import parse_instance, parse_provider, suggest
from reconciler.spec.yamlpos import Document, YamlPath

__all__ = ["Entry", "EntryBuilder", "require_mapping"]

META_ARGUMENTS = ("provider", "depends_on", "lifecycle", "for_each", "checks")


@dataclass(frozen=True)
class Entry:
    """One provider or resource: its path (``("resources", key)``) in its document, and its address.

    A template's instances (``for_each``, modules) share the template's path
    (so every error points at what was written) in a document of their own
    values; ``address`` is then the instance's (``alviss.refit.weekly[no]``).
    """

    document: Document
    path: YamlPath
    address: str | None = None

    @property
    def key(self) -> str:
        """The address: the instance's, or the key as written."""
        return self.address if self.address is not None else str(self.path[-1])

    @property
    def body(self) -> Any:
        section: dict[str, Any] = self.document.value[self.path[0]]
        return section[str(self.path[-1])]

    @property
    def location(self) -> Location:
        return self.document.key_at(self.path)

    def broken(self) -> bool:
        """Whether an interpolation failed (and was reported) somewhere in the body."""
        prefix = len(self.path)
        return any(path[:prefix] == self.path for path in self.document.broken)


class EntryBuilder:
    """Builds providers and resources against a registry, adding what is wrong to ``errors``."""

    def __init__(self, registry: SpecRegistry, *, errors: list[SpecError]) -> None:
        self.registry = registry
        self.errors = errors

    def error(self, message: str, where: Location, *, hint: str | None = None) -> None:
        self.errors.append(spec_error(message, where, hint=hint))

    def validate(
        self, model: type[BaseModel], data: dict[str, Any], entry: Entry, subject: str
    ) -> BaseModel | None:
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            self.errors.extend(
                validation_errors(exc, document=entry.document, base=entry.path, subject=subject, model=model)
            )
            return None

    # -- providers ---------------------------------------------------------------------------------

    def provider(self, entry: Entry) -> ProviderSpec | None:
        try:
            platform = parse_provider(entry.key).platform
        except ValueError as exc:
            self.error(str(exc), entry.location)
            return None
        model = self.registry.providers.get(platform)
        if model is None:
            close = suggest(platform, self.registry.providers)
            known = ", ".join(sorted(self.registry.providers)) or "none"
            hint = f"did you mean {close!r}?" if close else f"known platforms: {known}"
            self.error(f"unknown platform {platform!r}", entry.location, hint=hint)
            return None
        subject = f"provider {entry.key!r}"
        body = require_mapping(
            entry.document, entry.path, entry.body, f"{subject}: settings", errors=self.errors
        )
        if body is None:
            return None
        config = self.validate(model, body, entry, subject)
        if config is None or entry.broken():
            return None
        return ProviderSpec(name=entry.key, platform=platform, config=config, location=entry.location)

    # -- resources ---------------------------------------------------------------------------------

    def resource(self, entry: Entry, *, declared: Mapping[str, str]) -> ResourceSpec | None:
        """The resource, or None (reported); ``declared`` maps provider instance names to platforms."""
        return self._built(entry, declared=declared, data_source=False)

    def data_source(self, entry: Entry, *, declared: Mapping[str, str]) -> ResourceSpec | None:
        """The data source (``data:`` key ``alviss.model.NAME``, address ``data.alviss.model.NAME``)."""
        return self._built(entry, declared=declared, data_source=True)

    def _built(self, entry: Entry, *, declared: Mapping[str, str], data_source: bool) -> ResourceSpec | None:
        address = entry.key
        what, models = (
            ("data source", self.registry.data) if data_source else ("resource", self.registry.resources)
        )
        try:
            parsed = parse_instance(address)
            if data_source and not parsed.data:
                parsed = dataclasses.replace(parsed, data=True)
                address = str(parsed)
        except ValueError as exc:
            self.error(str(exc), entry.location)
            return None
        platform, name, type_ = parsed.platform, parsed.name, parsed.type
        model = models.get(type_)
        if model is None:
            close = suggest(type_, models)
            known = ", ".join(sorted(models))
            hint = f"did you mean {close!r}?" if close else f"known types: {known}"
            self.error(f"unknown {what} type {type_!r}", entry.location, hint=hint)
            return None
        body = require_mapping(
            entry.document, entry.path, entry.body, f"{address}: settings", errors=self.errors
        )
        if body is None:
            return None
        provider = self.provider_of(entry, platform, body, declared=declared)
        depends_on = self.depends_on(entry, body.get("depends_on", [])) if not data_source else ()
        lifecycle: Lifecycle | None = Lifecycle()
        if "lifecycle" in body and not data_source:
            lifecycle = read_lifecycle(
                entry.document,
                (*entry.path, "lifecycle"),
                body["lifecycle"],
                subject=address,
                model=model,
                errors=self.errors,
            )
        checks: tuple[Check, ...] | None = ()
        if "checks" in body and not data_source:
            checks = read_checks(
                entry.document,
                (*entry.path, "checks"),
                body["checks"],
                subject=address,
                type_name=type_,
                model=model,
                errors=self.errors,
            )
        meta = ("provider",) if data_source else META_ARGUMENTS
        data = {key: value for key, value in body.items() if key not in meta}
        config = self.validate(model, data, entry, address)
        if config is None or depends_on is None or lifecycle is None or checks is None or entry.broken():
            return None
        locations = entry.document.under(entry.path)
        return ResourceSpec(
            address=address,
            type=type_,
            name=name,
            # A bad provider is already reported, so this spec is only used to check references.
            provider=provider or "",
            config=config,
            depends_on=depends_on,
            location=entry.location,
            field_locations=locations,
            lifecycle=lifecycle,
            checks=checks,
        )

    def provider_of(
        self, entry: Entry, platform: str, body: dict[str, Any], *, declared: Mapping[str, str]
    ) -> str | None:
        """The provider instance the resource uses, or None (reported) when there is no valid one."""
        if "provider" not in body:
            if platform in declared:
                return platform
            hint = self.default_provider_hint(platform, declared)
            self.error(
                f"{entry.key}: no provider instance {platform!r} is defined", entry.location, hint=hint
            )
            return None
        path = (*entry.path, "provider")
        value = body["provider"]
        if path in entry.document.broken:
            return None
        where = entry.document.at(path)
        shown = describe(entry.document, path, value)
        if not isinstance(value, str):
            got = f", got {shown}" if shown else ""
            self.error(f"{entry.key}: 'provider' must be the name of a provider instance{got}", where)
            return None
        if value not in declared:
            close = suggest(value, [name for name, owner in declared.items() if owner == platform])
            names = list(declared)
            listed = (
                ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "") or "none"
            )
            hint = f"did you mean {close!r}?" if close else f"defined provider instances: {listed}"
            self.error(f"{entry.key}: provider {shown} is not defined", where, hint=hint)
            return None
        if declared[value] != platform:
            message = f"{entry.key}: provider {shown} is for platform {declared[value]!r}, not {platform!r}"
            self.error(message, where)
            return None
        return value

    def default_provider_hint(self, platform: str, declared: Mapping[str, str]) -> str:
        model = self.registry.providers.get(platform)
        fields = model.model_fields.items() if model is not None else []
        block = "".join(f"\n        {info.alias or name}: ..." for name, info in fields if info.is_required())
        hint = f"add it to the spec:\n    providers:\n      {platform}:{block or ' {}'}"
        aliases = [name for name, owner in declared.items() if owner == platform]
        if aliases:
            hint += f"\n  or choose an instance with 'provider:' ({', '.join(aliases)})"
        return hint

    def depends_on(self, entry: Entry, value: Any) -> tuple[str, ...] | None:
        path = (*entry.path, "depends_on")
        if path in entry.document.broken:
            return None
        if not isinstance(value, list):
            got = describe(entry.document, path, value)
            message = f"{entry.key}: 'depends_on' must be a list of resource addresses"
            self.error(message + (f", got {got}" if got else ""), entry.document.at(path))
            return None
        ok = True
        for index, item in enumerate(value):
            if (*path, index) in entry.document.broken:
                ok = False
            elif not isinstance(item, str):
                got = describe(entry.document, (*path, index), item)
                message = f"{entry.key}: 'depends_on[{index}]' must be a resource address"
                self.error(message + (f", got {got}" if got else ""), entry.document.at((*path, index)))
                ok = False
        return tuple(value) if ok else None
