"""``${…}`` in spec values: variables, locals, ``each`` and the environment, and nothing else.

The spec stays data: an expression is a name and a path into a value
(``${var.markets.se.team}``, ``${each.value.model}``), never code, so a
Terraform user reads every one at first sight and no spec can run anything.

    ${env:NAME}             the environment (a secret's home: never quoted back)
    ${var.NAME}             a variable (``variables:``), with .FIELD / [KEY] steps into it
    ${local.NAME}           a local (``locals:``), likewise
    ${each.key}             the instance key, in a resource or provider with ``for_each``
    ${each.value}           its value (the key again for a list), with .FIELD steps
    ${module.NAME…}         what a scope offers under ``module`` (module outputs)
    $${                     a literal ``${``

A value that is one whole expression keeps the type of what it names (a
number stays a number, a map a map); inside a longer string an expression is
written as text (numbers and booleans too; a map or a list cannot be).

Errors are placed at the value that holds the expression, end with the
instance they were met in (``(in alviss.refit.weekly[no])``), and quote the
expression, never a value read from the environment or a sensitive variable.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from reconciler.errors import SpecError
from reconciler.redact import remember
from reconciler.spec.interpolate import control_hint, control_problem
from reconciler.spec.messages import is_secret_path
from reconciler.spec.names import suggest
from reconciler.spec.yamlpos import Document, YamlPath

__all__ = ["Each", "Evaluator", "Scope", "Unavailable", "has_expression", "kind_of"]

_TOKEN = re.compile(r"\$\$\{|\$\{([^}]*)\}|\$\{")
_WHOLE = re.compile(r"\$\{([^}]*)\}")
_ENV = re.compile(r"env:([A-Za-z_][A-Za-z0-9_]*)")
_REF = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)((?:\.[A-Za-z0-9_-]+|\[[^\[\]]*\])*)")
_STEP = re.compile(r"\.([A-Za-z0-9_-]+)|\[([^\[\]]*)\]")
_ROOTS = ("var", "local", "each", "module")
HINT = (
    "write ${var.NAME}, ${local.NAME}, ${each.key}, ${each.value}, ${each.value.FIELD} or ${env:NAME};"
    " $${ writes a literal '${'"
)


def has_expression(value: Any) -> bool:
    """Whether ``value`` (or anything inside it) holds a ``${``."""
    if isinstance(value, str):
        return "${" in value
    if isinstance(value, list):
        return any(has_expression(item) for item in value)
    if isinstance(value, dict):
        return any(has_expression(item) for item in value.values())
    return False


class Unavailable(Exception):
    """A name whose value failed where it was defined (already reported there): stay quiet here."""


class _Problem(Exception):
    """An expression that cannot be evaluated: the message and a hint."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class Each:
    """The instance being expanded: its key and its value (``each.key``, ``each.value``)."""

    key: str
    value: Any


#: Looks a local up by name: its value, or raises Unavailable (reported where it is defined) or KeyError.
LocalLookup = Callable[[str], Any]


@dataclass(frozen=True)
class Scope:
    """What the names of an expression mean where it is written.

    ``label`` names the instance being expanded (``alviss.refit.weekly[no]``)
    for messages; ``sensitive`` holds the variables whose values are never
    quoted back; ``failed`` the variables that have no usable value (already
    reported where they are declared).
    """

    variables: Mapping[str, Any] = field(default_factory=dict)
    locals: LocalLookup | None = None
    each: Each | None = None
    modules: Mapping[str, Any] | None = None
    label: str | None = None
    sensitive: frozenset[str] = frozenset()
    failed: frozenset[str] = frozenset()
    local_names: tuple[str, ...] = ()
    #: What a reference to ``each`` outside a for_each says (e.g. inside the for_each value itself).
    no_each: str = "'each' is only available in a resource or provider instance with for_each"

    def with_each(self, each: Each, *, label: str) -> Scope:
        return replace(self, each=each, label=label)


@dataclass
class _Result:
    value: Any
    secret: bool = False  # read from the environment or a sensitive variable


def kind_of(value: Any) -> str:
    """What a value is, in words: 'a number', 'a list'…"""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "null"


def _text(value: Any, expression: str) -> str:
    """How a value is written inside a longer string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    if value is None:
        raise _Problem(f"'${{{expression}}}' is null and cannot be written into a string")
    raise _Problem(
        f"'${{{expression}}}' is {kind_of(value)} and cannot be written into a string",
        "a whole value '${…}' keeps a list or mapping; inside a string, name one of its fields",
    )


class Evaluator:
    """Evaluates the values of one load, collecting errors and the secrets it read."""

    def __init__(self, *, environ: Mapping[str, str], errors: list[SpecError]) -> None:
        self.environ = environ
        self.errors = errors
        #: Values read from the environment or sensitive variables: masked in every message of the load.
        self.secrets: set[str] = set()
        #: Variables whose value was written where a credential goes: kept out of saved plans too.
        self.secret_variables: set[str] = set()

    def evaluate(
        self, value: Any, *, scope: Scope, document: Document, path: YamlPath, sink: Document | None = None
    ) -> Any:
        """``value`` (written at ``path`` of ``document``) with every expression resolved.

        ``sink`` (default: ``document``) records, per path, the written text of
        a string that held a secret (quoted in messages instead of it) and the
        paths whose evaluation failed (reported; later checks stay quiet).
        """
        return self._walk(value, path, scope, document, sink if sink is not None else document)

    def _walk(self, value: Any, path: YamlPath, scope: Scope, document: Document, sink: Document) -> Any:
        if isinstance(value, str):
            return self._string(value, path, scope, document, sink) if "${" in value else value
        if isinstance(value, list):
            return [
                self._walk(item, (*path, index), scope, document, sink) for index, item in enumerate(value)
            ]
        if isinstance(value, dict):
            return {key: self._walk(item, (*path, key), scope, document, sink) for key, item in value.items()}
        return value

    def fail(
        self, message: str, *, document: Document, path: YamlPath, scope: Scope, hint: str | None = None
    ) -> None:
        """Report a problem with the value at ``path``, naming the instance."""
        where = document.at(path)
        if scope.label:
            message += f" (in {scope.label})"
        self.errors.append(
            SpecError(message, file=where.file, line=where.line, column=where.column, hint=hint)
        )

    def _string(self, text: str, path: YamlPath, scope: Scope, document: Document, sink: Document) -> Any:
        secret_path = is_secret_path(path)
        whole = _WHOLE.fullmatch(text)
        try:
            if whole is not None:
                result = self._expression(whole.group(1), scope, path=path)
                value = result.value
                pieces = _strings(value) if result.secret else []
            else:
                value, pieces = self._interpolate(text, scope, path=path)
        except Unavailable:
            sink.broken.add(path)
            return None
        except _Problem as problem:
            self.fail(problem.message, document=document, path=path, scope=scope, hint=problem.hint)
            sink.broken.add(path)
            return None
        if pieces or secret_path:
            sink.sources[path] = text
            for item in pieces if pieces else _strings(value):
                self.secrets.add(item)
                if secret_path:
                    remember(item)  # masked in every last word of the process (see reconciler.redact)
        return value

    def _interpolate(self, text: str, scope: Scope, *, path: YamlPath) -> tuple[str, list[str]]:
        """The string with each expression written in, and the secret pieces written."""
        pieces: list[str] = []

        def replace_token(match: re.Match[str]) -> str:
            token = match.group(0)
            if token == "$${":
                return "${"
            body = match.group(1)
            if body is None:
                raise _Problem("unterminated '${' in a string", HINT)
            result = self._expression(body, scope, path=path)
            written = _text(result.value, body)
            if result.secret and written:
                pieces.append(written)
            return written

        return _TOKEN.sub(replace_token, text), pieces

    def expression(self, body: str, scope: Scope) -> Any:
        """The value of one expression (the text inside ``${…}``); raises ValueError with the message."""
        try:
            return self._expression(body, scope, path=()).value
        except _Problem as problem:
            raise ValueError(problem.message) from problem

    def _expression(self, body: str, scope: Scope, *, path: YamlPath) -> _Result:
        env = _ENV.fullmatch(body)
        if env is not None:
            return self._env(env.group(1))
        ref = _REF.fullmatch(body.strip())
        if ref is None or ref.group(1) not in _ROOTS:
            if body.startswith("env:"):
                raise _Problem(f"invalid environment variable name in '${{{body}}}'", HINT)
            raise _Problem(f"unsupported interpolation '${{{body}}}'", HINT)
        root, rest = ref.group(1), ref.group(2)
        steps = [m.group(1) if m.group(1) is not None else m.group(2) for m in _STEP.finditer(rest)]
        if root == "each":
            return _Result(self._walk_steps(self._each(scope, steps), steps[1:], f"each.{steps[0]}", body))
        if not steps:
            raise _Problem(f"'${{{body}}}' names no {root}", f"write ${{{root}.NAME}}")
        name, steps = steps[0], steps[1:]
        if root == "var":
            if name not in scope.variables:
                if name in scope.failed:
                    raise Unavailable(name)
                close = suggest(name, [*scope.variables, *scope.failed])
                hint = f"did you mean var.{close}?" if close else "declare it under 'variables:'"
                raise _Problem(f"unknown variable {name!r} in '${{{body}}}'", hint)
            secret = name in scope.sensitive
            if is_secret_path(path):
                secret = True
                self.secret_variables.add(name)
            return _Result(self._walk_steps(scope.variables[name], steps, f"var.{name}", body), secret)
        if root == "local":
            if scope.locals is None:
                raise _Problem(f"no locals are available here: '${{{body}}}'")
            try:
                value = scope.locals(name)
            except KeyError:
                close = suggest(name, scope.local_names)
                hint = f"did you mean local.{close}?" if close else "define it under 'locals:'"
                raise _Problem(f"unknown local {name!r} in '${{{body}}}'", hint) from None
            return _Result(self._walk_steps(value, steps, f"local.{name}", body))
        # module
        if scope.modules is None:
            raise _Problem(f"no module outputs are available here: '${{{body}}}'")
        if name not in scope.modules:
            close = suggest(name, scope.modules)
            hint = f"did you mean module.{close}?" if close else "declare it under 'modules:'"
            raise _Problem(f"unknown module {name!r} in '${{{body}}}'", hint)
        return _Result(self._walk_steps(scope.modules[name], steps, f"module.{name}", body))

    def _env(self, name: str) -> _Result:
        if name not in self.environ:
            raise _Problem(f"environment variable {name!r} is not set", f"export {name}=...")
        value = self.environ[name]
        problem = control_problem(value)
        if problem is not None:
            raise _Problem(f"environment variable {name!r} {problem}", control_hint(name, value))
        return _Result(value, secret=True)

    @staticmethod
    def _each(scope: Scope, steps: list[str]) -> Any:
        if scope.each is None:
            raise _Problem(scope.no_each)
        if not steps or steps[0] not in ("key", "value"):
            raise _Problem("'each' has 'key' and 'value' (each.key, each.value, each.value.FIELD)")
        if steps[0] == "key":
            if len(steps) > 1:
                raise _Problem("'each.key' is a string: it has no fields")
            return scope.each.key
        return scope.each.value

    @staticmethod
    def _walk_steps(value: Any, steps: list[str], shown: str, body: str) -> Any:
        for step in steps:
            if isinstance(value, dict):
                if step not in value:
                    close = suggest(step, [str(key) for key in value])
                    fields = ", ".join(str(key) for key in list(value)[:10]) or "none"
                    hint = f"did you mean {close!r}?" if close else f"its keys: {fields}"
                    raise _Problem(f"{shown} has no key {step!r} ('${{{body}}}')", hint)
                value = value[step]
            elif isinstance(value, list):
                if not step.isdigit() or int(step) >= len(value):
                    raise _Problem(
                        f"{shown} is a list of {len(value)}: {step!r} is not an index of it ('${{{body}}}')"
                    )
                value = value[int(step)]
            else:
                raise _Problem(f"{shown} is {kind_of(value)}: it has no field {step!r} ('${{{body}}}')")
            shown = f"{shown}.{step}"
        return value


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return []
    return []
