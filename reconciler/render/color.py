"""Whether output gets colours: ``--no-color``, ``NO_COLOR`` (https://no-color.org), else a terminal.

Apart from the live progress view (:mod:`reconciler.render.progress`) so that a plan, which only
asks this question, does not import the terminal library's live display to answer it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import IO


def wants_color(stream: IO[str], color: bool | None, environ: Mapping[str, str] | None = None) -> bool:
    """``color`` when given; otherwise a terminal without ``NO_COLOR`` set (to anything non-empty)."""
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR"):
        return False
    if color is not None:
        return color
    return isatty(stream)


def isatty(stream: IO[str]) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
