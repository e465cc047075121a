"""The result of ``validate`` as JSON, for editors and CI annotations (``docs/plan-format.md``).

One document whether the spec is valid or not: ``valid``, the number of
errors and, for each, where it is (``file``, ``line``, ``column``, 1-based)
and what to do (``message``, ``hint``).  Its schema is
``docs/validate.schema.json``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from reconciler.errors import ReconcilerError, SpecError, SpecErrors
from reconciler.spec.document import Spec

FORMAT = "reconciler-validate"
FORMAT_VERSION = 1

__all__ = ["FORMAT", "FORMAT_VERSION", "render_validation_json"]


def _diagnostic(error: ReconcilerError) -> dict[str, Any]:
    """One error: located when it is about a spec file (always, in practice), else with null places."""
    spec = error if isinstance(error, SpecError) else None
    return {
        "severity": "error",
        "file": spec.file if spec is not None else None,
        "line": spec.line if spec is not None else None,
        "column": spec.column if spec is not None else None,
        "message": error.message,
        "hint": error.hint,
    }


def render_validation_json(
    *, sources: Sequence[str], spec: Spec | None = None, error: ReconcilerError | None = None
) -> str:
    """The document for a valid ``spec``, or for ``error`` (every error of a SpecErrors), indented."""
    problems: list[ReconcilerError] = []
    if isinstance(error, SpecErrors):
        problems.extend(error.errors)
    elif error is not None:
        problems.append(error)
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "spec_files": list(sources),
        "valid": not problems,
        "error_count": len(problems),
        "resources": len(spec.resources) if spec is not None and not problems else None,
        "providers": len(spec.providers) if spec is not None and not problems else None,
        "diagnostics": [_diagnostic(problem) for problem in problems],
    }
    return json.dumps(document, indent=2, ensure_ascii=False)
