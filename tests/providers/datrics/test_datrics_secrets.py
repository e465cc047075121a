"""The JWT secret and the token signed from it never reach output, state or error messages."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest
from datrics_provider_support import Example
from pydantic import ValidationError

from reconciler import emulators, errors
from reconciler.providers.base import ClientOptions, Connection
from reconciler.providers.datrics import Datrics
from reconciler.providers.datrics.access import access_token
from reconciler.providers.datrics.client import TaskReport
from reconciler.providers.datrics.config import DatricsConfig
from reconciler.render.plan_text import render_plan

CANARY = "canary-datrics-secret-7f3a9c1e-do-not-print"
USER = {"user_id": 42, "email": "analyst@example.com"}


async def test_the_canary_secret_and_its_token_are_nowhere_after_plan_and_apply(tmp_path: Path) -> None:
    example = Example.copy(tmp_path, environ={"DATRICS_SECRET": CANARY})
    example.edit_spec("# secret: ${env:DATRICS_SECRET}", "secret: ${env:DATRICS_SECRET}")
    token = access_token(CANARY, **USER)
    planned = await example.workspace().plan()
    messages: list[str] = []
    result = await example.workspace().apply(on_event=lambda event: messages.append(repr(event)))
    assert result.report.ok
    texts = [
        render_plan(planned.plan),
        repr(planned.spec.providers["datrics"].config),
        example.state_file.read_text(),
        *messages,
        *result.report.messages.values(),
    ]
    for text in texts:
        assert CANARY not in text and token not in text


@pytest.fixture
def strict_emulator(tmp_path: Path) -> Iterator[httpx.ASGITransport]:
    """An emulator that verifies signatures with its own secret."""
    app = emulators.create_app("datrics", data_dir=tmp_path, durations={"predict": 0}, token=CANARY)
    yield httpx.ASGITransport(app=app)
    app.state.store.close()


async def _ask(transport: httpx.ASGITransport, secret: str) -> TaskReport:
    config = DatricsConfig.model_validate({"endpoint": "emulator://datrics", "secret": secret, **USER})
    connection = Connection(base_url="http://datrics.emulator/api/v1", transport=transport, emulated=True)
    async with Datrics().connect("datrics", config, connection=connection, options=ClientOptions()) as client:
        return await client.task_info("some-task")


async def test_the_signed_token_passes_a_verifying_server(strict_emulator: httpx.ASGITransport) -> None:
    assert (await _ask(strict_emulator, CANARY)).raw == {"id": "some-task", "state": "PENDING"}


async def test_a_rejected_token_names_neither_secret_nor_token(strict_emulator: httpx.ASGITransport) -> None:
    wrong = "wrong-" + CANARY
    with pytest.raises(errors.AuthError) as caught:
        await _ask(strict_emulator, wrong)
    error = caught.value
    assert error.status == 401 and "Invalid token" in str(error)
    assert "DATRICS_SECRET" in (error.hint or "")
    for text in (str(error), error.body, repr(error.args)):
        assert wrong not in text and CANARY not in text and access_token(wrong, **USER) not in text


def test_the_token_carries_exactly_the_vendors_claims() -> None:
    token = access_token(CANARY, **USER)
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    assert jwt.decode(token, CANARY, algorithms=["HS256"]) == {"userId": 42, "email": "analyst@example.com"}


async def test_a_real_endpoint_without_a_secret_is_refused_before_any_request() -> None:
    with pytest.raises(ValidationError, match="is required with a real endpoint"):
        DatricsConfig.model_validate(USER)  # what the loader reports at the provider's file:line:col
    config = DatricsConfig.model_construct(**USER)  # made in code, unchecked: connecting refuses it too
    assert config.endpoint == "https://api.app.datrics.ai/api/v1"
    connection = Connection(base_url=config.endpoint)
    with pytest.raises(errors.ProviderError, match="no secret"):
        async with Datrics().connect("datrics", config, connection=connection, options=ClientOptions()):
            pass


def test_the_configuration_shows_no_secret() -> None:
    config = DatricsConfig.model_validate({"secret": CANARY, **USER})
    assert CANARY not in repr(config) and CANARY not in config.model_dump_json()
    assert json.loads(config.model_dump_json())["secret"] == "**********"
