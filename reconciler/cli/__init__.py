"""The command line: argv → one workflow call → a view → an exit code.

Nothing below this package imports click.  Every :class:`ReconcilerError` is
printed as a message (never a traceback) and mapped to its exit code.  Heavy
modules are imported inside the commands so ``--version`` and ``--help``
start instantly.  Commands live in one module per group; each registers
itself on :data:`main` when imported here.
"""

from __future__ import annotations

from reconciler.cli import agent, core, drift, emulator, report, state, tools
from reconciler.cli.group import main

__all__ = ["agent", "core", "drift", "emulator", "main", "report", "state", "tools"]
