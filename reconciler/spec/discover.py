"""Finding the spec of a repository, for commands run without one (``reconciler show``).

"A repository with one spec" is a directory where exactly one spec file is
found by looking in two places: the directory itself and its ``specs/``
subdirectory (the layouts ``reconciler init`` and the examples use).  A spec
file is a ``.yaml``/``.yml`` file whose top level has both ``version:`` and
``resources:``; nothing deeper is searched, and a spec split over several
files must be named.  The test is a look at the text, not a load: a spec with
errors is still found (and then reported by the command, with its place).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

#: Where specs are looked for, relative to the directory searched.
SPEC_DIRS: Final = (".", "specs")
#: Larger files are not looked into (no spec is that large; a data file may be).
_MAX_BYTES: Final = 4 << 20
_VERSION = re.compile(rb"^version\s*:", re.MULTILINE)
_RESOURCES = re.compile(rb"^resources\s*:", re.MULTILINE)


def is_spec_file(path: Path) -> bool:
    """Whether ``path`` looks like a spec file: YAML with ``version:`` and ``resources:`` at its top level."""
    if path.suffix not in (".yaml", ".yml"):
        return False
    try:
        if not path.is_file() or path.stat().st_size > _MAX_BYTES:
            return False
        data = path.read_bytes()
    except OSError:
        return False
    return bool(_VERSION.search(data) and _RESOURCES.search(data))


def find_specs(directory: Path) -> list[Path]:
    """The spec files in ``directory`` and its ``specs/``, sorted, as paths under ``directory``."""
    found: list[Path] = []
    for name in SPEC_DIRS:
        try:
            entries = sorted((directory / name).iterdir())
        except OSError:
            continue
        found.extend(entry for entry in entries if is_spec_file(entry))
    return found


__all__ = ["SPEC_DIRS", "find_specs", "is_spec_file"]
