"""The agent's ``/metrics``, in the Prometheus text format (prometheus-client).

Per workspace, from its last run (this agent's, or another replica's read
back from the shared run history) and its state as last read:

=====================================================  =========================================
``reconciler_workspace_drift{workspace,class}``        1 for the drift class the last plan found
                                                       (``in_sync``, ``spec``, ``live``, ``running``,
                                                       ``rejected``), 0 for the others
``reconciler_workspace_out_of_sync_since_timestamp_seconds``  when the workspace last left ``in_sync``
                                                       (absent while in sync)
``reconciler_drift_detected_total{workspace,class}``   plans that found drift of that class
``reconciler_last_plan_timestamp_seconds``             when the last plan finished
``reconciler_last_plan_outcome{workspace,outcome}``    1 for ``in_sync``, ``changes`` or ``error``
``reconciler_last_apply_timestamp_seconds``            when the last apply finished
``reconciler_last_apply_outcome{workspace,outcome}``   1 for ``applied``, ``running``, ``failed``,
                                                       ``error``
``reconciler_resources{workspace,status}``             records by status (``ready``, ``pending``,
                                                       ``tainted``, ``rejected``)
``reconciler_jobs_in_flight{workspace,platform,kind}`` recorded jobs still running
``reconciler_job_age_seconds{workspace,address,platform,kind}``  each running job's age
``reconciler_job_oldest_age_seconds{…,platform,kind}`` the oldest of them
``reconciler_jobs_past_deadline{…,platform,kind}``     those running longer than one apply waits
                                                       for their kind
``reconciler_job_deadline_seconds{platform,kind}``     that wait (for the kinds in flight)
``reconciler_agent_cycles_total{workspace,outcome}``   this agent's cycles
=====================================================  =========================================

And for the process: ``reconciler_job_duration_seconds{platform,kind,outcome}``
(a histogram of the jobs this agent saw end), ``reconciler_http_retries_total
{platform}`` and ``reconciler_http_faults_total{platform,fault}`` (failed
attempts of platform requests: ``HTTP 503``, ``ConnectError``…, retried or not),
``reconciler_agent_workspaces`` and ``reconciler_agent_info{agent,version}``.

Ages are computed when scraped, on the injected clock.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from prometheus_client import CollectorRegistry, Gauge, Histogram, generate_latest
from prometheus_client import Counter as PromCounter
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from reconciler import __version__
from reconciler.agent.deadlines import deadline
from reconciler.state.document import StateDocument
from reconciler.state.runs import RunRecord

DRIFT_CLASSES = ("in_sync", "spec", "live", "running", "rejected")
PLAN_OUTCOMES = ("in_sync", "changes", "error")
APPLY_OUTCOMES = ("applied", "running", "failed", "error")
STATUSES = ("ready", "pending", "tainted", "rejected")
#: Jobs take seconds (an upload) to a day (a refit): buckets to match.
DURATION_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400, 28800, 86400, float("inf"))


@dataclass(frozen=True)
class Job:
    """A job the state records as running."""

    address: str
    platform: str
    kind: str
    submitted_at: float
    #: How long one apply waits for such a job (None: not known for its type).
    deadline: float | None = None


@dataclass
class Snapshot:
    """What the metrics say of one workspace."""

    drift: str | None = None
    out_of_sync_since: float | None = None
    last_plan_at: float | None = None
    last_plan_outcome: str | None = None
    last_apply_at: float | None = None
    last_apply_outcome: str | None = None
    #: The id of the last run taken in (each run is taken in once, whoever reads it).
    last_run: tuple[str, int | None, float] | None = None
    resources: Counter[str] = field(default_factory=Counter)
    jobs: tuple[Job, ...] = ()


class Metrics:
    """The agent's registry, kept up to date by the scheduler and read by ``/metrics``."""

    def __init__(self, *, agent: str, clock: Callable[[], float] = time.time) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._clock = clock
        self._lock = threading.Lock()
        self._snapshots: dict[str, Snapshot] = {}
        reg = self.registry
        info = Gauge(
            "reconciler_agent_info",
            "This agent: its id (host:pid) and version.",
            ["agent", "version"],
            registry=reg,
        )
        info.labels(agent, __version__).set(1)
        self.workspaces = Gauge(
            "reconciler_agent_workspaces", "Workspaces this agent was given.", registry=reg
        )
        self.cycles = PromCounter(
            "reconciler_agent_cycles",
            "Cycles this agent ran, by outcome.",
            ["workspace", "outcome"],
            registry=reg,
        )
        self.drift_detected = PromCounter(
            "reconciler_drift_detected",
            "Plans that found drift of a class (spec, live, running, rejected).",
            ["workspace", "class"],
            registry=reg,
        )
        self.job_duration = Histogram(
            "reconciler_job_duration_seconds",
            "How long jobs took, from submission to their end, as this agent saw them end.",
            ["platform", "kind", "outcome"],
            buckets=DURATION_BUCKETS,
            registry=reg,
        )
        self.http_retries = PromCounter(
            "reconciler_http_retries",
            "Platform requests sent again after a failed attempt.",
            ["platform"],
            registry=reg,
        )
        self.http_faults = PromCounter(
            "reconciler_http_faults",
            "Failed attempts of platform requests (retried or not), by what went wrong.",
            ["platform", "fault"],
            registry=reg,
        )
        reg.register(_WorkspaceCollector(self))

    # -- updates --------------------------------------------------------------------------------

    def watch(self, names: Iterable[str]) -> None:
        """The workspaces this agent was given (each shows up before its first run)."""
        with self._lock:
            for name in names:
                self._snapshots.setdefault(name, Snapshot())
            self.workspaces.set(len(self._snapshots))

    def observe_run(self, run: RunRecord, *, ours: bool) -> bool:
        """Take in a run (this agent's, or another's read from the history); False if already seen."""
        key = (run.agent, run.id, run.finished_at.timestamp())
        finished = run.finished_at.timestamp()
        with self._lock:
            snap = self._snapshots.setdefault(run.workspace, Snapshot())
            if snap.last_run is not None and (snap.last_run == key or snap.last_run[2] > finished):
                return False
            snap.last_run = key
            if run.drift is not None:
                snap.drift = run.drift
                if run.drift == "in_sync":
                    snap.out_of_sync_since = None
                elif snap.out_of_sync_since is None:
                    snap.out_of_sync_since = run.started_at.timestamp()
            if run.kind == "apply":
                snap.last_apply_at, snap.last_apply_outcome = finished, run.outcome
            if run.kind == "plan" or run.drift is not None:
                snap.last_plan_at = finished
                snap.last_plan_outcome = run.outcome if run.kind == "plan" else "changes"
            if run.drift not in (None, "in_sync"):
                self.drift_detected.labels(run.workspace, run.drift).inc()
        if ours:
            self.cycles.labels(run.workspace, run.outcome).inc()
        return True

    def observe_state(self, name: str, state: StateDocument) -> None:
        """Resources by status and running jobs, from the workspace's state as last read."""
        statuses: Counter[str] = Counter(record.status for record in state.resources.values())
        jobs = []
        for address, record in state.resources.items():
            pending = record.pending
            if pending is None or pending.job_id is None:
                continue
            platform, _, kind = record.type.partition(".")
            limit = deadline(record.type)
            jobs.append(Job(address, platform, kind, _timestamp(pending.submitted_at), limit))
        with self._lock:
            snap = self._snapshots.setdefault(name, Snapshot())
            snap.resources = statuses
            snap.jobs = tuple(jobs)

    def observe_job(self, platform: str, kind: str, outcome: str, seconds: float) -> None:
        self.job_duration.labels(platform, kind, outcome).observe(seconds)

    def observe_fault(self, platform: str, fault: str, retried: bool) -> None:
        self.http_faults.labels(platform or "unknown", fault).inc()
        if retried:
            self.http_retries.labels(platform or "unknown").inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)

    def snapshots(self) -> dict[str, Snapshot]:
        with self._lock:
            return dict(self._snapshots)

    def now(self) -> float:
        return self._clock()


class _WorkspaceCollector(Collector):
    """The per-workspace gauges, built from the snapshots at each scrape (so ended jobs vanish)."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def describe(self) -> Iterable[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        now = self._metrics.now()
        snapshots = self._metrics.snapshots()
        drift = GaugeMetricFamily(
            "reconciler_workspace_drift",
            "1 for the drift class the last plan found.",
            labels=["workspace", "class"],
        )
        since = GaugeMetricFamily(
            "reconciler_workspace_out_of_sync_since_timestamp_seconds",
            "When the workspace last left in_sync (absent while in sync).",
            labels=["workspace"],
        )
        plan_at = GaugeMetricFamily(
            "reconciler_last_plan_timestamp_seconds", "When the last plan finished.", labels=["workspace"]
        )
        plan_outcome = GaugeMetricFamily(
            "reconciler_last_plan_outcome", "1 for the last plan's outcome.", labels=["workspace", "outcome"]
        )
        apply_at = GaugeMetricFamily(
            "reconciler_last_apply_timestamp_seconds", "When the last apply finished.", labels=["workspace"]
        )
        apply_outcome = GaugeMetricFamily(
            "reconciler_last_apply_outcome",
            "1 for the last apply's outcome.",
            labels=["workspace", "outcome"],
        )
        resources = GaugeMetricFamily(
            "reconciler_resources", "Recorded resources by status.", labels=["workspace", "status"]
        )
        in_flight = GaugeMetricFamily(
            "reconciler_jobs_in_flight",
            "Recorded jobs still running.",
            labels=["workspace", "platform", "kind"],
        )
        ages = GaugeMetricFamily(
            "reconciler_job_age_seconds",
            "Age of each recorded job still running.",
            labels=["workspace", "address", "platform", "kind"],
        )
        oldest = GaugeMetricFamily(
            "reconciler_job_oldest_age_seconds",
            "Age of the oldest recorded job still running.",
            labels=["workspace", "platform", "kind"],
        )
        late = GaugeMetricFamily(
            "reconciler_jobs_past_deadline",
            "Recorded jobs still running longer than one apply waits for their kind.",
            labels=["workspace", "platform", "kind"],
        )
        deadlines = GaugeMetricFamily(
            "reconciler_job_deadline_seconds",
            "How long one apply waits for a job of this kind (kinds with jobs in flight).",
            labels=["platform", "kind"],
        )
        limits: dict[tuple[str, str], float] = {}
        for name, snap in sorted(snapshots.items()):
            if snap.drift is not None:
                for cls in DRIFT_CLASSES:
                    drift.add_metric([name, cls], 1.0 if snap.drift == cls else 0.0)
            if snap.out_of_sync_since is not None:
                since.add_metric([name], snap.out_of_sync_since)
            if snap.last_plan_at is not None:
                plan_at.add_metric([name], snap.last_plan_at)
                for outcome in PLAN_OUTCOMES:
                    plan_outcome.add_metric(
                        [name, outcome], 1.0 if snap.last_plan_outcome == outcome else 0.0
                    )
            if snap.last_apply_at is not None:
                apply_at.add_metric([name], snap.last_apply_at)
                for outcome in APPLY_OUTCOMES:
                    apply_outcome.add_metric(
                        [name, outcome], 1.0 if snap.last_apply_outcome == outcome else 0.0
                    )
            for status in STATUSES:
                resources.add_metric([name, status], float(snap.resources.get(status, 0)))
            groups: dict[tuple[str, str], list[float]] = {}
            overdue: Counter[tuple[str, str]] = Counter()
            for job in snap.jobs:
                age = max(now - job.submitted_at, 0.0)
                ages.add_metric([name, job.address, job.platform, job.kind], age)
                groups.setdefault((job.platform, job.kind), []).append(age)
                if job.deadline is not None:
                    limits[(job.platform, job.kind)] = job.deadline
                    overdue[(job.platform, job.kind)] += age > job.deadline
            for (platform, kind), found in sorted(groups.items()):
                in_flight.add_metric([name, platform, kind], float(len(found)))
                oldest.add_metric([name, platform, kind], max(found))
                if (platform, kind) in limits:
                    late.add_metric([name, platform, kind], float(overdue[(platform, kind)]))
        for (platform, kind), seconds in sorted(limits.items()):
            deadlines.add_metric([platform, kind], seconds)
        yield from (
            drift,
            since,
            plan_at,
            plan_outcome,
            apply_at,
            apply_outcome,
            resources,
            in_flight,
            ages,
            oldest,
            late,
            deadlines,
        )


def _timestamp(moment: datetime) -> float:
    return moment.timestamp()
