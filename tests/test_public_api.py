"""The public surface is exactly ``reconciler.__all__``, and every name in it resolves."""

from __future__ import annotations

import subprocess
import sys

import reconciler


def test_every_exported_name_resolves() -> None:
    for name in reconciler.__all__:
        assert getattr(reconciler, name) is not None, name


def test_exports_match_the_lazy_table() -> None:
    assert set(reconciler.__all__) == {"__version__", *reconciler._EXPORTS}


def test_exports_are_the_documented_set() -> None:
    assert sorted(reconciler.__all__) == sorted(
        [
            "__version__",
            "Workspace",
            "Settings",
            "PlanResult",
            "ApplyResult",
            "Plan",
            "Change",
            "Decision",
            "Reason",
            "Event",
            "ApplyReport",
            "Action",
            "KNOWN_AFTER_APPLY",
            "ReconcilerError",
            "errors",
        ]
    )


def test_unknown_attribute_is_an_attribute_error() -> None:
    try:
        reconciler.no_such_name  # noqa: B018
    except AttributeError as error:
        assert "no_such_name" in str(error)
    else:
        raise AssertionError("expected AttributeError")


def test_importing_the_package_loads_nothing_heavy() -> None:
    heavy = "{'httpx', 'fastapi', 'pydantic', 'yaml'}"
    code = f"import sys, reconciler; print(sorted(m for m in sys.modules if m.split('.')[0] in {heavy}))"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "[]"
