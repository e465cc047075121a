"""How long one apply waits for each resource type's job: its job kind's deadline, for ``/metrics``.

A job still running past its deadline is what an operator wants to hear
about.  A resource type names no job kind (its ``apply`` passes one to the
one poll loop), so the pairs are written out here, each from the job kind the
type's ``apply`` waits with; a type missing here simply has no deadline
metric.  The clients are imported only when a deadline is first asked for.
"""

from __future__ import annotations

import functools
import importlib

#: Resource type -> (client module, job kind constant) its apply waits with.
_KINDS: dict[str, tuple[str, str]] = {
    "alviss.upload": ("reconciler.providers.alviss.client", "UPLOAD"),
    "alviss.active_dataset": ("reconciler.providers.alviss.client", "DATASET"),
    "alviss.refit": ("reconciler.providers.alviss.client", "REFIT"),
    "alviss.model": ("reconciler.providers.alviss.client", "BUILD"),
    "alviss.attribution": ("reconciler.providers.alviss.client", "ATTRIBUTION"),
    "alviss.active_attribution_set": ("reconciler.providers.alviss.client", "ATTRIBUTION_SET"),
    "akkio.model": ("reconciler.providers.akkio.client", "TRAIN"),
    "sony_epa.retrain": ("reconciler.providers.sony_epa.client", "RETRAIN"),
    "datrics.predictions": ("reconciler.providers.datrics.client", "PREDICTION"),
}


@functools.cache
def deadline(resource_type: str) -> float | None:
    """Seconds one apply waits for a job of ``resource_type``; None when it has no known job kind."""
    where = _KINDS.get(resource_type)
    if where is None:
        return None
    module, name = where
    try:
        kind = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None
    seconds = getattr(kind, "deadline", None)
    return float(seconds) if isinstance(seconds, int | float) else None
