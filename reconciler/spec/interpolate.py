"""``${env:NAME}`` in spec strings: secrets come from the environment, never from the file.

Interpolation runs before any model validates a value, so an integer setting
may come from the environment too.  The resolved text is a secret as far as
this layer knows: the document keeps the original text of every string it
changed, and messages quote that (``'${env:ALVISS_TOKEN}'``) instead of the
value.  ``$${`` writes a literal ``${``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.errors import SpecError
from reconciler.redact import remember
from reconciler.spec.messages import is_secret_path
from reconciler.spec.yamlpos import Document, YamlPath

__all__ = ["control_problem", "interpolate"]

_TOKEN = re.compile(r"\$\$\{|\$\{([^}]*)\}|\$\{")
_ENV = re.compile(r"env:([A-Za-z_][A-Za-z0-9_]*)")
_HINT = "write ${env:NAME} to read an environment variable, or $${ for a literal '${'"


_NAMES = {"\n": "a newline", "\r": "a carriage return", "\t": "a tab", "\x00": "a NUL byte"}


def control_problem(value: str) -> str | None:
    """What is wrong with a value holding control characters (never the value itself), or None.

    No setting of a spec holds one, and a token with one cannot be sent in a
    header; the usual cause is a secret read from a file with its last newline.
    """
    bad = [char for char in value if unicodedata.category(char) == "Cc"]
    if not bad:
        return None
    body = value.rstrip("\r\n")
    if len(body) == len(value) - len(bad):  # only line endings, all at the end
        ending = value[len(body) :]
        return "ends with " + " and ".join(_NAMES[char] for char in dict.fromkeys(ending))
    first = next(char for char in body if unicodedata.category(char) == "Cc")
    return "contains " + _NAMES.get(first, f"the control character U+{ord(first):04X}")


def _control_hint(name: str, value: str) -> str:
    if value.endswith("\r\n"):
        return (
            f"a file's line ending came along: strip it where {name} is set "
            "(tr -d '\\r\\n' < FILE); the value is not shown"
        )
    if value.endswith("\n") and value.rstrip("\n").isprintable():
        return (
            f'a file\'s last newline came along: set it with {name}="$(cat FILE)", '
            "which drops it (the value is not shown)"
        )
    return f"remove the control characters where {name} is set (the value is not shown)"


def interpolate(document: Document, *, environ: Mapping[str, str], errors: list[SpecError]) -> set[str]:
    """Resolve every string of ``document`` in place; returns the values read from ``environ``."""
    reading = _Reading(document, environ, errors)
    document.value = reading.walk(document.value, ())
    return reading.used


@dataclass
class _Reading:
    """One document's interpolation: where errors go and which values of ``environ`` were used."""

    document: Document
    environ: Mapping[str, str]
    errors: list[SpecError]
    used: set[str] = field(default_factory=set)

    def walk(self, value: Any, path: YamlPath) -> Any:
        if isinstance(value, str):
            return self.string(value, path)
        if isinstance(value, list):
            return [self.walk(item, (*path, index)) for index, item in enumerate(value)]
        if isinstance(value, dict):
            return {key: self.walk(item, (*path, key)) for key, item in value.items()}
        return value

    def string(self, text: str, path: YamlPath) -> str:
        if "${" not in text:
            return text
        read_env = False

        def fail(message: str, hint: str) -> str:
            where = self.document.at(path)
            self.errors.append(
                SpecError(message, file=where.file, line=where.line, column=where.column, hint=hint)
            )
            self.document.broken.add(path)
            return ""

        def replace(match: re.Match[str]) -> str:
            nonlocal read_env
            token = match.group(0)
            if token == "$${":
                return "${"
            body = match.group(1)
            if body is None:
                return fail("unterminated '${' in a string", _HINT)
            env = _ENV.fullmatch(body)
            if env is None:
                return fail(f"unsupported interpolation '${{{body}}}'", _HINT)
            name = env.group(1)
            if name not in self.environ:
                return fail(f"environment variable {name!r} is not set", f"export {name}=...")
            value = self.environ[name]
            problem = control_problem(value)
            if problem is not None:
                return fail(f"environment variable {name!r} {problem}", _control_hint(name, value))
            read_env = True
            self.used.add(value)
            if is_secret_path(path):
                remember(value)  # masked in every last word of the process (see reconciler.redact)
            return value

        result = _TOKEN.sub(replace, text)
        if read_env:
            self.document.sources[path] = text
        return result
