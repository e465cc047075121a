"""Values read from the environment (``${env:NAME}``): what makes one unusable, said without showing it.

Secrets come from the environment, never from the file; the expressions that
read them are :mod:`reconciler.spec.expressions`'.  A value holding control
characters (usually a secret read from a file with its last newline) cannot
be sent in a header, so it is refused where it is read, with a hint that
never quotes it.
"""

from __future__ import annotations

import unicodedata

__all__ = ["control_hint", "control_problem"]

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


def control_hint(name: str, value: str) -> str:
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
