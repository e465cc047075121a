"""The plan as JSON: the versioned document of ``docs/plan-format.md``.

It is the very document a saved plan holds (``engine/saved.py``), so a
pipeline that reads ``plan --format json`` and one that applies ``plan -out``
see the same thing.  Its schema is ``docs/plan.schema.json``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from reconciler.engine.plan import Plan
from reconciler.engine.saved import to_document
from reconciler.spec.document import Spec


def render_plan_json(plan: Plan, *, spec: Spec | None = None, sources: Sequence[str] = ()) -> str:
    """The plan document, indented, without a trailing newline."""
    return json.dumps(to_document(plan, spec=spec, sources=sources), indent=2)


__all__ = ["render_plan_json"]
