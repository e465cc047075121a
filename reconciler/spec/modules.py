"""Modules: a YAML file of variables, providers, resources and outputs, used once or once per key.

    modules:
      market:
        source: modules/market.yaml       # relative to the file that says it
        for_each: ${var.markets}
        inputs:
          project: ${each.value.project}
          model: ${each.value.model}

A module file has the sections of a spec (``variables``, ``locals``,
``providers``, ``data``, ``resources``, ``modules``, ``outputs``; no ``state``: the
root spec's state keeps everything).  Each instance of a call is expanded
by the same stage as the root (:class:`~reconciler.spec.expand.Expander`),
in a scope of its own: the module's variables take their values from the
call's ``inputs``; every address gets the instance's prefix
(``module.market[se].alviss.refit.weekly``); a reference inside the module
names the module's own resource when it has one by that address (else an
address of the whole spec, as an input may pass one); ``provider: alviss``
names the module's own provider block when it declares one, else the one
the call's ``providers:`` maps it to, else the caller's of the same name.
The module's outputs are what the caller reads as
``${module.market[se].OUTPUT}``; one that names a resource of the module
becomes that resource's full address, so it can be referenced.

Every problem inside a module file is reported at its ``file:line:col`` and
names the instance it was met in (``(in module.market[se])``); the same
mistake in every instance is reported once, with the count of the others.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from reconciler.errors import SpecError
from reconciler.spec.document import Location
from reconciler.spec.entries import Entry, require_mapping
from reconciler.spec.expand import Declared, Expander, Lazy, Locals, Template
from reconciler.spec.expressions import Each, Evaluator, Scope, Unavailable, has_expression
from reconciler.spec.messages import describe, spec_error, unknown_keys, validation_errors
from reconciler.spec.names import parse_instance, parse_provider, suggest
from reconciler.spec.outputs import OUTPUT_NAME, OutputBody
from reconciler.spec.variables import module_variables
from reconciler.spec.yamlpos import Document, YamlPath, parse_yaml

__all__ = [
    "MODULE_SECTIONS",
    "Expansion",
    "ModuleCalls",
    "ModuleFiles",
    "bare_outputs",
    "check_mappings",
    "read_sections",
]

#: What a module call says.
CALL_KEYS = ("source", "inputs", "for_each", "providers")
#: The sections a module file may hold.
MODULE_SECTIONS = ("variables", "locals", "providers", "data", "resources", "modules", "outputs")
_SECTION_WHAT = {
    "variables": ("variables by name", "variable"),
    "locals": ("locals by name", "local"),
    "providers": ("provider instances", "provider"),
    "data": ("data sources by TYPE.NAME", "data source"),
    "resources": ("resources by address", "resource"),
    "modules": ("module calls by name", "module"),
    "outputs": ("outputs by name", "output"),
}


@dataclass
class ModuleFile:
    """One module's source as read: its file and where each name of each section is written."""

    path: Path
    shown: str
    sections: dict[str, Declared]


def read_sections(
    document: Document,
    sections: Mapping[str, Declared],
    *,
    section: str,
    value: Any,
    errors: list[SpecError],
) -> None:
    """Collect the names of one section of ``document`` into ``sections[section]``; duplicates reported."""
    what, kind = _SECTION_WHAT[section]
    if value is None:
        return
    body = require_mapping(
        document, (section,), value, repr(section), errors=errors, expected=f"a mapping of {what}"
    )
    if body is None:
        return
    seen = sections[section]
    for key in body:
        path = (section, key)
        if key in seen:
            first = seen[key][0].key_at(seen[key][1])
            errors.append(spec_error(f"{kind} {key!r} is already defined at {first}", document.key_at(path)))
        else:
            seen[key] = (document, path)


def _read_bytes(path: Path) -> tuple[str | None, str | None]:
    """The file's text, or why it cannot be read."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None, "not found"
    except IsADirectoryError:
        return None, "is a directory"
    except OSError as exc:
        return None, f"cannot be read: {exc.strerror or exc}"
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        return None, "is not valid UTF-8 text"


class ModuleFiles:
    """Reads each module file once, however many calls and instances use it."""

    def __init__(self, errors: list[SpecError]) -> None:
        self.errors = errors
        self.files: dict[Path, ModuleFile | None] = {}
        self.used: set[Path] = set()

    def first_use(self, module: ModuleFile) -> bool:
        """Whether this is the first instance of ``module`` (its declarations' mistakes are reported once)."""
        key = module.path.resolve()
        if key in self.used:
            return False
        self.used.add(key)
        return True

    def source(self, document: Document, path: YamlPath, value: Any, *, subject: str) -> Path | None:
        """The file a call's ``source`` names (relative to the calling file), or None (reported)."""
        where = document.at(path)
        if path in document.broken:
            return None
        if not isinstance(value, str) or not value.strip():
            got = describe(document, path, value)
            self.errors.append(
                spec_error(
                    f"{subject}: 'source' must be the path of a module file"
                    + (f", got {got}" if got else ""),
                    where,
                    hint="e.g. source: modules/market.yaml (relative to this file)",
                )
            )
            return None
        if has_expression(value):
            self.errors.append(
                spec_error(
                    f"{subject}: 'source' is a path written as it is, without ${{…}}",
                    where,
                    hint="a module's source is known before any variable is: give values in 'inputs:'",
                )
            )
            return None
        base = Path(document.file).parent
        target = base / Path(value).expanduser()
        if target.is_dir():
            self.errors.append(
                spec_error(
                    f"{subject}: source {value!r} is a directory; name the module's YAML file",
                    where,
                    hint=_files_hint(target),
                )
            )
            return None
        if not target.exists():
            near = _near(target)
            near = str(Path(value).parent / near) if near else None
            self.errors.append(
                spec_error(
                    f"{subject}: module file {value!r} not found (relative to {document.file})",
                    where,
                    hint=f"did you mean {near!r}?"
                    if near
                    else "a module's source is relative to the file that calls it",
                )
            )
            return None
        return target

    def load(self, target: Path) -> ModuleFile | None:
        key = target.resolve()
        if key in self.files:
            return self.files[key]
        shown = str(target)
        text, problem = _read_bytes(target)
        module: ModuleFile | None = None
        if text is None:
            self.errors.append(SpecError(f"the module file {problem}", file=shown, line=1, column=1))
        else:
            found: list[SpecError] = []
            document = parse_yaml(text, file=shown, errors=found)
            for error in found:  # parse_yaml speaks of a spec file; this one is a module's
                if error.message == "the spec file is empty":
                    error = SpecError(
                        "the module file is empty",
                        file=error.file,
                        line=error.line,
                        column=error.column,
                        hint="a module holds variables, resources and outputs (docs/language.md, Modules)",
                    )
                self.errors.append(error)
            if document is not None:
                module = self.read(document, target, shown)
        self.files[key] = module
        return module

    def read(self, document: Document, target: Path, shown: str) -> ModuleFile | None:
        top = require_mapping(
            document, (), document.value, "the top level of a module file", errors=self.errors
        )
        if top is None:
            return None
        sections: dict[str, Declared] = {section: {} for section in MODULE_SECTIONS}
        for key, value in top.items():
            where = document.key_at((key,))
            if key.startswith("x-") or key == "version":
                continue
            if key in MODULE_SECTIONS:
                read_sections(document, sections, section=key, value=value, errors=self.errors)
            elif key == "state":
                self.errors.append(
                    spec_error(
                        "a module has no 'state': the root spec's state keeps its resources",
                        where,
                        hint="remove it; set the state in the spec that calls the module",
                    )
                )
            else:
                close = suggest(key, MODULE_SECTIONS)
                hint = (
                    f"did you mean {close!r}?"
                    if close
                    else f"a module file takes: {', '.join(MODULE_SECTIONS)}, and x-… keys (ignored)"
                )
                self.errors.append(spec_error(f"unknown top-level key {key!r} in a module", where, hint=hint))
        return ModuleFile(path=target, shown=shown, sections=sections)


def _files_hint(directory: Path) -> str:
    found = sorted(p.name for p in directory.glob("*.y*ml"))[:5]
    return f"its YAML files: {', '.join(found)}" if found else "it holds no YAML file"


def _near(target: Path) -> str | None:
    parent = target.parent
    if not parent.is_dir():
        return None
    names = [p.name for p in parent.iterdir() if p.suffix in (".yaml", ".yml")]
    return suggest(target.name, names)


@dataclass(frozen=True)
class Mapped:
    """One entry of a call's ``providers:``: the module's name, the caller's instance it stands for."""

    label: str
    name: str
    written: str
    target: str
    where: Location


@dataclass
class Expansion:
    """What the module calls of a spec expand to, all instances of all modules together."""

    providers: dict[str, Entry] = field(default_factory=dict)
    resources: dict[str, Entry] = field(default_factory=dict)
    #: Data sources by ``data:`` key with the instance's prefix (``module.m[se].alviss.model.latest``).
    data: dict[str, Entry] = field(default_factory=dict)
    #: Each template with for_each (full address) → its instances.
    instances: dict[str, list[str]] = field(default_factory=dict)
    #: Every call's ``providers:`` entries (checked against the provider instances once all are known).
    mappings: list[Mapped] = field(default_factory=list)
    #: Whether some for_each or module could not be expanded (its instances are unknown).
    incomplete: bool = False


#: The provider instance a name used in a scope stands for (``alviss`` → ``module.m[se].alviss``).
Resolver = Callable[[str], str]


def _root_resolver(name: str) -> str:
    return name


def check_mappings(expansion: Expansion, declared: dict[str, str], *, errors: list[SpecError]) -> None:
    """Report each call's ``providers:`` entry naming an instance that is not defined, where it is
    written; the instance is then taken as declared, so the module's resources are not told again."""
    defined = dict(declared)
    for mapped in expansion.mappings:
        if mapped.target in defined:
            continue
        try:
            platform = parse_provider(mapped.target).platform
        except ValueError:
            continue
        close = suggest(mapped.target, [name for name, owner in defined.items() if owner == platform])
        listed = ", ".join(list(defined)[:10]) or "none"
        errors.append(
            spec_error(
                f"{mapped.label}: 'providers.{mapped.name}' names provider {mapped.written!r},"
                " which is not defined",
                mapped.where,
                hint=f"did you mean {close!r}?" if close else f"defined provider instances: {listed}",
            )
        )
        declared[mapped.target] = platform


class ModuleCalls(Lazy, Mapping[str, Any]):
    """The module calls of one scope; a call is expanded when first named (its outputs) or at the end.

    This is what ``${module.NAME…}`` reads: a call with for_each is a map of
    its instances' outputs by key, one without is its outputs.
    """

    noun = "module"
    cycle = "needs its own outputs"
    cycle_hint = "a module's inputs cannot read the outputs of a module that reads its own"

    def __init__(
        self,
        declared: Declared,
        *,
        evaluator: Evaluator,
        files: ModuleFiles,
        expansion: Expansion,
        errors: list[SpecError],
        prefix: str = "",
        stack: tuple[Path, ...] = (),
        resolver: Resolver = _root_resolver,
    ) -> None:
        #: The scope the calls' inputs are evaluated in (set by whoever owns the scope).
        super().__init__(declared, evaluator=evaluator, scope=Scope())
        self.files = files
        self.expansion = expansion
        self.errors = errors
        self.prefix = prefix
        self.stack = stack
        self.resolver = resolver

    # the Mapping protocol: names are the declared calls --------------------------------------------
    def __contains__(self, name: object) -> bool:
        return name in self.declared

    def __iter__(self) -> Iterator[str]:
        return iter(self.declared)

    def __len__(self) -> int:
        return len(self.declared)

    def __getitem__(self, name: str) -> Any:
        return self.resolve(name)

    def compute(self, name: str, document: Document, path: YamlPath) -> tuple[bool, Any]:
        value = self.expand(name, document, path)
        return value is not None, value

    def expand_all(self) -> None:
        """Expand the calls nothing named."""
        self.resolve_all()

    # one call ------------------------------------------------------------------------------------------
    def unknown(self) -> None:
        """None, for a call or instance whose resources could not be expanded (references to them
        are then unsure, and not checked)."""
        self.expansion.incomplete = True
        return None

    def expand(self, name: str, document: Document, path: YamlPath) -> Any:
        """The outputs of every instance of the call (a map by key with for_each); None if it failed."""
        full = f"{self.prefix}module.{name}"
        subject = full
        where = document.key_at(path)
        if not OUTPUT_NAME.fullmatch(name) or not name[0].islower() or name.lower() != name:
            self.errors.append(
                spec_error(
                    f"invalid module name {name!r}",
                    where,
                    hint="a module name is lowercase letters, digits, '_' and '-', starting with a letter",
                )
            )
            return self.unknown()
        body = require_mapping(
            document,
            path,
            document.value_at(path),
            subject,
            errors=self.errors,
            expected="a mapping with 'source' (and 'inputs', 'for_each', 'providers')",
        )
        if body is None:
            return self.unknown()
        ok = unknown_keys(
            document,
            path,
            body,
            CALL_KEYS,
            subject=f"{subject}: unknown key",
            takes="a module call takes",
            errors=self.errors,
        )
        if "source" not in body:
            self.errors.append(
                spec_error(
                    f"{subject}: field 'source' is required",
                    where,
                    hint="source: modules/market.yaml (the module's file, relative to this one)",
                )
            )
            return self.unknown()
        target = self.files.source(document, (*path, "source"), body["source"], subject=subject)
        if target is None or not ok:
            return self.unknown()
        resolved = target.resolve()
        if resolved in self.stack:
            chain = " → ".join(_shown(item) for item in (*self.stack, resolved))
            self.errors.append(
                spec_error(
                    f"{subject}: module {str(body['source'])!r} uses itself ({chain})",
                    document.at((*path, "source")),
                    hint="a module may call other modules, never one it is called from",
                )
            )
            return self.unknown()
        module = self.files.load(target)
        if module is None:
            return self.unknown()
        if "for_each" not in body:
            return self.instance(name, None, None, module, document, path, body)
        keys = Expander(self.evaluator, self.scope, errors=self.errors, prefix=f"{self.prefix}module.").keys(
            Template(document, path), body
        )
        if keys is None:
            return self.unknown()
        outputs: dict[str, Any] = {}
        failed = False
        for key, value in keys.items():  # every instance, so each one's mistakes are reported
            result = self.instance(name, key, value, module, document, path, body)
            failed = failed or result is None
            outputs[key] = result
        return None if failed else outputs

    def instance(
        self,
        name: str,
        key: str | None,
        each_value: Any,
        module: ModuleFile,
        document: Document,
        path: YamlPath,
        body: dict[str, Any],
    ) -> dict[str, Any] | None:
        """Expand one instance of a call: its outputs, or None (reported)."""
        label = f"{self.prefix}module.{name}" + (f"[{key}]" if key is not None else "")
        prefix = f"{label}."
        scope = self.scope
        if key is not None:
            scope = scope.with_each(Each(key, each_value), label=label)
        else:
            scope = dataclasses.replace(scope, label=label)
        # The call's own values, evaluated where it is written (its view: each instance its own).
        call = {k: v for k, v in body.items() if k in ("inputs", "providers")}
        view = document.view(path)
        evaluated = self.evaluator.evaluate(call, scope=scope, document=document, path=path, sink=view)
        if any(broken[: len(path)] == path for broken in view.broken):
            self.unknown()
            return None
        inputs = evaluated.get("inputs", {})
        if inputs is None:
            inputs = {}
        if not isinstance(inputs, dict):
            got = describe(document, (*path, "inputs"), inputs)
            self.errors.append(
                spec_error(
                    f"{label}: 'inputs' must be a mapping of the module's variables"
                    + (f", got {got}" if got else ""),
                    document.at((*path, "inputs")),
                )
            )
            self.unknown()
            return None
        mapping = self.provider_mapping(label, evaluated.get("providers"), document, path)
        if mapping is None:
            self.unknown()
            return None
        given = {
            input_name: (value, view, document.at(at), at)
            for input_name, value in inputs.items()
            for at in [(*path, "inputs", input_name)]
        }
        variables = module_variables(
            module.sections["variables"],
            inputs=given,
            call=document.key_at(path),
            label=label,
            module=module.shown,
            errors=self.errors,
            declared_once=self.files.first_use(module),
        )
        for secret in variables.sensitive:  # masked in every message of the load, as the root's are
            if secret in variables.values:
                self.evaluator.secrets.update(_texts(variables.values[secret]))
        # A fresh copy of the module's values per instance: locals and templates are evaluated in it.
        own = _instance_sections(module.sections)
        inner = Scope(
            variables=variables.values,
            sensitive=frozenset(variables.sensitive),
            failed=frozenset(variables.failed),
            label=label,
        )
        locals_ = Locals(own["locals"], evaluator=self.evaluator, scope=inner)
        inner = locals_.scope
        declared_providers = {parse_provider(k).block if _parses(k) else k for k in own["providers"]}

        def resolve(used: str) -> str:
            try:
                block = parse_provider(used).block
            except ValueError:
                return used
            if block in declared_providers:
                return prefix + used
            if used in mapping:
                return mapping[used]
            return self.resolver(used)

        calls = ModuleCalls(
            own["modules"],
            evaluator=self.evaluator,
            files=self.files,
            expansion=self.expansion,
            errors=self.errors,
            prefix=prefix,
            stack=(*self.stack, module.path.resolve()),
            resolver=resolve,
        )
        inner = dataclasses.replace(inner, modules=calls)
        calls.scope = inner
        locals_.scope = dataclasses.replace(locals_.scope, modules=calls)
        locals_.evaluate_all()
        expander = Expander(self.evaluator, inner, errors=self.errors, prefix=prefix, in_place=False)
        providers = expander.providers(_templates(own["providers"]))
        resources = expander.resources(_templates(own["resources"]))
        data = expander.resources(_templates(own["data"]))
        calls.expand_all()
        if expander.incomplete:
            self.expansion.incomplete = True
        local = {address[len(prefix) :] for address in resources} | {
            address[len(prefix) :] for address in expander.instances
        }
        local |= {f"data.{address[len(prefix) :]}" for address in data}
        for entry in [*resources.values(), *data.values()]:
            self.settle_resource(entry, prefix=prefix, local=local, resolve=resolve, calls=calls)
        self.expansion.providers.update(providers)
        self.expansion.resources.update(resources)
        self.expansion.data.update(data)
        self.expansion.instances.update(expander.instances)
        return self.outputs(own["outputs"], inner, prefix=prefix, local=local, calls=calls)

    def provider_mapping(
        self, label: str, value: Any, document: Document, path: YamlPath
    ) -> dict[str, str] | None:
        """The call's ``providers:`` (module's name → the caller's instance), resolved in the caller."""
        if value is None:
            return {}
        where = document.at((*path, "providers"))
        if not isinstance(value, dict):
            self.errors.append(
                spec_error(
                    f"{label}: 'providers' must map the module's provider names to this file's",
                    where,
                    hint="e.g. providers: {alviss: alviss.se}",
                )
            )
            return None
        mapping: dict[str, str] = {}
        for inner_name, outer in value.items():
            at = document.at((*path, "providers", inner_name))
            try:
                parse_provider(inner_name)
                if not isinstance(outer, str):
                    raise ValueError(f"'providers.{inner_name}' must name a provider instance")
                parse_provider(outer)
            except ValueError as exc:
                self.errors.append(spec_error(f"{label}: {exc}", at))
                return None
            mapping[inner_name] = self.resolver(outer)
            self.expansion.mappings.append(
                Mapped(label=label, name=inner_name, written=outer, target=mapping[inner_name], where=at)
            )
        return mapping

    def settle_resource(
        self, entry: Entry, *, prefix: str, local: set[str], resolve: Resolver, calls: ModuleCalls
    ) -> None:
        """Point a module resource at its provider instance and its references at the module's resources
        (and at what a module it calls outputs, when written bare: ``module.leaf.sales``)."""
        body = entry.body
        if not isinstance(body, dict):
            return
        try:
            platform = parse_instance(entry.key).platform
        except ValueError:
            return
        written = body.get("provider", platform)
        if isinstance(written, str) and (*entry.path, "provider") not in entry.document.broken:
            body["provider"] = resolve(written)
        for key, value in list(body.items()):
            if key not in ("provider", "for_each"):
                body[key] = _prefixed(bare_outputs(value, calls), prefix, local)

    def outputs(
        self, declared: Declared, scope: Scope, *, prefix: str, local: set[str], calls: ModuleCalls
    ) -> dict[str, Any] | None:
        """The instance's outputs by name: values evaluated in its scope, its addresses made whole."""
        found: dict[str, Any] = {}
        ok = True
        for name, (document, path) in declared.items():
            subject = f"output {name!r} of module {scope.label!r}"
            body = require_mapping(
                document,
                path,
                document.value_at(path),
                subject,
                errors=self.errors,
                expected="a mapping with 'value' (and optional 'description', 'sensitive')",
            )
            if body is None:
                ok = False
                continue
            try:
                OutputBody.model_validate(body)
            except ValidationError as exc:
                self.errors.extend(
                    validation_errors(exc, document=document, base=path, subject=subject, model=OutputBody)
                )
                ok = False
                continue
            view = document.view(path)
            value = self.evaluator.evaluate(
                body.get("value"), scope=scope, document=document, path=(*path, "value"), sink=view
            )
            if view.broken:
                ok = False
                continue
            if body.get("sensitive") is True:  # masked in every message of the load, as a secret is
                self.evaluator.secrets.update(_texts(value))
            found[name] = _prefixed(bare_outputs(value, calls), prefix, local)
        return found if ok else None


#: A module output written as Terraform writes it, without ``${…}``: ``module.market[se].refit``.
_BARE = re.compile(
    r"module\.([a-z][a-z0-9_-]*)(?:\[([A-Za-z0-9_][A-Za-z0-9_.-]*)\])?\.([A-Za-z_][A-Za-z0-9_-]*)"
)


def bare_outputs(value: Any, calls: Mapping[str, Any]) -> Any:
    """``value`` with each string that names an output of one of ``calls`` (``module.NAME[KEY].OUTPUT``,
    as Terraform writes it) replaced by that output, as ``${module.NAME[KEY].OUTPUT}`` would be.

    Only a string naming an output that exists is replaced: anything else stays as written (and a
    reference that names nothing is then reported where it is checked).
    """
    if isinstance(value, str):
        found = _BARE.fullmatch(value) if value.startswith("module.") else None
        if found is None:
            return value
        name, key, output = found.groups()
        if name not in calls:
            return value
        try:
            outputs = calls[name]
        except Unavailable:
            return value
        if key is not None:
            outputs = outputs.get(key) if isinstance(outputs, dict) else None
        if isinstance(outputs, dict) and output in outputs:
            return outputs[output]
        return value
    if isinstance(value, list):
        return [bare_outputs(item, calls) for item in value]
    if isinstance(value, dict):
        return {key: bare_outputs(item, calls) for key, item in value.items()}
    return value


def _texts(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value} if value else set()
    if isinstance(value, list):
        return {text for item in value for text in _texts(item)}
    if isinstance(value, dict):
        return {text for item in value.values() for text in _texts(item)}
    return set()


def _shown(path: Path) -> str:
    """A file as a message names it: relative to the working directory when it is below it."""
    try:
        return str(path.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _parses(name: str) -> bool:
    try:
        parse_provider(name)
    except ValueError:
        return False
    return True


def _prefixed(value: Any, prefix: str, local: set[str]) -> Any:
    """``value`` with every string naming one of the module's resources (``local``), or one of its
    outputs (``alviss.refit.weekly.model_id``), made whole."""
    if isinstance(value, str):
        if value in local:
            return prefix + value
        head, dot, tail = value.rpartition(".")
        return prefix + value if dot and head in local and tail.isidentifier() else value
    if isinstance(value, list):
        return [_prefixed(item, prefix, local) for item in value]
    if isinstance(value, dict):
        return {key: _prefixed(item, prefix, local) for key, item in value.items()}
    return value


def _instance_sections(sections: Mapping[str, Declared]) -> dict[str, Declared]:
    """The module's sections over copies of its documents: what one instance evaluates in place."""
    copies: dict[int, Document] = {}
    own: dict[str, Declared] = {}
    for section, declared in sections.items():
        own[section] = {}
        for name, (document, path) in declared.items():
            twin = copies.get(id(document))
            if twin is None:
                twin = document.view(())
                twin.value = copy.deepcopy(document.value)
                twin.sources = dict(document.sources)
                copies[id(document)] = twin
            own[section][name] = (twin, path)
    return own


def _templates(declared: Declared) -> list[Template]:
    return [Template(document, path) for document, path in declared.values()]
