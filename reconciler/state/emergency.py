"""The last resort when a state write fails: a copy of the document where a user will find it.

State holds job ids that took hours to earn; a write that fails (full disk,
lost database connection) must not lose them.  Every backend saves the
document it could not store with :func:`write_emergency` and names the copy
in its :class:`~reconciler.errors.StateWriteFailed`, so recovery is the same
whatever the store: fix the cause, put the copy back.
"""

from __future__ import annotations

import contextlib
import re
import tempfile
from pathlib import Path

from reconciler.state.document import StateDocument


def write_emergency(document: StateDocument, data: bytes) -> Path | None:
    """Save ``data`` where a user will find it: the working directory, else the temp directory."""
    lineage = re.sub(r"[^A-Za-z0-9_.-]", "_", document.lineage)
    name = f"reconciler-emergency-{lineage}-{document.serial}.json"
    for directory in (Path.cwd, lambda: Path(tempfile.gettempdir())):
        target = None
        try:
            target = directory() / name
            target.write_bytes(data)
        except OSError:
            if target is not None:  # a full disk may have taken part of it: leave no half copy
                with contextlib.suppress(OSError):
                    target.unlink(missing_ok=True)
            continue
        return target
    return None
