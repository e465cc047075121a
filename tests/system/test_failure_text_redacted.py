"""A platform's failure text that quotes a secret is masked before it reaches the state or the output."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, NoReturn

import pytest

from reconciler import emulators, errors
from reconciler.providers.alviss.upload import Upload
from reconciler.providers.base import ClientOptions
from reconciler.workflow import Settings, Workspace
from tests.support import REPO, no_wait

CANARY = "canary-0d4e8f21-token-do-not-print"


async def test_a_job_failure_quoting_the_token_is_masked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    monkeypatch.chdir(tmp_path)
    spec = tmp_path / "specs" / "demo.yaml"
    spec.write_text(spec.read_text().replace("# token: ${env:ALVISS_TOKEN}", "token: ${env:ALVISS_TOKEN}"))

    async def failing(*args: Any, **kwargs: Any) -> NoReturn:
        raise errors.JobFailed(f"upload failed: worker saw header 'Authorization: Bearer {CANARY}'")

    monkeypatch.setattr(Upload, "apply", failing)
    settings = Settings(
        environ={"ALVISS_TOKEN": CANARY},
        emulator_dir=tmp_path / "emulators",
        emulator_durations={name: dict.fromkeys(kinds, 0.0) for name, kinds in emulators.JOB_KINDS.items()},
        client=ClientOptions(sleep=no_wait),
    )
    seen: list[str] = []
    result = await Workspace(spec, settings=settings).apply(on_event=lambda event: seen.append(repr(event)))
    assert "failed" in result.report.outcomes.values()
    texts = [*result.report.messages.values(), *seen, (tmp_path / "state" / "demo.json").read_text()]
    assert any("Bearer ***" in text for text in texts)
    for text in texts:
        assert CANARY not in text
