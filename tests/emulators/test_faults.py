"""Injected faults: decided by the seed, seen by an httpx client as on a real bad day, counted in stats."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.emulators import create_app
from reconciler.emulators.faults import KINDS, FaultInjector, Faults, parse, parse_kinds
from reconciler.emulators.transport import EmulatorTransport
from reconciler.errors import ReconcilerError
from reconciler.http import parse_retry_after
from tests.emulators.alviss.alviss_support import TOKEN, ZERO, FakeClock, sales_csv
from tests.served import served_emulator

P = "/api/v1/api/projects/1/1"
ROUTE = "/api/v1/api/projects/{team_id}/{project_id}"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
NEW_DATASET = {"dataset_ids": [1]}
Make = Callable[..., httpx.AsyncClient]


# -- decisions: a pure function of the seed -------------------------------------------------------------


def _kinds(faults: Faults, count: int) -> list[str]:
    injector = FaultInjector(faults)
    return [injector.next().kind for _ in range(count)]


def test_the_same_seed_gives_the_same_sequence_of_decisions() -> None:
    faults = Faults(rate=0.5, seed=1, latency_ms=10)
    # One wall clock for both: a 429's Retry-After date is computed from it, and a real clock may
    # tick over a second between the two sequences.
    first, second = (
        FaultInjector(faults, wall=lambda: 1_800_000_000.0),
        FaultInjector(faults, wall=lambda: 1_800_000_000.0),
    )
    assert [first.next() for _ in range(200)] == [second.next() for _ in range(200)]
    assert [first.decision(n) for n in range(5)] == [second.decision(n) for n in range(5)]
    # Fixed across processes and Python versions (SHA-256, not the random module).
    assert _kinds(faults, 10) == ["drop", "none", "503", "429", "none", "503", "none", "none", "429", "503"]
    assert _kinds(Faults(rate=0.5, seed=2), 200) != _kinds(faults, 200)


def test_rate_zero_injects_nothing() -> None:
    injector = FaultInjector(Faults(rate=0.0, seed=3))
    assert all(
        not decision.faulted and decision.delay == 0.0 for decision in map(injector.decision, range(500))
    )


def test_the_rate_is_met_and_every_enabled_kind_is_about_equally_likely() -> None:
    seen = _kinds(Faults(rate=0.2, seed=4), 6000)
    faulted = [kind for kind in seen if kind != "none"]
    assert 0.17 < len(faulted) / len(seen) < 0.23
    for kind in KINDS:
        assert 0.12 < faulted.count(kind) / len(faulted) < 0.22, kind
    only = set(_kinds(Faults(rate=1.0, seed=4, kinds=("lost", "500")), 200))
    assert only == {"lost", "500"}


def test_429_says_retry_after_in_both_forms_and_503_sometimes() -> None:
    now = 1_800_000_000.0
    injector = FaultInjector(Faults(rate=1.0, seed=5, kinds=("429", "503")), wall=lambda: now)
    decisions = [injector.decision(n) for n in range(200)]
    too_many = [dict(d.headers)["Retry-After"] for d in decisions if d.status == 429]
    assert "1" in too_many
    dates = [value for value in too_many if value != "1"]
    assert dates
    for value in dates:
        wait = parse_retry_after(value, now=datetime.fromtimestamp(now, tz=UTC))
        assert wait is not None and 1.0 <= wait <= 2.0
    unavailable = [d.headers for d in decisions if d.status == 503]
    assert (("Retry-After", "1"),) in unavailable and () in unavailable


def test_latency_has_a_seeded_jitter_around_the_mean() -> None:
    injector = FaultInjector(Faults(latency_ms=100.0, seed=6))
    delays = [injector.decision(n).delay for n in range(300)]
    assert all(0.05 <= delay <= 0.15 for delay in delays)
    assert len(set(delays)) > 250 and 0.09 < sum(delays) / len(delays) < 0.11


def test_job_failures_are_decided_by_seed_kind_and_id() -> None:
    never, always = Faults(job_failure_rate=0.0), Faults(job_failure_rate=1.0, seed=7)
    assert never.job_error("dataset", 1, 1, 2) is None
    assert always.job_error("dataset", 1, 1, 2) == "injected failure (seed 7)"
    some = Faults(job_failure_rate=0.3, seed=7)
    fates = [some.job_error("refit", 1, 1, obj_id) for obj_id in range(2000)]
    assert fates == [some.job_error("refit", 1, 1, obj_id) for obj_id in range(2000)]
    assert 0.26 < sum(fate is not None for fate in fates) / len(fates) < 0.34


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"rate": 1.5}, "bad fault rate: 1.5"),
        ({"rate": float("nan")}, "bad fault rate"),
        ({"job_failure_rate": -0.1}, "bad job failure rate"),
        ({"latency_ms": -1}, "bad latency"),
        ({"latency_ms": "slow"}, "'slow' is not a number"),
        ({"seed": 1.5}, "bad fault seed"),
        ({"kinds": ("500", "timeout")}, "unknown fault kind 'timeout'"),
        ({"kinds": ()}, "no fault kinds given"),
    ],
)
def test_bad_fault_settings_are_reconciler_errors(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ReconcilerError, match=message):
        Faults(**settings)


def test_parse_reads_the_environment_form() -> None:
    assert parse("") == Faults()
    assert parse("rate=0.2, seed=7, latency-ms=20, job_failure_rate=0.1, kinds=500+lost") == Faults(
        rate=0.2, seed=7, latency_ms=20.0, job_failure_rate=0.1, kinds=("500", "lost")
    )
    assert parse_kinds("429, drop") == ("429", "drop")
    assert parse_kinds("") == KINDS
    assert parse("rate=1,kinds=truncated+noid,only=POST,outage=60,outage_after=/refit") == Faults(
        rate=1.0, kinds=("truncated", "noid"), only="POST", outage=60.0, outage_after="/refit"
    )
    for text, message in [
        ("rate", "expected NAME=VALUE"),
        ("chaos=1", "unknown fault setting 'chaos'"),
        ("seed=x", "bad fault settings"),
        ("kinds=500+boom", "unknown fault kind 'boom'"),
        ("outage=-1", "bad outage"),
        ("outage=soon", "bad fault settings"),
    ]:
        with pytest.raises(ReconcilerError, match=message):
            parse(text)


# -- in-process: EmulatorTransport ----------------------------------------------------------------------


@pytest.fixture
async def make(tmp_path: Path) -> AsyncIterator[Make]:
    """Clients on apps sharing one world; ``faults=None`` gives a well-behaved observer."""
    opened: list[tuple[httpx.AsyncClient, Any]] = []

    def build(faults: Faults | None = None, *, sleep: Any = None) -> httpx.AsyncClient:
        data_dir = tmp_path / "data"
        app = create_app(
            "alviss", data_dir=data_dir, durations=ZERO, token=TOKEN, clock=FakeClock(), faults=faults
        )
        if sleep is not None:
            app.state.faults.sleep = sleep
        client = httpx.AsyncClient(
            transport=EmulatorTransport(app), base_url="http://alviss.test", headers=AUTH
        )
        opened.append((client, app))
        return client

    yield build
    for client, app in opened:
        await client.aclose()
        app.state.store.close()


async def _stats(observer: httpx.AsyncClient) -> Any:
    return (await observer.get("/_emulator/stats")).json()


async def _dataset_ids(observer: httpx.AsyncClient) -> list[int]:
    return [item["IId"] for item in (await observer.get(P + "/datasets")).json()]


@pytest.mark.parametrize("kind", ["500", "502", "503", "429"])
async def test_status_faults_answer_before_the_route_runs(make: Make, kind: str) -> None:
    faulty, observer = make(Faults(rate=1.0, kinds=(kind,))), make()
    response = await faulty.post(P + "/datasets", json=NEW_DATASET)
    assert response.status_code == int(kind)
    assert "injected fault" in response.json()["detail"]
    if kind == "429":
        assert response.headers["Retry-After"]
    assert await _dataset_ids(observer) == [1]
    stats = await _stats(observer)
    assert stats["faults"] == {kind: 1}
    assert stats["requests"] == {f"GET {ROUTE}/datasets": 1, f"POST {ROUTE}/datasets": 1}


async def test_a_dropped_connection_is_a_transport_error_and_creates_nothing(make: Make) -> None:
    faulty, observer = make(Faults(rate=1.0, kinds=("drop",))), make()
    with pytest.raises(httpx.RemoteProtocolError):
        await faulty.post(P + "/datasets", json=NEW_DATASET)
    assert await _dataset_ids(observer) == [1]
    assert (await _stats(observer))["faults"] == {"drop": 1}


async def test_a_lost_answer_is_a_transport_error_but_the_object_exists(make: Make) -> None:
    faulty, observer = make(Faults(rate=1.0, kinds=("lost",))), make()
    with pytest.raises(httpx.TransportError):
        await faulty.post(P + "/datasets", json=NEW_DATASET)
    with pytest.raises(httpx.TransportError):
        await faulty.post(
            P + "/datauploads", params={"dataset_name": "Sales"}, files={"file": ("w47.csv", _CSV)}
        )
    assert await _dataset_ids(observer) == [1, 2]
    stats = await _stats(observer)
    assert stats["objects"]["upload"] == 3
    assert stats["faults"] == {"lost": 2}


@pytest.mark.parametrize(
    ("kind", "body"),
    [("truncated", None), ("empty", b""), ("noid", b"{}"), ("wrongtype", b'{"IId": [2]}')],
)
async def test_a_garbled_answer_comes_after_the_object_was_made(
    make: Make, kind: str, body: bytes | None
) -> None:
    faulty, observer = make(Faults(rate=1.0, kinds=(kind,), only="POST")), make()
    response = await faulty.post(P + "/datasets", json=NEW_DATASET)
    assert response.status_code == 200
    if body is None:
        assert response.content and not response.content.endswith(b"}")
    else:
        assert response.content.startswith(body)
    assert (await faulty.get(P + "/datasets")).status_code == 200  # a GET is not faulted: only=POST
    assert await _dataset_ids(observer) == [1, 2]
    assert (await _stats(observer))["faults"] == {kind: 1}


async def test_an_outage_answers_every_get_with_503_for_its_length(tmp_path: Path) -> None:
    clock = FakeClock()
    faults = Faults(outage=60.0, outage_after="POST")
    app = create_app("alviss", data_dir=tmp_path, durations=ZERO, token=TOKEN, clock=clock, faults=faults)
    async with httpx.AsyncClient(
        transport=EmulatorTransport(app), base_url="http://alviss.test", headers=AUTH
    ) as client:
        assert (await client.get(P + "/datasets")).status_code == 200  # the outage has not begun
        assert (await client.post(P + "/datasets", json=NEW_DATASET)).status_code == 200
        clock.advance(59.0)
        answer = await client.get(P + "/datasets")
        assert answer.status_code == 503
        assert answer.headers["Retry-After"] == "1"
        assert (await client.post(P + "/datasets/1/activate")).status_code == 200  # only GETs fail
        clock.advance(1.0)
        assert (await client.get(P + "/datasets")).status_code == 200
        assert (await client.get("/_emulator/stats")).json()["faults"] == {"outage": 1}
    app.state.store.close()


async def test_emulator_routes_are_never_faulted(make: Make) -> None:
    faulty = make(Faults(rate=1.0, kinds=("drop",)))
    for _ in range(5):
        assert (await faulty.get("/_emulator/stats")).status_code == 200


async def test_faulted_requests_are_counted_so_retries_show(make: Make) -> None:
    faults = Faults(rate=0.7, seed=1, kinds=("503", "drop"))
    faulty, observer = make(faults), make()
    expected = [FaultInjector(faults).decision(n).kind for n in range(20)]
    expected = expected[: expected.index("none") + 1]
    assert len(expected) > 2  # the seed gives several faults before an answer
    seen: list[str] = []
    while not seen or seen[-1] != "none":
        try:
            response = await faulty.get(P + "/datasets/active")
            seen.append("none" if response.status_code == 200 else str(response.status_code))
        except httpx.TransportError:
            seen.append("drop")
    assert seen == expected
    stats = await _stats(observer)
    assert stats["requests"][f"GET {ROUTE}/datasets/active"] == len(seen)
    assert stats["faults"] == {kind: seen.count(kind) for kind in ("503", "drop") if kind in seen}


async def test_latency_delays_every_platform_response(make: Make) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    faulty = make(Faults(latency_ms=200.0, seed=2), sleep=sleep)
    await faulty.get(P + "/datasets/active")
    await faulty.get("/_emulator/stats")
    await faulty.post(P + "/datasets", json=NEW_DATASET)
    injector = FaultInjector(Faults(latency_ms=200.0, seed=2))
    assert slept == [injector.decision(0).delay, injector.decision(1).delay]
    assert all(0.1 <= seconds <= 0.3 for seconds in slept)


_CSV = sales_csv(["SWE,all,all,2026-11-23,Classic,1200"])
REFIT = {
    "model_detail": {"dataset_id": 1, "train_dates": ["2026-11-02"], "eval_dates": ["2026-11-09"]},
    "model_param": {"epochs": 5, "learning_rate": 0.01, "samples": 1},
}
ATTRIBUTION = {
    "model_id": 3,
    "dataset_id": 1,
    "start_date": "2025-01-06",
    "end_date": "2026-11-16",
    "samples": 2,
}


async def _create_jobs(client: httpx.AsyncClient) -> list[str]:
    """Create one job of several kinds; the paths at which each can be read back."""
    upload = await client.post(
        P + "/datauploads", params={"dataset_name": "Sales"}, files={"file": ("w47.csv", _CSV)}
    )
    dataset = await client.post(P + "/datasets", json=NEW_DATASET)
    refit = await client.post(P + "/models/3/refit", json=REFIT)
    attribution = await client.post(P + "/attributions", json=ATTRIBUTION)
    aligned = await client.post(P + "/attributionset_align_dates", json={"attributionjob_ids": [4]})
    return [
        f"/datauploads/{upload.json()['upload_id']}",
        f"/datasets/{dataset.json()['IId']}",
        f"/models/{refit.json()['IId']}",
        f"/attributions/{attribution.json()['IId']}",
        f"/attributionset/{aligned.json()['IId']}",
    ]


async def test_job_failure_rate_one_fails_every_new_job_for_good(make: Make) -> None:
    faulty = make(Faults(job_failure_rate=1.0, seed=9))
    paths = await _create_jobs(faulty)
    later = make()  # another process, without faults, reads the same world
    for path in paths:
        for client in (faulty, later):
            view = (await client.get(P + path)).json()
            assert (view["Status"], view["Message"]) == ("failed", "injected failure (seed 9)"), path
    assert (await later.get(P + "/datasets/1")).json()["Status"] == "complete"  # the seeded world is intact


async def test_job_failure_rate_zero_fails_nothing(make: Make) -> None:
    client = make(Faults(rate=0.0, job_failure_rate=0.0, seed=9))
    for path in await _create_jobs(client):
        assert (await client.get(P + path)).json()["Status"] in {"complete", "completed"}, path


async def test_the_transport_passes_good_answers_and_reports_a_silent_app() -> None:
    async def silent(scope: Any, receive: Any, send: Any) -> None:
        return None

    async with httpx.AsyncClient(transport=EmulatorTransport(silent), base_url="http://x.test") as client:
        with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
            await client.get("/")


# -- served: the same faults over a real socket ---------------------------------------------------------


class _Records(logging.Handler):
    """Keeps the records a logger emits."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_over_http(tmp_path: Path, kind: str) -> None:
    handler = _Records()
    faults = Faults(rate=1.0, seed=3, kinds=(kind,))
    with served_emulator("alviss", data_dir=tmp_path / "data", token=TOKEN, faults=faults) as base:
        logging.getLogger("uvicorn.error").addHandler(handler)  # after uvicorn has configured its logging
        try:
            with httpx.Client(base_url=base, headers=AUTH, timeout=10) as client:
                if kind in {"drop", "lost"}:
                    with pytest.raises(httpx.TransportError):
                        client.post(P + "/datasets", json=NEW_DATASET)
                else:
                    response = client.post(P + "/datasets", json=NEW_DATASET)
                    assert response.status_code == int(kind)
                stats = client.get("/_emulator/stats").json()
        finally:
            logging.getLogger("uvicorn.error").removeHandler(handler)
    assert stats["faults"] == {kind: 1}
    assert stats["projects"].get("1/1", {}).get("dataset", 0) == (2 if kind == "lost" else 0)
    assert not [
        record for record in handler.records if record.levelno >= logging.ERROR
    ]  # no log noise per fault


def test_latency_over_http(tmp_path: Path) -> None:
    with (
        served_emulator(
            "alviss", data_dir=tmp_path / "data", token=TOKEN, faults=Faults(latency_ms=60.0)
        ) as base,
        httpx.Client(base_url=base, headers=AUTH, timeout=10) as client,
    ):
        client.get("/_emulator/stats")  # connect first: time only the answer
        response = client.get(P + "/datasets/active")
    assert response.status_code == 200
    assert response.elapsed.total_seconds() >= 0.03
