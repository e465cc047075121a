"""The last resort: an exception nobody expected becomes one line, a crash report and exit 1.

Every error the reconciler knows about is a :class:`~reconciler.errors.ReconcilerError`
with a message of its own.  Anything else is a bug: the person running the
command gets one line saying so and where the details are, never a
traceback; the details (the traceback, the command, versions) go to a crash
report file, with every secret the process knows masked in each of its forms
(:func:`reconciler.redact.known`).

Reports go to ``$RECONCILER_CRASH_DIR``, else ``.reconciler/crash/`` under the
current directory, else the system's temporary directory; each is readable
by its owner only.
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import traceback
from datetime import UTC, datetime
from pathlib import Path

from reconciler import __version__
from reconciler.redact import cut, known

__all__ = ["report_crash"]


def _directories() -> list[Path]:
    chosen = os.environ.get("RECONCILER_CRASH_DIR")
    found = [Path(chosen)] if chosen else []
    return [*found, Path(".reconciler") / "crash", Path(tempfile.gettempdir()) / "reconciler-crash"]


def _details(exc: BaseException, when: datetime) -> str:
    lines = [
        "reconciler crash report",
        f"time:     {when.isoformat()}",
        f"version:  reconciler {__version__}, Python {platform.python_version()} on {platform.platform()}",
        f"command:  {' '.join(sys.argv)}",
        f"cwd:      {os.getcwd()}",
        "",
        *traceback.format_exception(exc),
    ]
    return "\n".join(line.rstrip("\n") for line in lines) + "\n"


def _write(text: str, stamp: str) -> Path | None:
    for directory in _directories():
        try:
            directory.mkdir(parents=True, exist_ok=True)
            path = directory / f"crash-{stamp}-{os.getpid()}.txt"
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(text)
            return path
        except OSError:
            continue
    return None


def report_crash(exc: BaseException) -> str:
    """Write the crash report for ``exc``; the one line to print (secrets masked in both)."""
    redact = known()
    when = datetime.now(UTC)
    path = _write(redact(_details(exc, when)), when.strftime("%Y%m%dT%H%M%S.%fZ"))
    summary = " ".join(f"{type(exc).__name__}: {exc}".split())
    where = f"details in {path}" if path is not None else "no crash report could be written"
    return redact(
        f"Error: unexpected internal error ({cut(summary, 200)}); {where}. "
        "Nothing more was started; the state holds every step recorded so far. Please report this."
    )
