"""The Datrics prediction API, call by call, over the shared retrying HTTP layer.

Two calls, as the vendor documents them: submit records for a deployed model
(``POST /proxy/pipeline/model/predict``) and read the task
(``GET /proxy/pipeline/model/predict/info/{task_id}``).  The query flag is
spelled ``True``/``False`` as the vendor's Python client formats it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from reconciler import errors
from reconciler.answers import Answer, ObjectId, parse
from reconciler.http import HttpClient
from reconciler.providers.waiting import Classifier, JobKind
from reconciler.providers.wire import PlatformClient, call
from reconciler.wait import PollSchedule, Waiter

PREDICT = "/proxy/pipeline/model/predict"
#: The task id the endpoint check asks about: no platform issues it.
PROBE_TASK = "reconciler-endpoint-check"


class TaskCreated(Answer):
    """``POST …/predict``: ``{"id": task_id}`` (SEEN)."""

    id: ObjectId


class TaskInfo(Answer):
    """``GET …/predict/info/{task_id}``: ``state`` (SEEN); ``result`` is INFERRED, so optional."""

    state: str
    result: Any = None


@dataclass(frozen=True)
class TaskReport:
    """A task info answer: its documented fields, and the whole answer.

    On ``SUCCESS`` the vendor's example hands the whole answer over as the
    result, and a failure's text may be in any of several fields, so the
    whole answer is kept beside the model.
    """

    info: TaskInfo
    raw: Mapping[str, Any] = field(default_factory=dict)

    @property
    def state(self) -> str:
        return self.info.state


# Datrics runs each prediction as a Celery task and reports Celery's state
# words.  ``PENDING``, ``RECEIVED``, ``STARTED`` and ``RETRY`` mean still
# waiting; ``SUCCESS`` is done; ``FAILURE`` and ``REVOKED`` are terminal
# failures.  Any other word counts as still waiting.
#
# Celery answers ``PENDING`` for a task id it does not know, so a task the
# platform lost (or whose result expired) looks exactly like a queued one.
# Waiting cannot tell them apart: the deadline ends the wait (the task stays
# recorded and the next run resumes it), and the plan treats a task still
# ``PENDING`` long after it was submitted as lost (see ``predictions.py``).


def failure_message(raw: Mapping[str, Any]) -> str | None:
    """The worker's error, from whichever field the proxy put it in."""
    for key in ("error", "message", "detail", "traceback"):
        value = raw.get(key)
        if isinstance(value, str) and value:
            return value
    result = raw.get("result")
    if isinstance(result, str) and result:
        return result
    if isinstance(result, dict):
        for key in ("exc_message", "error", "message"):
            value = result.get(key)
            if value:
                return str(value)
    return None


_FAILED = ("FAILURE", "REVOKED")

#: A task info answer read as a job status.
task_status: Classifier[TaskReport] = Classifier(
    succeeded=("SUCCESS",),
    failed=_FAILED,
    running=("PENDING", "RECEIVED", "STARTED", "RETRY"),
    word=lambda report: report.state or "unknown",
    message=lambda report, word: failure_message(report.raw) if word in _FAILED else None,
)
#: Predictions take seconds to minutes; an hour without an end means the task is lost.
#: Expected 1 s (the emulator's, INFERRED: the vendor publishes no durations): polled every 0.3 s up to
#: twice that, one poll just after it (``reconciler/wait.py``), then less and less often.
PREDICTION = JobKind(
    "predict", PollSchedule(first=0.3, factor=1.5, cap=10.0, expected=1.0, deadline=3600.0), task_status
)


def prediction_result(raw: Mapping[str, Any]) -> Any:
    """What a ``SUCCESS`` answer holds: its ``result`` (INFERRED), else the whole answer but its state.

    The vendor's example hands the whole answer over as the result; the
    ``result`` key is the emulator's guess at the shape.  Without it the
    answer itself is kept, so a finished prediction is never sent again for
    lack of a key the vendor never promised.
    """
    if "result" in raw and raw["result"] is not None:
        return raw["result"]
    return {key: value for key, value in raw.items() if key != "state"}


def _utc_now() -> datetime:
    return datetime.now(UTC)


class DatricsClient(PlatformClient):
    """One Datrics user reached through one HTTP client."""

    def __init__(
        self,
        http: HttpClient,
        *,
        waiter: Waiter | None = None,
        now: Callable[[], datetime] = _utc_now,
        base_url: str = "",
    ) -> None:
        super().__init__(http, waiter=waiter, base_url=base_url)
        self._checked = False
        self.now = now

    async def create_prediction_task(
        self,
        records: Sequence[Mapping[str, Any]],
        *,
        model_path: str,
        bucket: str,
        return_only_prediction: bool,
    ) -> str:
        """Submit ``records`` to the model at ``bucket``/``model_path``; returns the task id."""
        try:
            body = await call(
                self.http,
                "POST",
                PREDICT,
                TaskCreated,
                params={
                    "path": model_path,
                    "bucket": bucket,
                    "return_only_prediction": str(return_only_prediction),
                },
                json=list(records),
                creates=True,
            )
        except errors.NotFound as exc:
            raise self._misconfigured(exc, PREDICT, "and the model's path and bucket") from exc
        return str(body.id)

    async def task_info(self, task_id: str) -> TaskReport:
        """The task's state (and its result once ``SUCCESS``); unknown ids read as ``PENDING``.

        Celery answers any task id, known or not, so a 404 here is never "the
        task is gone": it is a wrong endpoint, and stops the plan.
        """
        path = f"{PREDICT}/info/{task_id}"
        try:
            body = await call(self.http, "GET", path, dict[str, Any])
        except errors.NotFound as exc:
            raise self._misconfigured(exc, path) from exc
        info = parse(TaskInfo, body, service=self.http.service, call=f"GET {PREDICT}/info/{{task_id}}")
        return TaskReport(info, body)

    async def check_endpoint(self) -> None:
        """Stop when the endpoint is wrong: the task info call answers any task id (Celery reads an
        unknown one as ``PENDING``), so a 404 there can only be a wrong endpoint.

        Asked once per client (every plan reads through a fresh one), before
        anything is planned, so a wrong endpoint never plans predictions.
        """
        if self._checked:
            return
        path = f"{PREDICT}/info/{PROBE_TASK}"
        try:
            await self.http.request("GET", path)
        except errors.NotFound as exc:
            raise self._misconfigured(exc, path) from exc
        self._checked = True

    def _misconfigured(self, exc: errors.NotFound, path: str, more: str = "") -> errors.ProviderError:
        more = f" {more}" if more else ""
        return self.wrong_endpoint(
            exc, path, check=f"the endpoint: it is the API base URL, ending in /api/v1{more}"
        )
