"""``${env:NAME}`` in spec strings: secrets come from the environment, never from the file.

Interpolation runs before any model validates a value, so an integer setting
may come from the environment too.  The resolved text is a secret as far as
this layer knows: the document keeps the original text of every string it
changed, and messages quote that (``'${env:ALVISS_TOKEN}'``) instead of the
value.  ``$${`` writes a literal ``${``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from reconciler.errors import SpecError
from reconciler.spec.yamlpos import Document, YamlPath

__all__ = ["interpolate"]

_TOKEN = re.compile(r"\$\$\{|\$\{([^}]*)\}|\$\{")
_ENV = re.compile(r"env:([A-Za-z_][A-Za-z0-9_]*)")
_HINT = "write ${env:NAME} to read an environment variable, or $${ for a literal '${'"


def interpolate(document: Document, *, environ: Mapping[str, str], errors: list[SpecError]) -> set[str]:
    """Resolve every string of ``document`` in place; returns the values read from ``environ``."""
    used: set[str] = set()
    document.value = _walk(document, document.value, (), environ, errors, used)
    return used


def _walk(
    document: Document,
    value: Any,
    path: YamlPath,
    environ: Mapping[str, str],
    errors: list[SpecError],
    used: set[str],
) -> Any:
    if isinstance(value, str):
        return _string(document, value, path, environ, errors, used)
    if isinstance(value, list):
        return [
            _walk(document, item, (*path, index), environ, errors, used) for index, item in enumerate(value)
        ]
    if isinstance(value, dict):
        return {
            key: _walk(document, item, (*path, key), environ, errors, used) for key, item in value.items()
        }
    return value


def _string(
    document: Document,
    text: str,
    path: YamlPath,
    environ: Mapping[str, str],
    errors: list[SpecError],
    used: set[str],
) -> str:
    if "${" not in text:
        return text
    read_env = False

    def fail(message: str, hint: str) -> str:
        where = document.at(path)
        errors.append(SpecError(message, file=where.file, line=where.line, column=where.column, hint=hint))
        document.broken.add(path)
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
        if name not in environ:
            return fail(f"environment variable {name!r} is not set", f"export {name}=...")
        read_env = True
        used.add(environ[name])
        return environ[name]

    result = _TOKEN.sub(replace, text)
    if read_env:
        document.sources[path] = text
    return result
