"""Loading spec files into a validated :class:`Spec`, or every problem at once.

A person fixing a spec wants the whole list of mistakes in one run, each at
``file:line:col``, not one per attempt; so loading collects errors through
all its stages (YAML, structure, variables, expansion, models, references) and
raises a single :class:`~reconciler.errors.SpecErrors` at the end.  A stage
that depends on an earlier one being sound stays quiet about what that stage
already reported (a resource whose provider failed to validate is not also
told that its provider is missing).

Expansion (:mod:`reconciler.spec.expand`) evaluates variables, locals and
``for_each`` into one entry per instance, each with its full address; the
models and the reference checks see only those.

The spec layer knows no platform: provider and resource models come from the
:class:`SpecRegistry` the providers build.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from reconciler.errors import SpecError, SpecErrors
from reconciler.redact import Redactor, remember
from reconciler.spec.blocks import check_blocks, read_imports, read_moved
from reconciler.spec.document import (
    ImportBlock,
    Location,
    MovedBlock,
    ProviderSpec,
    ResourceSpec,
    Spec,
    SpecRegistry,
    StateConfig,
)
from reconciler.spec.entries import Entry, EntryBuilder, require_mapping
from reconciler.spec.expand import Declared, Expander, Locals, Template
from reconciler.spec.expressions import Evaluator, Scope
from reconciler.spec.files import check_files
from reconciler.spec.messages import describe, spec_error, validation_errors
from reconciler.spec.modules import Expansion, ModuleCalls, ModuleFiles, bare_outputs, check_mappings
from reconciler.spec.names import parse_instance, parse_provider, suggest, type_of
from reconciler.spec.outputs import read_outputs
from reconciler.spec.refcheck import check_references
from reconciler.spec.variables import VarInputs, read_variables
from reconciler.spec.yamlpos import Document, YamlPath, parse_yaml

__all__ = ["VarInputs", "load_spec"]

SPEC_VERSION = 1
_TOP_LEVEL = (
    "version",
    "state",
    "variables",
    "locals",
    "providers",
    "data",
    "resources",
    "modules",
    "outputs",
    "moved",
    "import",
)
#: Top-level sections that map names to bodies, collected from every file of the spec.
_NAMED_SECTIONS = ("variables", "locals", "providers", "data", "resources", "modules", "outputs")
_SECTION_WHAT = {
    "variables": "variables by name",
    "locals": "locals by name",
    "providers": "provider instances",
    "data": "data sources by TYPE.NAME",
    "resources": "resources by address",
    "modules": "module calls by name",
    "outputs": "outputs by name",
}
_SECTION_KIND = {
    "variables": "variable",
    "locals": "local",
    "providers": "provider",
    "data": "data source",
    "resources": "resource",
    "modules": "module",
    "outputs": "output",
}
#: An instance key in a message (``alviss.refit.weekly[se]``): errors differing only there are one mistake.
_INSTANCE = re.compile(r"\[[A-Za-z0-9_][A-Za-z0-9_.-]*\]")


def load_spec(
    source: str | Path | Sequence[str | Path],
    *,
    registry: SpecRegistry,
    environ: Mapping[str, str] | None = None,
    data_files: bool = True,
    variables: VarInputs | None = None,
) -> Spec:
    """Load a spec file, every ``*.yaml``/``*.yml`` of a directory, or a list of files; raises SpecErrors.

    ``data_files=False`` leaves out the check that every data file exists and
    is a regular file: for commands that only find and edit the state
    (``state …``, ``force-unlock``), which a CSV missing for a while must not block.
    ``variables``: the values given from outside (``--var``, ``--var-file``, a saved plan).
    """
    files = _spec_files(source)
    loader = _Loader(registry, os.environ if environ is None else environ, variables or VarInputs())
    return loader.load(files, data_files=data_files)


def _spec_files(source: str | Path | Sequence[str | Path]) -> list[Path]:
    items = [source] if isinstance(source, str | Path) else list(source)
    files: list[Path] = []
    errors: list[SpecError] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
            if not found:
                errors.append(
                    SpecError(
                        "no *.yaml or *.yml spec files in this directory", file=str(path), line=1, column=1
                    )
                )
            files.extend(found)
        else:
            files.append(path)
    if not items:
        errors.append(SpecError("no spec files given", file="<spec>", line=1, column=1))
    if errors:
        raise SpecErrors(errors)
    unique = {
        file.absolute(): file for file in reversed(files)
    }  # the first mention of a file keeps its place
    return [file for file in files if unique[file.absolute()] is file]


def _read(path: Path, errors: list[SpecError]) -> str | None:
    file = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        errors.append(SpecError("spec file not found", file=file, line=1, column=1))
        return None
    except OSError as exc:
        errors.append(
            SpecError(f"cannot read the spec file: {exc.strerror or exc}", file=file, line=1, column=1)
        )
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line_start = before.rfind(b"\n") + 1
        column = len(before[line_start:].decode("utf-8", errors="replace")) + 1
        errors.append(
            SpecError(
                "the spec file is not valid UTF-8 text",
                file=file,
                line=before.count(b"\n") + 1,
                column=column,
            )
        )
        return None


class _Loader:
    """One load: the registry, the environment, the variable values given, and the errors found so far."""

    def __init__(self, registry: SpecRegistry, environ: Mapping[str, str], inputs: VarInputs) -> None:
        self.registry = registry
        self.environ = environ
        self.inputs = inputs
        self.errors: list[SpecError] = []
        self.evaluator = Evaluator(environ=environ, errors=self.errors)
        self.version: tuple[int, Location] | None = None
        self.state: tuple[StateConfig, Location] | None = None
        self.singles: list[
            tuple[Document, str]
        ] = []  # version, state, moved, import: read once the scope is known
        self.sections: dict[str, Declared] = {section: {} for section in _NAMED_SECTIONS}
        self.providers: dict[str, Entry] = {}
        self.resources: dict[str, Entry] = {}
        self.outputs: dict[str, Entry] = {}
        self.moved: list[MovedBlock] = []
        self.imports: list[ImportBlock] = []
        self.data: dict[str, Entry] = {}

    def error(self, message: str, where: Location, *, hint: str | None = None) -> None:
        self.errors.append(spec_error(message, where, hint=hint))

    def load(self, files: list[Path], *, data_files: bool = True) -> Spec:
        documents: list[Document] = []
        for path in files:
            text = _read(path, self.errors)
            document = parse_yaml(text, file=str(path), errors=self.errors) if text is not None else None
            if document is not None:
                documents.append(document)
        sound = len(documents) == len(files)
        for document in documents:
            self.top_level(document)
        anchor = Location(str(files[0]), 1, 1) if files else Location("<spec>", 1, 1)
        variables = read_variables(
            self.sections["variables"],
            inputs=self.inputs,
            environ=self.environ,
            errors=self.errors,
            anchor=anchor,
            complete=sound,
        )
        scope = Scope(
            variables=variables.values,
            sensitive=frozenset(variables.sensitive),
            failed=frozenset(variables.failed),
        )
        hidden = _strings_of(variables.values, variables.sensitive)
        self.evaluator.secrets.update(hidden)
        remember(*hidden)  # masked in every last word of the process too (see reconciler.redact)
        expansion = Expansion()
        modules = ModuleCalls(
            self.sections["modules"],
            evaluator=self.evaluator,
            files=ModuleFiles(self.errors),
            expansion=expansion,
            errors=self.errors,
            stack=tuple(path.resolve() for path in files),
        )
        scope = dataclasses.replace(scope, modules=modules)
        locals_ = Locals(self.sections["locals"], evaluator=self.evaluator, scope=scope)
        scope = locals_.scope
        modules.scope = scope  # a module's inputs may read locals, and locals a module's outputs
        locals_.evaluate_all()
        for document, key in self.singles:
            value = self.evaluator.evaluate(document.value[key], scope=scope, document=document, path=(key,))
            document.value[key] = value
            if key == "version":
                self.read_version(document, value, document.key_at((key,)))
            elif key == "state":
                self.read_state(document, value, document.key_at((key,)))
            elif key == "moved":
                self.moved.extend(read_moved(document, value, errors=self.errors))
            else:
                self.imports.extend(read_imports(document, value, errors=self.errors))
        expander = Expander(self.evaluator, scope, errors=self.errors)
        self.providers = expander.providers(self.templates("providers"))
        self.resources = expander.resources(self.templates("resources"))
        self.data = expander.resources(self.templates("data"))
        modules.expand_all()
        for entry in [*self.resources.values(), *self.data.values()]:  # the root's (a module's are its own)
            _bare_module_outputs(entry, modules)
        self.providers.update(expansion.providers)
        self.resources.update(expansion.resources)
        self.data.update(expansion.data)
        instances = {**expander.instances, **expansion.instances}
        sound = sound and not expander.incomplete and not expansion.incomplete
        for name, (document, at) in self.sections["outputs"].items():
            value = self.evaluator.evaluate(
                document.value["outputs"][name], scope=scope, document=document, path=at
            )
            if isinstance(value, dict) and "value" in value:
                value["value"] = bare_outputs(value["value"], modules)
            document.value["outputs"][name] = value
            self.outputs[name] = Entry(document, at)
        builder = EntryBuilder(self.registry, errors=self.errors)
        providers: dict[str, ProviderSpec] = {}
        declared: dict[str, str] = {}  # every well-named instance, valid or not: no cascade of "not defined"
        for name, entry in self.providers.items():
            provider = builder.provider(entry)
            if provider is not None:
                providers[name] = provider
            with contextlib.suppress(ValueError):
                declared[name] = parse_provider(name).platform
        check_mappings(expansion, declared, errors=self.errors)
        data: dict[str, ResourceSpec] = {}
        known: dict[str, str] = {}  # every well-formed address, valid or not, with its type
        for key, entry in self.data.items():
            source = builder.data_source(entry, declared=declared)
            if source is not None:
                data[source.address] = source
            with contextlib.suppress(ValueError):
                parsed = parse_instance(key)
                known[str(dataclasses.replace(parsed, data=True))] = parsed.type
        resources: dict[str, ResourceSpec] = {}
        groups = {**instances, **_module_members(self.resources)}  # what depends_on may name as a whole
        for address, entry in self.resources.items():
            resource = builder.resource(entry, declared=declared)
            if resource is not None:
                resources[address] = _whole_dependencies(resource, groups)
            with contextlib.suppress(ValueError):
                known[address] = type_of(address)
        if sound:  # with a file unreadable, "not in the spec" would often be wrong
            self.errors.extend(
                check_references(resources, known=known, quote=self.quote, data=data, templates=instances)
            )
            self.errors.extend(check_blocks(self.moved, self.imports, resources=known))
            for platform in sorted({resource.platform for resource in resources.values()}):
                across = self.registry.checks.get(platform)
                if across is not None:
                    self.errors.extend(across(resources, providers))
        outputs = read_outputs(
            self.outputs if sound else {}, known=known, types=self.registry.resources, errors=self.errors
        )
        if files and data_files:
            self.errors.extend(check_files(resources, base_dir=spec_dir(files[0])))
        if self.errors:
            raise self.collected(files)
        sensitive = variables.sensitive | self.evaluator.secret_variables
        return Spec(
            files=tuple(files),
            base_dir=spec_dir(files[0]),
            version=self.version[0] if self.version else SPEC_VERSION,
            state=self.state[0] if self.state else StateConfig(),
            providers=providers,
            resources=resources,
            outputs=outputs,
            moved=tuple(self.moved),
            imports=tuple(self.imports),
            data=data,
            variables=dict(variables.values),
            sensitive_variables=frozenset(sensitive),
        )

    def templates(self, section: str) -> list[Template]:
        return [Template(document, path) for document, path in self.sections[section].values()]

    def collected(self, files: list[Path]) -> SpecErrors:
        """All errors, in file order then position, with any secret value masked as a last defence.

        The same error met in every instance of a template (a misspelt
        variable in a for_each resource) is reported once, saying how many
        other instances have it too.
        """
        redact = Redactor(self.evaluator.secrets)
        order = {str(path): index for index, path in enumerate(files)}
        clean = [
            SpecError(
                redact(e.message),
                file=e.file,
                line=e.line,
                column=e.column,
                hint=redact(e.hint) if e.hint else None,
                excerpt=redact(e.excerpt) if e.excerpt is not None else None,
            )
            for e in _fold_instances(self.errors)
        ]
        clean.sort(key=lambda e: (order.get(e.file, len(order)), e.line, e.column))
        return SpecErrors(clean)

    def quote(self, address: str, path: tuple[str | int, ...], value: str) -> str:
        entry = self.resources[address]
        return describe(entry.document, (*entry.path, *path), value) or "the reference"

    def mapping(self, document: Document, path: YamlPath, value: Any, what: str) -> dict[str, Any] | None:
        return require_mapping(document, path, value, what, errors=self.errors)

    # -- the top level of each file ------------------------------------------------------------------

    def top_level(self, document: Document) -> None:
        top = self.mapping(document, (), document.value, "the top level of a spec file")
        if top is None:
            return
        for key, value in top.items():
            where = document.key_at((key,))
            if key.startswith("x-"):
                continue  # a home for YAML anchors: read by nothing
            if key in ("version", "state", "moved", "import"):
                self.singles.append((document, key))
            elif key in _NAMED_SECTIONS:
                self.collect(document, key, value)
            else:
                close = suggest(key, _TOP_LEVEL)
                hint = (
                    f"did you mean {close!r}?"
                    if close
                    else f"the top level takes: {', '.join(_TOP_LEVEL)}, and x-… keys (ignored)"
                )
                self.error(f"unknown top-level key {key!r}", where, hint=hint)

    def read_version(self, document: Document, value: Any, where: Location) -> None:
        if self.version is not None:
            self.error(f"'version' is already set at {self.version[1]}", where)
            return
        self.version = (SPEC_VERSION, where)
        if ("version",) in document.broken:
            return
        if isinstance(value, int) and not isinstance(value, bool) and value != SPEC_VERSION:
            message = f"unsupported spec version {value} (this reconciler reads version {SPEC_VERSION})"
            self.error(message, document.at(("version",)))
        elif not isinstance(value, int) or isinstance(value, bool):
            got = describe(document, ("version",), value)
            self.error(
                f"'version' must be {SPEC_VERSION}" + (f", got {got}" if got else ""),
                document.at(("version",)),
            )

    def read_state(self, document: Document, value: Any, where: Location) -> None:
        if self.state is not None:
            self.error(f"'state' is already set at {self.state[1]}", where)
            return
        self.state = (StateConfig(), where)
        if self.mapping(document, ("state",), value, "'state'") is None:
            return
        try:
            self.state = (StateConfig.model_validate(value), where)
        except ValidationError as exc:
            self.errors.extend(
                validation_errors(exc, document=document, base=("state",), subject="state", model=StateConfig)
            )

    def collect(self, document: Document, section: str, value: Any) -> None:
        what = _SECTION_WHAT[section]
        if value is None:
            return  # an empty section while the spec is being written
        expected = f"a mapping of {what}"
        body = require_mapping(
            document, (section,), value, repr(section), errors=self.errors, expected=expected
        )
        if body is None:
            return
        seen = self.sections[section]
        for key in body:
            path = (section, key)
            if key in seen:
                kind = _SECTION_KIND[section]
                first = seen[key][0].key_at(seen[key][1])
                self.error(f"{kind} {key!r} is already defined at {first}", document.key_at(path))
            else:
                seen[key] = (document, path)


def _strings_of(values: Mapping[str, Any], names: set[str]) -> set[str]:
    """The strings inside the values of the variables ``names`` (sensitive: masked in messages)."""
    found: set[str] = set()
    stack = [values[name] for name in names if name in values]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            found.add(value)
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, dict):
            stack.extend(value.values())
    return found


def _bare_module_outputs(entry: Entry, modules: ModuleCalls) -> None:
    """A module output written bare in a resource (``model: module.market[se].refit``) read as ``${…}``."""
    body = entry.body
    if isinstance(body, dict):
        for key, value in body.items():
            if key not in ("provider", "for_each"):
                body[key] = bare_outputs(value, modules)


def _module_members(addresses: Iterable[str]) -> dict[str, list[str]]:
    """Every module path (``module.market``, ``module.market[se]``, nested ones) → the resources in it."""
    members: dict[str, list[str]] = {}
    for address in addresses:
        try:
            steps = parse_instance(address).modules
        except ValueError:
            continue
        path = ""
        for step in steps:
            members.setdefault(f"{path}module.{step.name}", []).append(address)
            if step.key is not None:
                members.setdefault(f"{path}{step}", []).append(address)
            path += f"{step}."
    return members


def _whole_dependencies(resource: ResourceSpec, instances: Mapping[str, list[str]]) -> ResourceSpec:
    """``depends_on`` naming a resource with for_each waits for all of its instances, and naming a
    module (``module.market``, ``module.market[se]``) for every resource in it."""
    if not any(address in instances for address in resource.depends_on):
        return resource
    expanded: list[str] = []
    for address in resource.depends_on:
        expanded.extend(instances.get(address, [address]))
    return dataclasses.replace(resource, depends_on=tuple(dict.fromkeys(expanded)))


def _fold_instances(errors: list[SpecError]) -> list[SpecError]:
    """One error for the same mistake met at the same place in several instances of a template."""
    folded: dict[tuple[str, int, int, str, str | None], tuple[SpecError, int]] = {}
    plain: list[SpecError] = []
    for error in errors:
        shape = _INSTANCE.sub("[…]", error.message)
        if shape == error.message:
            plain.append(error)
            continue
        hint = _INSTANCE.sub("[…]", error.hint) if error.hint else None
        key = (error.file, error.line, error.column, shape, hint)
        first, count = folded.get(key, (error, 0))
        folded[key] = (first, count + 1)
    for first, count in folded.values():
        if count > 1:
            others = count - 1
            first = SpecError(
                f"{first.message} (and {others} other instance{'s' * (others != 1)})",
                file=first.file,
                line=first.line,
                column=first.column,
                hint=first.hint,
                excerpt=first.excerpt,
            )
        plain.append(first)
    return plain


def spec_dir(path: Path) -> Path:
    """The directory a spec's relative paths start from: its file's, the same from any working directory.

    The directory (not the file, which may be a link) is resolved, so
    ``specs/x.yaml`` and ``../repo/specs/x.yaml`` name the same data files,
    state and world, and a plan made from one directory applies from another.
    """
    return path.absolute().parent.resolve()
