"""Choosing a backend from the spec's ``state:`` block, in one place.

The workflow knows the spec's settings; only this module knows which class
serves which ``backend:`` word.  The PostgreSQL backend is imported only when
asked for, so a local-state run never loads the database driver.
"""

from __future__ import annotations

from pathlib import Path

from reconciler import errors
from reconciler.state.backend import StateBackend
from reconciler.state.local import LocalBackend

BACKENDS = ("local", "postgres")


def open_backend(
    *, backend: str, path: Path | None = None, dsn: str | None = None, workspace: str | None = None
) -> StateBackend:
    """The backend for one workspace: ``local`` needs ``path``, ``postgres`` ``dsn`` and ``workspace``."""
    if backend == "local":
        if path is None:
            raise errors.StateError("a local state needs a path")
        return LocalBackend(path)
    if backend == "postgres":
        if not dsn:
            raise errors.StateError(
                "a postgres state needs a dsn", hint="set state.dsn, e.g. dsn: ${env:RECONCILER_PG_DSN}"
            )
        if not workspace:
            raise errors.StateError("a postgres state needs a workspace name", hint="set state.workspace")
        from reconciler.state.postgres import PostgresBackend

        return PostgresBackend(dsn, workspace=workspace)
    raise errors.StateError(f"unknown state backend {backend!r}", hint=f"use one of: {', '.join(BACKENDS)}")
