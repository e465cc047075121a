"""A wrong endpoint is a configuration error: exit 1, the URL path tried, what to check, nothing sent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from reconciler.cli import main
from tests.served import served_emulator
from tests.system.weekly_support import TOKEN, weekly_against


def mutating(base: str) -> dict[str, int]:
    stats: dict[str, Any] = httpx.get(f"{base}/_emulator/stats", timeout=10).json()
    return {route: n for route, n in stats["requests"].items() if not route.startswith("GET ")}


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env={"ALVISS_TOKEN": TOKEN}, catch_exceptions=False)
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("endpoint", "tried"),
    [
        # Which project-level read answers 404 first depends on timing (they run side by side):
        # what matters is the URL tried, with the prefix as written.
        ("{base}", "GET /projects/1/"),  # the /api/v1/api prefix left out (any market's project)
        ("{base}/api/v1", "GET /api/v1/projects/1/"),  # half of it
    ],
)
def test_an_endpoint_without_its_prefix_stops_the_plan_and_sends_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, endpoint: str, tried: str
) -> None:
    monkeypatch.chdir(tmp_path)
    with served_emulator("alviss", data_dir=tmp_path / "world", token=TOKEN) as base:
        spec = weekly_against(tmp_path, base)
        spec.write_text(spec.read_text().replace(f"{base}/api/v1/api", endpoint.format(base=base)))

        code, output = run("plan", str(spec), "--detailed-exitcode")
        assert code == 1, output
        assert tried in output
        assert "answered 404" in output and "nothing was planned" in output
        assert "/api/v1/api" in output and "team and project ids (1/" in output
        assert "to create" not in output and "Traceback" not in output

        code, output = run("apply", str(spec), "--auto-approve")
        assert code == 1, output
        assert tried in output
        assert mutating(base) == {}
        assert (
            not (tmp_path / "state" / "weekly-refresh.json").exists()
            or "upload_id" not in (tmp_path / "state" / "weekly-refresh.json").read_text()
        )


def test_a_source_model_the_project_does_not_have_is_an_error_at_its_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The endpoint is right (the 404 names the model): the id is wrong, and the error says where."""
    monkeypatch.chdir(tmp_path)
    with served_emulator("alviss", data_dir=tmp_path / "world", token=TOKEN) as base:
        spec = weekly_against(tmp_path, base)
        text = spec.read_text()
        assert "        model: 3\n" in text  # Sweden's, in the map of markets
        spec.write_text(text.replace("        model: 3\n", "        model: 333\n"))
        module = spec.parent / "modules" / "market.yaml"
        line = module.read_text().splitlines().index("    model: ${var.model}") + 1
        code, output = run("plan", str(spec))
        assert code == 1, output
        # At the field of the module's refit, naming the market's instance.
        assert (
            f"{module}:{line}:12: module.market[se].alviss.refit.weekly: 'model': model 333 does not exist"
            in output
        )
        assert "answered 404" not in output and "Traceback" not in output
        assert mutating(base) == {}


def test_no_active_dataset_said_by_the_platform_is_still_a_fact() -> None:
    """Only the router's bare 404 (or a missing project) is a configuration error."""
    import asyncio

    from reconciler import errors
    from tests.providers.alviss.alviss_answer_support import client_answering

    def answer(detail: str) -> Any:
        return lambda method, path: httpx.Response(404, json={"detail": detail})

    assert asyncio.run(client_answering(answer("No active dataset")).get_active_dataset()) is None
    with pytest.raises(errors.ReconcilerError, match="answered 404"):
        asyncio.run(client_answering(answer("Not Found")).get_active_dataset())
    with pytest.raises(errors.ReconcilerError, match="answered 404"):
        asyncio.run(client_answering(answer("Project not found")).get_active_attribution_set())
