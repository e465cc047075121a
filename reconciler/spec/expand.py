"""The expansion stage: locals, then every provider and resource template into its instances.

After YAML, loading evaluates the spec into flat entries, one per instance,
each with every ``${…}`` resolved: a resource or provider with ``for_each``
becomes one entry per key (``alviss.refit.weekly[se]``), each in a document
of its own values that keeps the template's places, so an error in an
instance is reported at ``file:line:col`` of what was written, naming the
instance.  Everything after this stage (models, references, the engine, the
state) sees only instances with their full addresses.

    resources:
      alviss.refit.weekly:
        for_each: ${var.markets}          # a map (keys become instance keys) or a list of strings
        provider: alviss.market[${each.key}]
        model: ${each.value.model}

Modules call the same stage with their own scope and an address prefix
(``module.market[se].``): :class:`Expander` is the piece to reuse.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from reconciler.errors import SpecError
from reconciler.spec.entries import Entry
from reconciler.spec.expressions import Each, Evaluator, Scope, Unavailable, kind_of
from reconciler.spec.messages import describe, spec_error
from reconciler.spec.names import check_key, parse_address, parse_provider
from reconciler.spec.yamlpos import Document, YamlPath

__all__ = ["Declared", "Expander", "Locals", "Template"]

#: Where each name of a section is written: name → (document, path of its value).
Declared = dict[str, tuple[Document, YamlPath]]

_NO_EACH_IN_FOR_EACH = "'each' is not available in for_each itself (it is what for_each defines)"


@dataclass(frozen=True)
class Template:
    """One provider or resource as written: its path (``("resources", key)``) in its document."""

    document: Document
    path: YamlPath

    @property
    def key(self) -> str:
        return str(self.path[-1])

    @property
    def body(self) -> Any:
        return self.document.value_at(self.path)


def _set_at(document: Document, path: YamlPath, value: Any) -> None:
    target: Any = document.value
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value


def _broken_under(document: Document, path: YamlPath) -> bool:
    return any(broken[: len(path)] == path for broken in document.broken)


class Lazy:
    """Named values of one scope, each worked out once when first named (or at the end): locals and
    module calls.  A name that needs itself, through others or not, is reported once, at the first
    one of the ring, and every name of the ring is then unavailable."""

    #: What a cycle is called in its message ("local", "module") and the hint that goes with it.
    noun = ""
    cycle = "refers to itself"
    cycle_hint: str | None = None

    def __init__(self, declared: Declared, *, evaluator: Evaluator, scope: Scope) -> None:
        self.declared = declared
        self.evaluator = evaluator
        self.scope = scope
        self.known: dict[str, Any] = {}
        self.failed: set[str] = set()
        self.active: list[str] = []

    def compute(self, name: str, document: Document, path: YamlPath) -> tuple[bool, Any]:
        """(worked, value) of one name: ``worked`` is False when its mistakes were reported."""
        raise NotImplementedError

    def resolve(self, name: str) -> Any:
        if name in self.known:
            return self.known[name]
        if name in self.failed:
            raise Unavailable(name)
        if name not in self.declared:
            raise KeyError(name)
        document, path = self.declared[name]
        if name in self.active:
            ring = [*self.active[self.active.index(name) :], name]
            self.evaluator.fail(
                f"{self.noun} {name!r} {self.cycle}: " + " → ".join(f"{self.noun}.{item}" for item in ring),
                document=document,
                path=path,
                scope=self.scope,
                hint=self.cycle_hint,
            )
            self.failed.update(ring)
            raise Unavailable(name)
        self.active.append(name)
        try:
            worked, value = self.compute(name, document, path)
        finally:
            self.active.pop()
        if not worked or name in self.failed:
            self.failed.add(name)
            raise Unavailable(name)
        self.known[name] = value
        return value

    def resolve_all(self) -> None:
        """Work out the names nothing named, so their mistakes are reported too."""
        for name in self.declared:
            with contextlib.suppress(Unavailable):
                self.resolve(name)


class Locals(Lazy):
    """The ``locals:`` of one scope, each evaluated once when first named (or at the end)."""

    noun = "local"

    def __init__(self, declared: Declared, *, evaluator: Evaluator, scope: Scope) -> None:
        super().__init__(declared, evaluator=evaluator, scope=scope)
        self.scope = replace(scope, locals=self, local_names=tuple(declared))

    def __call__(self, name: str) -> Any:
        return self.resolve(name)

    def compute(self, name: str, document: Document, path: YamlPath) -> tuple[bool, Any]:
        value = self.evaluator.evaluate(
            document.value_at(path), scope=self.scope, document=document, path=path
        )
        if _broken_under(document, path):
            return False, None
        _set_at(document, path, value)
        return True, value

    def evaluate_all(self) -> None:
        """Evaluate the locals nothing named, so their mistakes are reported too."""
        self.resolve_all()


class Expander:
    """Expands the provider and resource templates of one scope into their instances.

    ``prefix`` (``module.market[se].``) goes in front of every address;
    ``in_place`` evaluates a template without ``for_each`` into its own
    document (the root spec; a module's templates are expanded once per
    module instance, so each instance gets a document of its own).
    """

    def __init__(
        self,
        evaluator: Evaluator,
        scope: Scope,
        *,
        errors: list[SpecError],
        prefix: str = "",
        in_place: bool = True,
    ) -> None:
        self.evaluator = evaluator
        self.scope = scope
        self.errors = errors
        self.prefix = prefix
        self.in_place = in_place and not prefix
        #: Whether some for_each could not be evaluated: its instances are unknown (references unsure).
        self.incomplete = False
        #: Each template with for_each (full address) → its instances' addresses, in order.
        self.instances: dict[str, list[str]] = {}

    def providers(self, templates: Iterable[Template]) -> dict[str, Entry]:
        found: dict[str, Entry] = {}
        for template in templates:
            try:
                parsed = parse_provider(template.key)
                if parsed.key is not None or parsed.modules:
                    raise ValueError(
                        f"invalid provider name {template.key!r}: instances ([KEY]) come from for_each"
                    )
            except ValueError as exc:
                self.errors.append(spec_error(str(exc), template.document.key_at(template.path)))
                continue
            body = template.body
            if isinstance(body, dict) and "for_each" in body and parsed.alias is None:
                self.errors.append(
                    spec_error(
                        f"provider {template.key!r}: for_each needs a provider with an alias",
                        template.document.key_at((*template.path, "for_each")),
                        hint=f"write {template.key}.NAME (its instances are {template.key}.NAME[KEY])",
                    )
                )
                continue
            found.update(self.expand(template))
        return found

    def resources(self, templates: Iterable[Template]) -> dict[str, Entry]:
        found: dict[str, Entry] = {}
        for template in templates:
            try:
                parse_address(template.key)
            except ValueError as exc:
                self.errors.append(spec_error(str(exc), template.document.key_at(template.path)))
                continue
            found.update(self.expand(template))
        return found

    def expand(self, template: Template) -> dict[str, Entry]:
        """The template's entries: one, or one per ``for_each`` key; problems are reported."""
        document, path = template.document, template.path
        body = template.body
        address = self.prefix + template.key
        if not isinstance(body, dict) or "for_each" not in body:
            if self.in_place:
                value = self.evaluator.evaluate(body, scope=self.scope, document=document, path=path)
                _set_at(document, path, value)
                return {address: Entry(document, path)}
            view = document.view(path)
            value = self.evaluator.evaluate(body, scope=self.scope, document=document, path=path, sink=view)
            view.value = {path[0]: {template.key: value}}
            return {address: Entry(view, path, address=address if self.prefix else None)}
        keys = self.keys(template, body)
        if keys is None:
            self.incomplete = True
            return {}
        rest = {key: value for key, value in body.items() if key != "for_each"}
        entries: dict[str, Entry] = {}
        for key, value in keys.items():
            instance = f"{address}[{key}]"
            scope = self.scope.with_each(Each(key, value), label=instance)
            view = document.view(path)
            evaluated = self.evaluator.evaluate(rest, scope=scope, document=document, path=path, sink=view)
            view.value = {path[0]: {template.key: evaluated}}
            entries[instance] = Entry(view, path, address=instance)
        self.instances[address] = list(entries)
        return entries

    def keys(self, template: Template, body: dict[str, Any]) -> dict[str, Any] | None:
        """The instance keys and values of ``for_each``; None when it is wrong (reported)."""
        document = template.document
        path = (*template.path, "for_each")
        sink = document.view(path)
        scope = replace(self.scope, each=None, no_each=_NO_EACH_IN_FOR_EACH)
        value = self.evaluator.evaluate(
            body["for_each"], scope=scope, document=document, path=path, sink=sink
        )
        document.sources.update(sink.sources)
        if sink.broken:
            return None
        where = document.at(path)
        label = f" (in {self.scope.label})" if self.scope.label else ""
        subject = f"{self.prefix}{template.key}: 'for_each'"
        if isinstance(value, dict):
            keys = {str(key): item for key, item in value.items()}
        elif isinstance(value, list):
            keys = {}
            for index, item in enumerate(value):
                if not isinstance(item, str):
                    got = (
                        describe(document, (*path, index), item)
                        if not isinstance(item, dict | list)
                        else None
                    )
                    shown = got or ("a mapping" if isinstance(item, dict) else "a list")
                    self.errors.append(
                        spec_error(
                            f"{subject} must be a map or a list of strings; item {index} is {shown}{label}",
                            document.at((*path, index)),
                            hint="give a map to key instances by something else than a string",
                        )
                    )
                    return None
                if item in keys:
                    self.errors.append(
                        spec_error(
                            f"{subject}: {item!r} is in the list twice{label}", document.at((*path, index))
                        )
                    )
                    return None
                keys[item] = item
        else:
            got = kind_of(value)
            self.errors.append(
                spec_error(
                    f"{subject} must be a map or a list of strings, got {got}{label}",
                    where,
                    hint="for_each: ${var.markets} (a map: its keys become instance keys)"
                    " or for_each: [se, no]",
                )
            )
            return None
        for key in keys:
            problem = check_key(key)
            if problem is not None:
                self.errors.append(
                    spec_error(
                        f"{subject}: {problem}{label}", where, hint="keys name instances: TYPE.NAME[KEY]"
                    )
                )
                return None
        return keys
