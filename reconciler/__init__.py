"""reconciler: a desired-state reconciler for ML platforms.

The public Python API is the command line's workflows as library calls::

    import asyncio
    from reconciler import Workspace

    result = asyncio.run(Workspace("specs/demo.yaml").plan())
    print(result.plan.counts())

Names are imported on first use (PEP 562) so that ``import reconciler`` and
``reconciler --version`` stay instant.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Workspace": "reconciler.workflow",
    "Settings": "reconciler.workflow",
    "PlanResult": "reconciler.workflow",
    "ApplyResult": "reconciler.workflow",
    "Plan": "reconciler.engine.plan",
    "Change": "reconciler.engine.plan",
    "Event": "reconciler.engine.executor",
    "ApplyReport": "reconciler.engine.executor",
    "Action": "reconciler.vocabulary",
    "Reason": "reconciler.vocabulary",
    "Decision": "reconciler.providers.base",
    "KNOWN_AFTER_APPLY": "reconciler.vocabulary",
    "ReconcilerError": "reconciler.errors",
    "errors": "reconciler.errors",
}

__all__ = [
    "KNOWN_AFTER_APPLY",
    "Action",
    "ApplyReport",
    "ApplyResult",
    "Change",
    "Decision",
    "Event",
    "Plan",
    "PlanResult",
    "Reason",
    "ReconcilerError",
    "Settings",
    "Workspace",
    "__version__",
    "errors",
]

if TYPE_CHECKING:
    from reconciler import errors
    from reconciler.engine.executor import ApplyReport, Event
    from reconciler.engine.plan import Change, Plan
    from reconciler.errors import ReconcilerError
    from reconciler.providers.base import Decision
    from reconciler.vocabulary import KNOWN_AFTER_APPLY, Action, Reason
    from reconciler.workflow import ApplyResult, PlanResult, Settings, Workspace


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'reconciler' has no attribute {name!r}")
    module = importlib.import_module(module_name)
    return module if name == "errors" else getattr(module, name)
