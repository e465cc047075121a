"""/metrics as Prometheus reads it: per workspace drift, last runs, resources, jobs; faults and durations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prometheus_client.parser import text_string_to_metric_families

from reconciler.agent.metrics import Metrics
from reconciler.state.document import PendingOperation, ResourceState, StateDocument
from reconciler.state.runs import RunRecord

T0 = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


def samples(metrics: Metrics) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    found = {}
    for family in text_string_to_metric_families(metrics.render().decode()):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(metrics: Metrics, name: str, **labels: str) -> float | None:
    return samples(metrics).get((name, frozenset(labels.items())))


def run(minutes: int, **fields: object) -> RunRecord:
    values: dict[str, object] = {
        "workspace": "se",
        "kind": "plan",
        "started_at": T0 + timedelta(minutes=minutes),
        "finished_at": T0 + timedelta(minutes=minutes, seconds=2),
        "outcome": "in_sync",
        "drift": "in_sync",
        "agent": "a:1",
        "id": minutes,
        **fields,
    }
    return RunRecord.model_validate(values)


def test_drift_and_last_runs_per_workspace() -> None:
    metrics = Metrics(agent="a:1", clock=lambda: (T0 + timedelta(hours=1)).timestamp())
    metrics.watch(["se", "no"])
    assert value(metrics, "reconciler_agent_workspaces") == 2
    assert value(metrics, "reconciler_workspace_drift", workspace="se", **{"class": "in_sync"}) is None

    assert metrics.observe_run(run(1, outcome="changes", drift="live"), ours=True)
    assert value(metrics, "reconciler_workspace_drift", workspace="se", **{"class": "live"}) == 1
    assert value(metrics, "reconciler_workspace_drift", workspace="se", **{"class": "in_sync"}) == 0
    since = (T0 + timedelta(minutes=1)).timestamp()
    assert value(metrics, "reconciler_workspace_out_of_sync_since_timestamp_seconds", workspace="se") == since
    assert value(metrics, "reconciler_last_plan_outcome", workspace="se", outcome="changes") == 1
    assert value(metrics, "reconciler_drift_detected_total", workspace="se", **{"class": "live"}) == 1
    assert value(metrics, "reconciler_agent_cycles_total", workspace="se", outcome="changes") == 1

    # Another replica's apply, read back from the history: taken in once, not counted as this agent's cycle.
    applied = run(5, kind="apply", outcome="applied", drift="live", agent="b:2")
    assert metrics.observe_run(applied, ours=False)
    assert not metrics.observe_run(applied, ours=False)
    assert not metrics.observe_run(run(3), ours=False)  # older than what is known
    assert value(metrics, "reconciler_last_apply_outcome", workspace="se", outcome="applied") == 1
    assert (
        value(metrics, "reconciler_last_apply_timestamp_seconds", workspace="se")
        == applied.finished_at.timestamp()
    )
    assert value(metrics, "reconciler_agent_cycles_total", workspace="se", outcome="applied") is None
    assert value(metrics, "reconciler_workspace_out_of_sync_since_timestamp_seconds", workspace="se") == since

    metrics.observe_run(run(9), ours=True)
    assert value(metrics, "reconciler_workspace_drift", workspace="se", **{"class": "in_sync"}) == 1
    assert value(metrics, "reconciler_workspace_out_of_sync_since_timestamp_seconds", workspace="se") is None


def test_resources_and_jobs_in_flight_with_their_age() -> None:
    now = [T0.timestamp()]
    metrics = Metrics(agent="a:1", clock=lambda: now[0])
    pending = PendingOperation(
        action="create", step="refit", fingerprint="sha256:x", submitted_at=T0 - timedelta(hours=2), job_id=7
    )
    state = StateDocument(
        resources={
            "alviss.refit.se": ResourceState(
                type="alviss.refit", provider="alviss", status="pending", pending=pending
            ),
            "alviss.refit.no": ResourceState(
                type="alviss.refit",
                provider="alviss",
                status="pending",
                pending=pending.model_copy(update={"submitted_at": T0 - timedelta(hours=1)}),
            ),
            "alviss.upload.se": ResourceState(type="alviss.upload", provider="alviss"),
            "alviss.upload.no": ResourceState(type="alviss.upload", provider="alviss", status="tainted"),
            # Recorded before it was sent, with no job id yet: not a job in flight.
            "alviss.upload.fi": ResourceState(
                type="alviss.upload", provider="alviss", pending=pending.model_copy(update={"job_id": None})
            ),
        }
    )
    metrics.observe_state("se", state)
    assert value(metrics, "reconciler_resources", workspace="se", status="pending") == 2
    assert value(metrics, "reconciler_resources", workspace="se", status="ready") == 2
    assert value(metrics, "reconciler_resources", workspace="se", status="tainted") == 1
    assert value(metrics, "reconciler_resources", workspace="se", status="rejected") == 0
    jobs = {"workspace": "se", "platform": "alviss", "kind": "refit"}
    assert value(metrics, "reconciler_jobs_in_flight", **jobs) == 2
    assert value(metrics, "reconciler_job_oldest_age_seconds", **jobs) == 7200
    assert value(metrics, "reconciler_job_age_seconds", address="alviss.refit.no", **jobs) == 3600
    assert value(metrics, "reconciler_job_deadline_seconds", platform="alviss", kind="refit") == 86400
    assert value(metrics, "reconciler_jobs_past_deadline", **jobs) == 0
    now[0] += 60  # ages grow between scrapes
    assert value(metrics, "reconciler_job_oldest_age_seconds", **jobs) == 7260
    now[0] += 86400 - 7200  # the older refit has run longer than one apply waits for a refit
    assert value(metrics, "reconciler_jobs_past_deadline", **jobs) == 1
    metrics.observe_state("se", StateDocument())
    assert value(metrics, "reconciler_jobs_in_flight", **jobs) is None


def test_job_durations_and_http_faults_by_platform() -> None:
    metrics = Metrics(agent="a:1")
    metrics.observe_job("alviss", "refit", "done", 5400)
    metrics.observe_fault("alviss", "HTTP 503", True)
    metrics.observe_fault("alviss", "HTTP 503", False)
    metrics.observe_fault("akkio", "ConnectError", True)
    labels = {"platform": "alviss", "kind": "refit", "outcome": "done"}
    assert value(metrics, "reconciler_job_duration_seconds_count", **labels) == 1
    assert value(metrics, "reconciler_job_duration_seconds_bucket", le="3600.0", **labels) == 0
    assert value(metrics, "reconciler_job_duration_seconds_bucket", le="7200.0", **labels) == 1
    assert value(metrics, "reconciler_http_retries_total", platform="alviss") == 1
    assert value(metrics, "reconciler_http_faults_total", platform="alviss", fault="HTTP 503") == 2
    assert value(metrics, "reconciler_http_retries_total", platform="akkio") == 1
    assert (
        value(metrics, "reconciler_agent_info", agent="a:1", version=__import__("reconciler").__version__)
        == 1
    )


def test_every_deadline_is_a_job_kinds_of_a_registered_resource_type() -> None:
    from reconciler.agent import deadlines
    from reconciler.providers.registry import resource_type

    for name in deadlines._KINDS:
        assert resource_type(name).name == name
        seconds = deadlines.deadline(name)
        assert seconds is not None and seconds >= 3600, name
    assert deadlines.deadline("alviss.refit") == 24 * 3600
    assert deadlines.deadline("akkio.dataset") is None
