"""Loading spec files into a validated :class:`Spec`, or every problem at once.

A person fixing a spec wants the whole list of mistakes in one run, each at
``file:line:col``, not one per attempt; so loading collects errors through
all its stages (YAML, structure, interpolation, models, references) and
raises a single :class:`~reconciler.errors.SpecErrors` at the end.  A stage
that depends on an earlier one being sound stays quiet about what that stage
already reported (a resource whose provider failed to validate is not also
told that its provider is missing).

The spec layer knows no platform: provider and resource models come from the
:class:`SpecRegistry` the providers build.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from reconciler.errors import SpecError, SpecErrors
from reconciler.redact import Redactor
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
from reconciler.spec.files import check_files
from reconciler.spec.interpolate import interpolate
from reconciler.spec.messages import describe, spec_error, validation_errors
from reconciler.spec.names import parse_address, parse_instance, parse_provider_name, suggest
from reconciler.spec.outputs import read_outputs
from reconciler.spec.refcheck import check_references
from reconciler.spec.yamlpos import Document, YamlPath, parse_yaml

__all__ = ["load_spec"]

SPEC_VERSION = 1
_TOP_LEVEL = ("version", "state", "providers", "data", "resources", "outputs", "moved", "import")


def load_spec(
    source: str | Path | Sequence[str | Path],
    *,
    registry: SpecRegistry,
    environ: Mapping[str, str] | None = None,
    data_files: bool = True,
) -> Spec:
    """Load a spec file, every ``*.yaml``/``*.yml`` of a directory, or a list of files; raises SpecErrors.

    ``data_files=False`` leaves out the check that every data file exists and
    is a regular file: for commands that only find and edit the state
    (``state …``, ``force-unlock``), which a CSV missing for a while must not block.
    """
    files = _spec_files(source)
    loader = _Loader(registry, os.environ if environ is None else environ)
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
    """One load: the registry, the environment, and the errors found so far."""

    def __init__(self, registry: SpecRegistry, environ: Mapping[str, str]) -> None:
        self.registry = registry
        self.environ = environ
        self.errors: list[SpecError] = []
        self.secrets: set[str] = set()
        self.version: tuple[int, Location] | None = None
        self.state: tuple[StateConfig, Location] | None = None
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
                self.secrets |= interpolate(document, environ=self.environ, errors=self.errors)
                documents.append(document)
        sound = len(documents) == len(files)
        for document in documents:
            self.sections(document)
        builder = EntryBuilder(self.registry, errors=self.errors)
        providers: dict[str, ProviderSpec] = {}
        declared: dict[str, str] = {}  # every well-named instance, valid or not: no cascade of "not defined"
        for name, entry in self.providers.items():
            provider = builder.provider(entry)
            if provider is not None:
                providers[name] = provider
            with contextlib.suppress(ValueError):
                declared[name] = parse_provider_name(name)[0]
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
        for address, entry in self.resources.items():
            resource = builder.resource(entry, declared=declared)
            if resource is not None:
                resources[address] = resource
            with contextlib.suppress(ValueError):
                known[address] = ".".join(parse_address(address)[:2])
        if sound:  # with a file unreadable, "not in the spec" would often be wrong
            self.errors.extend(check_references(resources, known=known, quote=self.quote, data=data))
            self.errors.extend(check_blocks(self.moved, self.imports, resources=known))
        outputs = read_outputs(
            self.outputs if sound else {}, known=known, types=self.registry.resources, errors=self.errors
        )
        if files and data_files:
            self.errors.extend(check_files(resources, base_dir=spec_dir(files[0])))
        if self.errors:
            raise self.collected(files)
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
        )

    def collected(self, files: list[Path]) -> SpecErrors:
        """All errors, in file order then position, with any interpolated value masked as a last defence."""
        redact = Redactor(self.secrets)
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
            for e in self.errors
        ]
        clean.sort(key=lambda e: (order.get(e.file, len(order)), e.line, e.column))
        return SpecErrors(clean)

    def quote(self, address: str, path: tuple[str | int, ...], value: str) -> str:
        entry = self.resources[address]
        return describe(entry.document, (*entry.path, *path), value) or "the reference"

    def mapping(self, document: Document, path: YamlPath, value: Any, what: str) -> dict[str, Any] | None:
        return require_mapping(document, path, value, what, errors=self.errors)

    # -- the top level of each file ------------------------------------------------------------------

    def sections(self, document: Document) -> None:
        top = self.mapping(document, (), document.value, "the top level of a spec file")
        if top is None:
            return
        for key, value in top.items():
            where = document.key_at((key,))
            if key == "version":
                self.read_version(document, value, where)
            elif key == "state":
                self.read_state(document, value, where)
            elif key in ("providers", "resources", "data", "outputs"):
                self.collect(document, key, value)
            elif key == "moved":
                self.moved.extend(read_moved(document, value, errors=self.errors))
            elif key == "import":
                self.imports.extend(read_imports(document, value, errors=self.errors))
            else:
                close = suggest(key, _TOP_LEVEL)
                hint = (
                    f"did you mean {close!r}?" if close else f"the top level takes: {', '.join(_TOP_LEVEL)}"
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
        what, kind, seen = {
            "providers": ("provider instances", "provider", self.providers),
            "data": ("data sources by TYPE.NAME", "data source", self.data),
            "resources": ("resources by address", "resource", self.resources),
            "outputs": ("outputs by name", "output", self.outputs),
        }[section]
        if value is None:
            return  # an empty section while the spec is being written
        expected = f"a mapping of {what}"
        body = require_mapping(
            document, (section,), value, repr(section), errors=self.errors, expected=expected
        )
        if body is None:
            return
        for key in body:
            entry = Entry(document, (section, key))
            if key in seen:
                self.error(f"{kind} {key!r} is already defined at {seen[key].location}", entry.location)
            else:
                seen[key] = entry


def spec_dir(path: Path) -> Path:
    """The directory a spec's relative paths start from: its file's, the same from any working directory.

    The directory (not the file, which may be a link) is resolved, so
    ``specs/x.yaml`` and ``../repo/specs/x.yaml`` name the same data files,
    state and world, and a plan made from one directory applies from another.
    """
    return path.absolute().parent.resolve()
