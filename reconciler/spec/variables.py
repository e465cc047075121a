"""Variables: declared in the spec, given a value from outside it, checked before anything uses them.

    variables:
      markets:
        type: map
        description: The markets to refresh, by key.
      mode:
        type: string
        default: fast
        validation: {one_of: [fast, full]}

A value comes, lowest first, from the ``default``, the environment
(``RECONCILER_VAR_<NAME>``), each ``--var-file FILE`` (YAML or JSON) and
``--var NAME=VALUE`` in the order the command line gives them, and a saved
plan's record of the values it was made with: later ones win, as in Terraform.  A value given as text (the
environment, ``--var``) is read for the variable's type: ``7`` for a number,
``true`` for a bool, YAML or JSON (``{se: {team: 1}}``, ``[se, no]``) for a
list, map or object.

Every problem is a located error: a value from a var file at its place in
that file, one from ``--var`` or the environment at the variable's
declaration, naming where it came from.  A variable declared ``sensitive``
(or named like a credential) is never quoted back and never saved in a plan.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from reconciler.errors import SpecError
from reconciler.spec.document import Location
from reconciler.spec.expressions import has_expression
from reconciler.spec.messages import describe, hinted, spec_error, validation_errors
from reconciler.spec.names import SECRETISH, suggest
from reconciler.spec.yamlpos import Document, YamlPath, parse_yaml

__all__ = [
    "ENV_PREFIX",
    "VARIABLE_TYPES",
    "VarInputs",
    "VariableSpec",
    "Variables",
    "module_variables",
    "read_variables",
]

ENV_PREFIX = "RECONCILER_VAR_"
VARIABLE_TYPES = ("string", "number", "bool", "list", "map", "object")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TEXT_SHOWN = 60


class Validation(BaseModel):
    """Rules a variable's value must meet."""

    model_config = ConfigDict(extra="forbid")

    pattern: str | None = Field(
        default=None, description="A regular expression the whole string (each string of a list) must match."
    )
    one_of: list[Any] | None = Field(
        default=None, description="The allowed values (for a list: of each item)."
    )
    min: float | None = Field(
        default=None, description="The least number, or the least length of a string, list or map."
    )
    max: float | None = Field(
        default=None, description="The greatest number, or the greatest length of a string, list or map."
    )

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise hinted(f"is not a regular expression: {exc}", "see Python's re syntax") from exc
        return value


class VariableSpec(BaseModel):
    """One declared variable: its type, default, description, validation and whether it is sensitive."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["string", "number", "bool", "list", "map", "object"] | None = Field(
        default=None, description="string, number, bool, list, map or object (map and object: a mapping)."
    )
    default: Any = Field(default=None, description="The value when none is given.")
    description: str | None = Field(default=None, description="What the variable is for.")
    validation: Validation | None = Field(default=None, description="Rules the value must meet.")
    sensitive: bool = Field(
        default=False, description="Never shown in messages and never saved in a plan file."
    )


@dataclass(frozen=True)
class VarInputs:
    """Values given from outside the spec: var files, ``NAME=VALUE`` pairs, and a saved plan's record."""

    files: tuple[str, ...] = ()
    pairs: tuple[str, ...] = ()
    recorded: Mapping[str, Any] = field(default_factory=dict)
    #: How files and pairs were interleaved on the command line ("file", "pair", …); empty: files first.
    order: tuple[Literal["file", "pair"], ...] = ()

    def in_order(self) -> Iterator[tuple[Literal["file", "pair"], str]]:
        """Each file and pair, as given: later ones win, whichever kind they are."""
        files, pairs = iter(self.files), iter(self.pairs)
        if sorted(self.order) != ["file"] * len(self.files) + ["pair"] * len(self.pairs):
            yield from (("file", file) for file in files)
            yield from (("pair", pair) for pair in pairs)
            return
        for kind in self.order:
            yield kind, next(files if kind == "file" else pairs)


@dataclass
class Variables:
    """The variables of a spec: their values, which are sensitive, and which have none usable."""

    values: dict[str, Any] = field(default_factory=dict)
    sensitive: set[str] = field(default_factory=set)
    failed: set[str] = field(default_factory=set)
    declared: dict[str, VariableSpec] = field(default_factory=dict)


@dataclass(frozen=True)
class _Given:
    """One value for a variable and where it came from."""

    value: Any
    origin: str  # "--var team=…", "RECONCILER_VAR_team", "vars.yaml", "its default", "the saved plan"
    where: Location
    text: bool  # given as text, to be read for the type
    document: Document | None = None
    path: YamlPath = ()


class _Mismatch(Exception):
    pass


def _read_text(value: str, type_: str | None) -> Any:
    """A value given as text, read for the variable's type."""
    if type_ in ("list", "map", "object"):
        problems: list[SpecError] = []
        document = parse_yaml(value, file="--var", errors=problems)  # keys stay text: `no:` is "no"
        if document is None or problems:
            raise _Mismatch
        return document.value
    return value


def _convert(value: Any, type_: str | None) -> Any:
    """``value`` as the type (numbers from text, text from numbers), or _Mismatch."""
    if type_ is None:
        return value
    if type_ == "string":
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
    elif type_ == "number":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        if isinstance(value, str):
            text = value.strip()
            try:
                return int(text)
            except ValueError:
                pass
            try:
                number = float(text)
            except ValueError:
                raise _Mismatch from None
            if math.isfinite(number):
                return number
    elif type_ == "bool":
        if isinstance(value, bool):
            return value
        word = value.strip().lower() if isinstance(value, str) else None
        if word in ("true", "yes", "on"):
            return True
        if word in ("false", "no", "off"):
            return False
    elif type_ == "list":
        if isinstance(value, list):
            return value
    elif isinstance(value, dict):
        return {str(key): item for key, item in value.items()}
    raise _Mismatch


def _expected(type_: str) -> str:
    return {
        "string": "a string",
        "number": "a number",
        "bool": "true or false",
        "list": "a list",
        "map": "a mapping",
        "object": "a mapping",
    }[type_]


def _rule_problem(rule: Validation, value: Any) -> str | None:
    """Which rule ``value`` breaks, said without the value; None when it meets them all."""
    items = value if isinstance(value, list) else [value]
    if rule.pattern is not None:
        for item in items:
            if not isinstance(item, str) or re.fullmatch(rule.pattern, item) is None:
                return f"must match the pattern {rule.pattern!r}"
    if rule.one_of is not None:
        for item in items:
            if not any(
                item == choice and isinstance(item, bool) == isinstance(choice, bool)
                for choice in rule.one_of
            ):
                return "must be one of " + ", ".join(repr(choice) for choice in rule.one_of)
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        if rule.min is not None and value < rule.min:
            return f"must be at least {rule.min:g}"
        if rule.max is not None and value > rule.max:
            return f"must be at most {rule.max:g}"
        return None
    unit = "character" if isinstance(value, str) else "item" if isinstance(value, list) else "entry"
    size = len(value) if isinstance(value, str | list | dict) else 0
    if rule.min is not None and size < rule.min:
        return f"must have at least {_count(rule.min, unit)}"
    if rule.max is not None and size > rule.max:
        return f"must have at most {_count(rule.max, unit)}"
    return None


def _count(number: float, unit: str) -> str:
    plural = unit if number == 1 else ("entries" if unit == "entry" else f"{unit}s")
    return f"{number:g} {plural}"


class _Reader:
    """One reading of the variables: their declarations, the values given, and the errors found."""

    def __init__(
        self,
        declarations: Mapping[str, tuple[Document, YamlPath]],
        *,
        errors: list[SpecError],
        anchor: Location,
        complete: bool = True,
    ) -> None:
        self.declarations = declarations
        self.complete = complete
        self.unread = False  # a var file could not be read
        self.errors = errors
        self.anchor = anchor
        self.result = Variables()

    def error(self, message: str, where: Location, *, hint: str | None = None) -> None:
        self.errors.append(spec_error(message, where, hint=hint))

    def declare(self) -> None:
        for name, (document, path) in self.declarations.items():
            where = document.key_at(path)
            if not _NAME.fullmatch(name):
                self.error(
                    f"invalid variable name {name!r}:"
                    " use letters, digits and '_', starting with a letter or '_'",
                    where,
                )
                self.result.failed.add(name)
                continue
            body = document.value
            for part in path:
                body = body[part]
            if body is None:
                body = {}
            if not isinstance(body, dict):
                got = describe(document, path, body)
                self.error(
                    f"variable {name!r} must be a mapping (type, default, description, validation)"
                    + (f", got {got}" if got else ""),
                    document.at(path),
                )
                self.result.failed.add(name)
                continue
            try:
                spec = VariableSpec.model_validate(body)
            except ValidationError as exc:
                self.errors.extend(
                    validation_errors(
                        exc, document=document, base=path, subject=f"variable {name!r}", model=VariableSpec
                    )
                )
                self.result.failed.add(name)
                continue
            if has_expression(spec.default):
                self.error(
                    f"variable {name!r}: a default is a plain value, without ${{…}}",
                    document.at((*path, "default")),
                    hint="compute values from variables in 'locals:'",
                )
                self.result.failed.add(name)
                continue
            self.result.declared[name] = spec
            if spec.sensitive or SECRETISH.search(name):
                self.result.sensitive.add(name)

    def unknown(self, name: str, origin: str | None, where: Location) -> None:
        if not self.complete:
            return  # a spec file could not be read: its declarations are unknown
        close = suggest(name, self.declarations)
        hint = (
            f"did you mean {close!r}?"
            if close
            else (
                "declare it under 'variables:'"
                if not self.declarations
                else f"declared: {', '.join(self.declarations)}"
            )
        )
        prefix = f"{origin}: " if origin else ""
        self.error(f"{prefix}no variable {name!r} is declared in the spec", where, hint=hint)

    def gather(self, inputs: VarInputs, environ: Mapping[str, str]) -> dict[str, list[_Given]]:
        given: dict[str, list[_Given]] = {name: [] for name in self.result.declared}
        for name, spec in self.result.declared.items():
            document, path = self.declarations[name]
            if "default" in spec.model_fields_set:
                where = document.at((*path, "default"))
                given[name].append(
                    _Given(spec.default, "its default", where, False, document, (*path, "default"))
                )
            env_name = ENV_PREFIX + name
            if env_name in environ:
                given[name].append(_Given(environ[env_name], env_name, document.key_at(path), True))
        for kind, item in inputs.in_order():
            if kind == "file":
                self.read_file(item, given)
            else:
                self.read_pair(item, given)
        for name, value in inputs.recorded.items():
            if name in given:
                document, path = self.declarations[name]
                given[name].append(_Given(value, "the saved plan", document.key_at(path), False))
        return given

    def read_pair(self, pair: str, given: dict[str, list[_Given]]) -> None:
        name, equals, value = pair.partition("=")
        name = name.strip()
        if not equals or not name:
            self.error(
                f"--var {pair[:_TEXT_SHOWN]!r}: expected NAME=VALUE",
                self.anchor,
                hint="e.g. --var mode=full",
            )
            return
        if name not in self.declarations:
            self.unknown(name, f"--var {name}=…", self.anchor)
            return
        if name in given:
            document, path = self.declarations[name]
            given[name].append(_Given(value, f"--var {name}=…", document.key_at(path), True))

    def read_file(self, file: str, given: dict[str, list[_Given]]) -> None:
        before = len(self.errors)
        self.read_values(file, given)
        if len(self.errors) > before:
            self.unread = True  # what it would have set is unknown: "has no value" would be a guess

    def read_values(self, file: str, given: dict[str, list[_Given]]) -> None:
        path = Path(file)
        start = Location(file, 1, 1)
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except FileNotFoundError:
            self.error(
                "var file not found", start, hint="--var-file takes a YAML or JSON file of NAME: VALUE"
            )
            return
        except IsADirectoryError:
            self.error("the var file is a directory", start)
            return
        except OSError as exc:
            self.error(f"cannot read the var file: {exc.strerror or exc}", start)
            return
        except UnicodeDecodeError:
            self.error("the var file is not valid UTF-8 text", start)
            return
        if all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()):
            return  # an empty var file sets nothing
        document = parse_yaml(text, file=file, errors=self.errors)
        if document is None:
            return
        if not isinstance(document.value, dict):
            got = describe(document, (), document.value)
            self.error(
                "a var file must be a mapping of variable names to values" + (f", got {got}" if got else ""),
                document.at(()),
            )
            return
        for name, value in document.value.items():
            where = document.key_at((name,))
            if name not in self.declarations:
                self.unknown(name, None, where)
            elif name in given:
                given[name].append(_Given(value, file, document.at((name,)), False, document, (name,)))

    def settle(self, given: dict[str, list[_Given]]) -> None:
        for name, values in given.items():
            spec = self.result.declared[name]
            document, path = self.declarations[name]
            if not values and self.unread:
                self.result.failed.add(name)
                continue
            if not values:
                self.error(
                    f"variable {name!r} has no value",
                    document.key_at(path),
                    hint=f"set it with --var {name}=VALUE, in a --var-file FILE.yaml ({name}: VALUE),"
                    f" or in the environment: {ENV_PREFIX}{name}=VALUE (or give it a default)",
                )
                self.result.failed.add(name)
                continue
            chosen = values[-1]
            value = self.checked(name, spec, chosen)
            if value is None:
                self.result.failed.add(name)
            else:
                self.result.values[name] = value

    def shown(self, name: str, given: _Given) -> str | None:
        if name in self.result.sensitive:
            return None
        if given.document is not None:
            return describe(given.document, given.path, given.value)
        value = given.value
        if isinstance(value, str):
            return repr(value if len(value) <= _TEXT_SHOWN else value[:_TEXT_SHOWN] + "…")
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        return None

    def checked(self, name: str, spec: VariableSpec, given: _Given) -> Any:
        """The value, converted to the type and checked by the rules; None when it is not (reported)."""
        if given.document is not None and given.path in given.document.broken:
            return None
        origin = "" if given.origin == "its default" else f" (from {given.origin})"
        subject = f"variable {name!r}"
        if given.value is None:
            self.error(f"{subject} is null{origin}", given.where, hint="give it a value, or leave it out")
            return None
        try:
            raw = _read_text(given.value, spec.type) if given.text else given.value
            value = _convert(raw, spec.type)
        except _Mismatch:
            got = self.shown(name, given)
            assert spec.type is not None
            message = f"{subject} must be {_expected(spec.type)}" + (f", got {got}" if got else "") + origin
            hint = None
            if given.text and spec.type in ("list", "map", "object"):
                hint = "write it as YAML or JSON: [se, no] for a list, {se: {team: 1}} for a map"
            self.error(message, given.where, hint=hint)
            return None
        if spec.validation is not None:
            problem = _rule_problem(spec.validation, value)
            if problem is not None:
                got = self.shown(name, dataclasses.replace(given, value=value) if given.text else given)
                self.error(f"{subject} {problem}" + (f", got {got}" if got else "") + origin, given.where)
                return None
        return value


def read_variables(
    declarations: Mapping[str, tuple[Document, YamlPath]],
    *,
    inputs: VarInputs,
    environ: Mapping[str, str],
    errors: list[SpecError],
    anchor: Location,
    complete: bool = True,
) -> Variables:
    """The declared variables with their values; problems go to ``errors``.

    ``declarations`` maps each name to where its body is written; ``anchor``
    is where an error about a ``--var`` that names no variable is placed;
    with ``complete`` false (a spec file could not be read) no value is
    reported for naming an undeclared variable.
    """
    reader = _Reader(declarations, errors=errors, anchor=anchor, complete=complete)
    reader.declare()
    given = reader.gather(inputs, environ)
    reader.settle(given)
    return reader.result


def recordable(variables: Variables, *, also_sensitive: Sequence[str] = ()) -> dict[str, Any]:
    """The values a saved plan may keep: every variable's but the sensitive ones'."""
    hidden = variables.sensitive | set(also_sensitive)
    return {name: value for name, value in variables.values.items() if name not in hidden}


def module_variables(
    declarations: Mapping[str, tuple[Document, YamlPath]],
    *,
    inputs: Mapping[str, tuple[Any, Document, Location, YamlPath]],
    call: Location,
    label: str,
    module: str,
    errors: list[SpecError],
    declared_once: bool = True,
) -> Variables:
    """A module instance's variables, valued from its call's ``inputs`` (else their defaults).

    ``inputs`` maps each input's name to its value, the document it was
    evaluated in, where it is written and its path there; ``call`` is where
    the call is written (a variable without a value is reported there),
    ``label`` the instance (``module.market[se]``) and ``module`` its file.
    With ``declared_once`` false the declarations' own mistakes were reported
    already (by another instance of the same module) and are not again.
    """
    scratch: list[SpecError] = []
    reader = _Reader(declarations, errors=scratch, anchor=call)
    reader.declare()
    if declared_once:
        errors.extend(scratch)
    reader.errors = errors
    given: dict[str, list[_Given]] = {name: [] for name in reader.result.declared}
    for name, spec in reader.result.declared.items():
        document, path = declarations[name]
        if "default" in spec.model_fields_set:
            where = document.at((*path, "default"))
            default = _Given(spec.default, "its default", where, False, document, (*path, "default"))
            given[name].append(default)
    origin = f"the inputs of {label}"
    for name, (value, document, where, path) in inputs.items():
        if name in given:
            given[name].append(_Given(value, origin, where, False, document, path))
        elif name not in declarations:
            close = suggest(name, declarations)
            hint = (
                f"did you mean {close!r}?"
                if close
                else f"its variables: {', '.join(declarations)}"
                if declarations
                else "it declares no variables"
            )
            reader.error(
                f"{label}: the module {module} has no variable {name!r}", document.key_at(path), hint=hint
            )
    for name, values in given.items():
        if values:
            continue
        document, path = declarations[name]
        reader.error(
            f"{label}: variable {name!r} of {module} has no value",
            call,
            hint=f"give it in the call's inputs ({name}: VALUE), or a default in the module"
            f" (declared at {document.key_at(path)})",
        )
        reader.result.failed.add(name)
    for name, values in given.items():
        spec = reader.result.declared[name]
        optional = "default" in spec.model_fields_set and spec.default is None
        if values and values[-1].value is None and optional:
            # An optional input (``default: null``), as Terraform's: null leaves what it is given to unset.
            reader.result.values[name] = None
            values.clear()
    reader.settle({name: values for name, values in given.items() if values})
    return reader.result
