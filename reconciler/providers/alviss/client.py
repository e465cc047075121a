"""The Alviss API, call by call, over the shared retrying HTTP layer.

Paths, fields and status words are the vendor's (``upload_id``, ``IId``,
``Status``; ``complete`` for uploads and datasets, ``completed`` for models and
attributions).  Undocumented words are tolerated: anything that is neither a
success nor a failure word counts as "still running".
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

from reconciler import answers, errors
from reconciler.http import HttpClient
from reconciler.providers.alviss import shapes
from reconciler.providers.waiting import Classifier, JobKind
from reconciler.providers.wire import PlatformClient
from reconciler.wait import PollSchedule, Waiter

T = TypeVar("T")
#: Where the vendor's API lives under its host.
API_PATH = "/api/v1/api"


# Jobs ---------------------------------------------------------------------------
# Uploads and datasets finish in seconds to minutes, refits and builds can take
# hours.  The user waits for the chain of jobs, so a job should be noticed soon
# after it ends: within 0.3 s while it takes about as long as such jobs do, and
# within a tenth of the time already waited afterwards.  Each kind therefore
# declares how long it is expected to take (Alviss gives no estimate of a job's
# remaining time; the figures are the emulator's, INFERRED from the vendor's
# pages, where each step of the example script finishes in seconds): the polls
# come every 0.3 s up to twice that, one of them just after the expected end,
# then grow by 10 % per poll.  A 3 s refit costs ten polls and is noticed as it
# ends; an hour-long one costs about a hundred.  The cap (per kind) is what
# keeps a multi-hour refit from costing thousands of requests.

#: Any Alviss object read as a job status; no ``Status`` at all reads as still running.
job_status: Classifier[shapes.Job] = Classifier(
    succeeded=("complete", "completed"),
    failed=("failed", "error", "Failed", "Error", "FAILED", "ERROR"),
    word=lambda job: job.Status if job.Status is not None else "unknown",
    message=lambda job, word: job.message,
)


def _every(cap: float, hours: float, *, expected: float) -> PollSchedule:
    return PollSchedule(first=0.3, factor=1.1, cap=cap, expected=expected, deadline=hours * 3600.0)


UPLOAD: JobKind[shapes.Upload] = JobKind("upload", _every(5.0, hours=2, expected=1.0), job_status)
DATASET: JobKind[shapes.Dataset] = JobKind("dataset", _every(10.0, hours=4, expected=1.0), job_status)
REFIT: JobKind[shapes.Model] = JobKind("refit", _every(60.0, hours=24, expected=3.0), job_status)
BUILD: JobKind[shapes.Model] = JobKind("build", _every(60.0, hours=24, expected=3.0), job_status)
ATTRIBUTION: JobKind[shapes.Attribution] = JobKind(
    "attribution", _every(30.0, hours=12, expected=2.0), job_status
)
ATTRIBUTION_SET: JobKind[shapes.AttributionSet] = JobKind(
    "attribution_set", _every(10.0, hours=4, expected=1.0), job_status
)
JOBS = (UPLOAD, DATASET, REFIT, BUILD, ATTRIBUTION, ATTRIBUTION_SET)


def object_id(body: Any, *keys: str) -> int | str:
    """The id field of a creating call's answer, trying the given keys in order (ids normalised)."""
    if isinstance(body, dict):
        for key in keys:
            try:
                return answers.normalize_id(body.get(key))
            except ValueError:
                continue
    raise errors.OutcomeUnknown.may_exist(
        f"Alviss answered without an id (expected one of {', '.join(keys)})"
    )


class AlvissClient(PlatformClient):
    """One Alviss project (team/project) reached through one HTTP client.

    Every answer is read through a model of its documented fields
    (:mod:`reconciler.providers.alviss.shapes`): a malformed answer is
    :class:`errors.MalformedAnswer` naming call and field, and an unreadable
    answer to a creating call is :class:`errors.OutcomeUnknown`.
    """

    def __init__(
        self,
        http: HttpClient,
        *,
        team: int | str,
        project: int | str,
        waiter: Waiter | None = None,
        base_url: str = "",
    ) -> None:
        super().__init__(http, waiter=waiter, base_url=base_url)
        self.team = team
        self.project = project
        # Ids may be strings (the vendor's scripts show "<set me>"): each is one quoted path segment.
        self.prefix = f"/projects/{segment(team)}/{segment(project)}"

    def _parse(self, shape: Any, body: Any, *, call: str, creates: bool = False) -> Any:
        return answers.parse(shape, body, service=self.http.service, call=call, creates=creates)

    async def _get(self, shape: type[T], path: str, *, call: str) -> T:
        parsed: T = self._parse(shape, await self.http.get_json(path), call=f"GET {call}")
        return parsed

    async def _create(self, shape: type[T], method: str, path: str, *, call: str, **kwargs: Any) -> T:
        body = await self.http.send_json(method, path, creates=True, **kwargs)
        parsed: T = self._parse(shape, body, call=f"{method} {call}", creates=True)
        return parsed

    async def _created(self, call: str, body: Any, **ids: int | str) -> int | str:
        """POST ``body`` to the project's ``call`` (a path template filled from ``ids``); the new IId."""
        path = self.prefix + call.format(**ids)
        created = await self._create(shapes.Created, "POST", path, call=call, json=body)
        return created.IId

    async def _active(self, shape: type[T], kind: str) -> T | None:
        """The project's active object of ``kind``, or None.

        A 404 here means "there is none" only if the project itself is
        reachable; :meth:`check_project` tells the two apart.
        """
        path = f"{self.prefix}/{kind}/active"
        try:
            return await self._get(shape, path, call=f"/{kind}/active")
        except errors.NotFound as exc:
            await self.check_project(exc, path)
            return None

    # uploads ---------------------------------------------------------------
    async def upload(self, path: Path, *, dataset_name: str) -> int | str:
        """Send ``path`` as multipart field ``file``, streamed from disk."""
        with path.open("rb") as handle:
            created = await self._create(
                shapes.UploadCreated,
                "POST",
                f"{self.prefix}/datauploads",
                call="/datauploads",
                params={"dataset_name": dataset_name},
                files={"file": (path.name, handle, "text/csv")},
            )
        return created.upload_id

    async def get_upload(self, upload_id: int | str) -> shapes.Upload:
        return await self._get(
            shapes.Upload, f"{self.prefix}/datauploads/{upload_id}", call="/datauploads/{upload_id}"
        )

    # datasets --------------------------------------------------------------
    async def get_active_dataset(self) -> shapes.ActiveDataset | None:
        """The project's active dataset; None only when the platform says there is none."""
        return await self._active(shapes.ActiveDataset, "datasets")

    async def get_dataset(self, dataset_id: int | str) -> shapes.Dataset:
        return await self._get(
            shapes.Dataset, f"{self.prefix}/datasets/{dataset_id}", call="/datasets/{dataset_id}"
        )

    async def create_dataset(
        self, *, upload_ids: Iterable[int | str], dataset_ids: Iterable[int | str]
    ) -> int | str:
        return await self._created(
            "/datasets", {"upload_ids": list(upload_ids), "dataset_ids": list(dataset_ids)}
        )

    async def activate_dataset(self, dataset_id: int | str) -> None:
        # Activation is idempotent: sending it again after a lost answer is harmless. Its answer is
        # not documented and not read.
        await self.http.request("POST", f"{self.prefix}/datasets/{dataset_id}/activate")

    async def dates(
        self,
        dataset_id: int | str,
        combination: dict[str, str] | list[dict[str, str]],
        *,
        dataset_name: str = "Sales",
    ) -> list[str]:
        """The dataset's distinct dates for one combination or several (a read, though a POST).

        The vendor's body is a list of combinations; every one given is sent in one call.
        """
        combinations = combination if isinstance(combination, list) else [combination]
        body = await self.http.send_json(
            "POST",
            f"{self.prefix}/datasets/{dataset_id}/dates",
            params={"dataset_name": dataset_name},
            json=combinations,
        )
        dates: list[str] = self._parse(list[str], body, call="POST /datasets/{dataset_id}/dates")
        return dates

    async def list_objects(self, kind: str) -> list[dict[str, Any]]:
        """Every object of a kind (``datauploads``, ``datasets``, ``models``, ``attributions``, …).

        The list endpoints are not documented (INFERRED): where the platform
        has none (404/405) this is :class:`errors.OutcomeUnknown`'s cousin,
        :class:`ListingUnavailable`, so a caller can fall back safely.  Items
        are read through the kind's model and given back as plain dicts
        (ids normalised, references as ``{"IId": …}``, unknown fields dropped).
        """
        return [item.model_dump() for item in await self.listed(kind)]

    async def listed(self, kind: str) -> list[shapes.Job]:
        """Every object of a kind, each read through the kind's model as a GET of it is (errors as
        :meth:`list_objects`)."""
        try:
            body = await self.http.get_json(f"{self.prefix}/{kind}")
        except errors.ApiError as exc:
            if exc.status in (404, 405):
                raise ListingUnavailable(
                    f"{self.http.service}: GET /{kind} is not served (HTTP {exc.status}): "
                    f"the platform offers no list of {kind}",
                    status=exc.status,
                    body=exc.body,
                ) from exc
            raise
        shape = shapes.LISTED.get(kind, shapes.Job)
        items: list[shapes.Job] = self._parse(list[shape], body, call=f"GET /{kind}")  # type: ignore[valid-type]
        return items

    # models ----------------------------------------------------------------------
    async def get_model(self, model_id: int | str) -> shapes.Model:
        return await self._get(shapes.Model, f"{self.prefix}/models/{model_id}", call="/models/{model_id}")

    async def refit(
        self, model_id: int | str, *, model_detail: dict[str, Any], model_param: dict[str, Any]
    ) -> int | str:
        body = {"model_detail": model_detail, "model_param": model_param}
        return await self._created("/models/{model_id}/refit", body, model_id=model_id)

    async def graph(self, graph_id: int | str) -> shapes.Graph:
        return await self._get(
            shapes.Graph, f"{self.prefix}/build/graphs/{graph_id}", call="/build/graphs/{graph_id}"
        )

    async def graph_instance(self, instance_id: int | str) -> shapes.Graph:
        # The vendor serves graph instances per team, outside the project.
        return await self._get(
            shapes.Graph,
            f"/graph_instances/{segment(self.team)}/{instance_id}",
            call="/graph_instances/{team_id}/{graph_instance_id}",
        )

    async def build_model(self, body: dict[str, Any]) -> int | str:
        created = await self._create(
            shapes.BuildCreated, "POST", f"{self.prefix}/build/model", call="/build/model", json=body
        )
        return created.IId

    # attributions ------------------------------------------------------------------
    async def create_attribution(self, body: dict[str, Any]) -> int | str:
        return await self._created("/attributions", body)

    async def get_attribution(self, attribution_id: int | str) -> shapes.Attribution:
        return await self._get(
            shapes.Attribution,
            f"{self.prefix}/attributions/{attribution_id}",
            call="/attributions/{attribution_id}",
        )

    async def get_active_attribution_set(self) -> shapes.ActiveAttributionSet | None:
        """The project's active attribution set; None only when the platform says there is none."""
        return await self._active(shapes.ActiveAttributionSet, "attributionset")

    async def get_attribution_set(self, set_id: int | str) -> shapes.AttributionSet:
        return await self._get(
            shapes.AttributionSet, f"{self.prefix}/attributionset/{set_id}", call="/attributionset/{set_id}"
        )

    async def align_dates(self, attribution_ids: list[int | str]) -> int | str:
        return await self._created(
            "/attributionset_align_dates", {"attributionjob_ids": attribution_ids, "active": False}
        )

    async def activate_attribution_set(self, set_id: int | str) -> None:
        await self.http.request("PATCH", f"{self.prefix}/attributionset/{set_id}/activate")

    # configuration checks ------------------------------------------------------------
    async def check_project(self, exc: errors.NotFound, path: str) -> None:
        """A 404 of a project-level read (``datasets/active``, ``attributionset/active``).

        It means "the project has none" only when the platform says so (a
        detail naming the active object, e.g. ``No active dataset``); any other
        404 (the router's ``Not Found``, an HTML page, a missing project) means
        the endpoint or the team/project is wrong, and nothing may be planned
        from it: "nothing found" would plan everything anew.
        """
        if "active" in detail(exc.body).lower():
            return
        raise self.misconfigured(exc, path, what="the project")

    def misconfigured(self, exc: errors.NotFound, path: str, *, what: str) -> errors.ReconcilerError:
        """The error for a project-level 404: the URL path tried, and what to check."""
        base = urlsplit(self.base_url).path.rstrip("/") if self.base_url else ""
        return ConfigurationError(
            f"{self.http.service}: GET {base}{path} answered 404 (not found): {what} cannot be read, "
            "so nothing was planned",
            status=exc.status,
            body=exc.body,
            hint=f"check the endpoint (it ends in {API_PATH}, e.g. https://app.alviss.io{API_PATH}) "
            f"and the team and project ids ({self.team}/{self.project}), and that the token's user "
            "can see that project",
        )


def segment(value: int | str) -> str:
    """An id as one URL path segment (a string id is percent-encoded, ``/`` included)."""
    return quote(str(value), safe="")


class ConfigurationError(errors.NotFound):
    """A project-level read answered 404: the endpoint, team or project is wrong (exit 1)."""


def detail(body: str) -> str:
    """The ``detail`` of a FastAPI-style error body, or "" when it has none."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return ""
    detail = payload.get("detail") if isinstance(payload, dict) else None
    return detail if isinstance(detail, str) else ""


class ListingUnavailable(errors.NotFound):
    """The platform serves no list endpoint for a kind of object (the list endpoints are INFERRED)."""


def dataset_upload_ids(dataset: shapes.Dataset | None) -> list[int | str] | None:
    """The upload ids a dataset contains, or None when the answer does not show them."""
    return None if dataset is None else dataset.upload_ids


def set_attribution_ids(attribution_set: shapes.AttributionSet | None) -> list[int | str] | None:
    """The attribution ids an attribution set holds, or None when the answer does not show them."""
    if attribution_set is None or attribution_set.Attributions is None:
        return None
    return list(attribution_set.Attributions)


def nested_id(obj: Any, key: str) -> Any:
    """``obj.key.IId`` (the vendor nests references as objects), or None."""
    value = obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)
    if isinstance(value, dict):
        return value.get("IId")
    return getattr(value, "IId", value)
