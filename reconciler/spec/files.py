"""Local files a spec names: a data file must exist and be a regular file.

Resource types mark their file fields with :class:`~reconciler.spec.refs.LocalFile`;
the loader checks them all here, in one place for every platform.  A
directory, a device such as ``/dev/zero`` or a FIFO where a data file should
be would otherwise fail (or, for a FIFO or an endless device, hang) deep inside
a plan while the file is hashed or uploaded; here it is an error at the
field's ``file:line:col`` at validate and plan time, before anything is read or
sent.  A data file the resource reads must also exist (a missing output file
simply means "not written yet"), so ``validate`` catches a mistyped path
offline, as ``plan`` does.

The same check, :func:`regular_file_problem`, is for providers to repeat just
before opening a file, since a file can be replaced after the spec was loaded.
"""

from __future__ import annotations

import itertools
import os
import stat
from collections.abc import Mapping
from pathlib import Path

from reconciler.errors import SpecError
from reconciler.spec.document import ResourceSpec
from reconciler.spec.messages import display_path, spec_error
from reconciler.spec.names import suggest
from reconciler.spec.refs import LocalFile, marked

__all__ = ["check_files", "regular_file_problem", "resolve"]

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def resolve(base_dir: Path, relative: str) -> Path:
    """A file named in the spec, resolved against the spec's directory (``~`` expanded)."""
    candidate = Path(relative).expanduser()
    return candidate if candidate.is_absolute() else base_dir / candidate


def regular_file_problem(path: Path) -> str | None:
    """Why ``path`` cannot be read as a data file (None: a regular file, or nothing there).

    Follows symbolic links (a link to ``/dev/zero`` is a device) and never opens the file.
    """
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot be examined: {exc.strerror or exc}"
    if stat.S_ISREG(mode):
        return None
    for test, kind in _KINDS:
        if test(mode):
            return f"is {kind}, not a regular file"
    return "is not a regular file"


_LISTED = 2000  # files of a directory compared with a missing one's name, at most


def _close_file(path: Path, written: str) -> str | None:
    """A file beside the missing ``path`` whose name is close to its name, as ``written`` would name it."""
    try:
        with os.scandir(path.parent) as entries:
            names = [entry.name for entry in itertools.islice(entries, _LISTED) if entry.is_file()]
    except OSError:
        return None
    close = suggest(path.name, names)
    if close is None:
        return None
    return written[: len(written) - len(path.name)] + close if written.endswith(path.name) else None


def check_files(resources: Mapping[str, ResourceSpec], *, base_dir: Path) -> list[SpecError]:
    """An error for every marked file field of ``resources`` naming a missing data file or no regular file."""
    found: list[SpecError] = []
    for address, resource in resources.items():
        for item in marked(resource.config, LocalFile):
            if not item.value:
                continue
            path = resolve(base_dir, item.value)
            field = f"{address}: {display_path(item.path)!r}"
            absolute = os.path.isabs(item.value)
            problem = regular_file_problem(path)
            if problem is not None:
                shown = item.value if absolute else f"{item.value} ({path})"
                message = f"{field}: {shown} {problem}"
                hint = "name a regular file to write to" if item.marker.output else "name a data file"
            elif not item.marker.output and not path.exists():
                looked = "" if absolute else f" (looked for {path})"
                message = f"{field}: {item.value} does not exist{looked}"
                close = _close_file(path, item.value)
                hint = f"did you mean {close!r}?" if close else "name an existing data file"
                if not absolute:
                    hint += " (a relative path starts at the spec file's directory)"
            else:
                continue
            where = resource.field_locations.get(item.path, resource.location)
            found.append(spec_error(message, where, hint=hint))
    return found
