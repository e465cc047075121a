"""Where the reconciler keeps what it made: the state document, its backends and their lock.

The engine depends only on :class:`StateBackend`; which backend serves a
workspace is chosen from the spec's ``state:`` block.
"""

from reconciler.state.backend import StateBackend
from reconciler.state.document import FORMAT_VERSION, PendingOperation, ResourceState, StateDocument
from reconciler.state.factory import open_backend
from reconciler.state.local import LocalBackend
from reconciler.state.lock import LockInfo

__all__ = [
    "FORMAT_VERSION",
    "LocalBackend",
    "LockInfo",
    "PendingOperation",
    "ResourceState",
    "StateBackend",
    "StateDocument",
    "open_backend",
]
