"""Every platform is a declaration: connecting sends the credential its ``Auth`` declares, and its
job kinds read their answers and wait on their schedules through the one shared loop."""

from __future__ import annotations

from typing import Any

import httpx
import jwt
import pytest

from reconciler import errors
from reconciler.providers.base import ClientOptions, Connection
from reconciler.providers.registry import PLATFORMS
from reconciler.providers.waiting import Classifier, JobKind
from reconciler.wait import PollSchedule, Waiter

SECRET = "a-secret-long-enough-for-an-hs256-signature"
#: What a provider block of each platform needs besides its endpoint and credential.
EXTRA: dict[str, dict[str, Any]] = {
    "alviss": {"team": 1, "project": 2},
    "akkio": {},
    "sony_epa": {},
    "datrics": {"user_id": 7, "email": "a@example.com"},
}


async def _headers(name: str, secret: str | None) -> httpx.Headers:
    platform = PLATFORMS[name]
    given = {} if secret is None else {platform.auth.field: secret}
    config = platform.config_class.model_validate({"endpoint": f"emulator://{name}", **given, **EXTRA[name]})
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    connection = Connection(
        base_url="http://platform.test", transport=httpx.MockTransport(handle), emulated=True
    )
    async with platform.connect(
        f"{name}.main", config, connection=connection, options=ClientOptions()
    ) as client:
        await client.http.request("GET", "/anything")
    return seen[0].headers


@pytest.mark.parametrize("name", sorted(PLATFORMS))
async def test_the_declared_header_carries_the_credential(name: str) -> None:
    auth = PLATFORMS[name].auth
    sent = (await _headers(name, SECRET))[auth.header]
    stand_in = (await _headers(name, None))[auth.header]
    if auth.sign is None:
        assert sent == auth.format.format(SECRET)
        assert stand_in == auth.format.format(auth.stand_in.format(instance=f"{name}.main"))
    else:  # Datrics: a JWT signed with the secret, never the secret itself
        token = sent.removeprefix("Bearer ")
        assert jwt.decode(token, SECRET, algorithms=["HS256"]) == {
            "userId": 7,
            "email": "a@example.com",
        }
        assert SECRET not in sent and stand_in.startswith("Bearer ")


@pytest.mark.parametrize("name", sorted(PLATFORMS))
async def test_a_real_endpoint_without_its_credential_is_refused_with_the_declared_hint(name: str) -> None:
    platform = PLATFORMS[name]
    config = platform.config_class.model_construct(**EXTRA[name])  # made in code: the loader did not check it
    with pytest.raises(errors.ProviderError, match=f"no {platform.auth.field}") as caught:
        async with platform.connect(
            name, config, connection=Connection(base_url="https://x.test"), options=ClientOptions()
        ):
            pass
    assert caught.value.hint == platform.auth.hint


def test_name_and_api_path_come_from_the_configuration() -> None:
    assert {name: (platform.name, platform.api_path) for name, platform in PLATFORMS.items()} == {
        "alviss": ("alviss", "/api/v1/api"),
        "akkio": ("akkio", "/api/v1"),
        "sony_epa": ("sony_epa", "/v1/external"),
        "datrics": ("datrics", "/api/v1"),
    }


def test_every_platform_declares_its_kinds_of_job() -> None:
    for platform in PLATFORMS.values():
        names = [kind.name for kind in platform.jobs]
        assert names and len(names) == len(set(names)), platform.name
        for kind in platform.jobs:
            assert kind.schedule.first <= kind.schedule.cap < kind.deadline


class _Journal:
    def __init__(self) -> None:
        self.words: list[tuple[str, float | None]] = []

    pending = None

    async def intent(self, step: str, **detail: Any) -> None:
        raise AssertionError("waiting sends nothing")

    async def submitted(self, job_id: str | int, **detail: Any) -> None:
        raise AssertionError("waiting sends nothing")

    def progress(self, word: str, *, estimate_seconds: float | None = None) -> None:
        self.words.append((word, estimate_seconds))


async def _no_sleep(_: float) -> None:
    return None


async def test_waiting_reports_every_word_and_returns_the_last_answer_as_fetched() -> None:
    answers = iter([{"s": "queued", "eta": 30.0}, {"s": None, "eta": None}, {"s": "done", "eta": None}])
    kind: JobKind[dict[str, Any]] = JobKind(
        "job",
        PollSchedule(first=1.0, cap=5.0, deadline=60.0),
        Classifier(
            succeeded=("done",),
            failed=("broken",),
            word=lambda a: a["s"] or "unknown",
            estimate=lambda a: a["eta"],
        ),
    )

    async def fetch() -> dict[str, Any]:
        return next(answers)

    journal = _Journal()
    final = await kind.wait(fetch, what="job 1", journal=journal, waiter=Waiter(sleep=_no_sleep))
    assert final == {"s": "done", "eta": None}
    assert journal.words == [("queued", 30.0), ("unknown", None), ("done", None)]


async def test_a_failure_word_ends_the_wait_with_the_declared_message() -> None:
    kind: JobKind[dict[str, Any]] = JobKind(
        "job",
        PollSchedule(),
        Classifier(
            succeeded=("done",),
            failed=("broken",),
            word=lambda a: a["s"],
            message=lambda a, word: a.get("why"),
        ),
    )

    async def fetch() -> dict[str, Any]:
        return {"s": "broken", "why": "out of memory"}

    with pytest.raises(errors.JobFailed, match="job 1 failed: out of memory"):
        await kind.wait(fetch, what="job 1", journal=_Journal(), waiter=Waiter(sleep=_no_sleep))
