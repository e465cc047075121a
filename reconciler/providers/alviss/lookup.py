"""Looking Alviss objects up: a recorded job as it is now, a lost create, an unrecorded object,
an object the spec names by id.

Reads only; what the Alviss job resources ask for (references, combination,
dates) is in :mod:`reconciler.providers.alviss.inputs`.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable, Collection, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from reconciler import errors
from reconciler.providers import bulk
from reconciler.providers.alviss import shapes
from reconciler.providers.alviss.client import AlvissClient, ListingUnavailable, detail, job_status
from reconciler.providers.base import Candidate, Found
from reconciler.providers.jobs import JobFacts, read_or_gone
from reconciler.providers.platform import RemoteKind, remote_kinds
from reconciler.state.document import PendingOperation, ResourceState

T = TypeVar("T")


async def read_job(
    fetch: Callable[[Any], Awaitable[shapes.Job]],
    record: ResourceState | None,
    id_key: str,
    *,
    listed: tuple[AlvissClient, str, str] | None = None,
) -> JobFacts:
    """The recorded object (or the pending job) as the platform shows it now.

    ``listed`` (client, resource type, kind listed) lets a refresh read it
    from the kind's list (:func:`read_recorded`).
    """
    object_id = record.outputs.get(id_key) if record else None
    if record is not None and record.pending is not None and record.pending.job_id is not None:
        object_id = record.pending.job_id
    if object_id is None:
        return JobFacts()
    if listed is None:
        live = await read_or_gone(lambda: fetch(object_id))
    else:
        client, type_name, kind = listed
        live = await read_recorded(client, type_name, kind, object_id, fetch)
    if live is None:
        return JobFacts(gone=True)
    return JobFacts(live=live.model_dump(), status=job_status(live))


J = TypeVar("J", bound=shapes.Job)


async def read_recorded(
    client: AlvissClient, type_name: str, kind: str, object_id: Any, fetch: Callable[[Any], Awaitable[J]]
) -> J | None:
    """A recorded object as the platform shows it now, None when it says twice that it has none.

    During a refresh it comes from the project's list of ``kind``, read once
    for every resource of the type (:mod:`reconciler.providers.bulk`); the
    object's own read is used when there is no such list, the object is not
    in it, or the listed item has no ``Status`` to decide on.
    """
    item = await bulk.listed(client, type_name, kind, object_id, lambda: client.listed(kind), _item_id)
    if item is not None and item.Status is not None:
        found: J = item  # type: ignore[assignment]  # the list is read through the kind's own model
        return found
    return await read_or_gone(lambda: fetch(object_id))


def _item_id(item: shapes.Job) -> Any:
    return item.IId


#: How far the platform's clock may lag ours when matching a lost create by its creation time.
CLOCK_TOLERANCE = timedelta(minutes=2)


def created_at(obj: Mapping[str, Any]) -> datetime | None:
    text = obj.get("CreatedAt")
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def listed(
    client: AlvissClient,
    kind: str,
    match: Callable[[dict[str, Any]], bool],
    *,
    since: datetime | None = None,
    excluded: Collection[Any] = (),
    once: bool = False,
) -> list[dict[str, Any]]:
    """The objects listed under ``kind`` that ``match``, not in ``excluded``, created after ``since``.

    With ``once`` the list is read once per client (one plan's lookups share it);
    otherwise it is read now (a lost create is looked up in what exists now).
    """
    skip = {str(value) for value in excluded if value is not None}
    found: list[dict[str, Any]] = []
    for obj in await (_listed_once(client, kind) if once else client.list_objects(kind)):
        object_id = obj.get("IId")
        if not isinstance(object_id, int | str) or str(object_id) in skip:
            continue
        moment = created_at(obj)
        if since is not None and moment is not None and moment < since:
            continue
        if match(obj):
            found.append(obj)
    return found


_LISTS: weakref.WeakKeyDictionary[AlvissClient, dict[str, asyncio.Task[list[dict[str, Any]]]]] = (
    weakref.WeakKeyDictionary()
)


async def _listed_once(client: AlvissClient, kind: str) -> list[dict[str, Any]]:
    """``client.list_objects(kind)``, read once per client: a plan looking up 500 uploads lists them once."""
    memo = _LISTS.setdefault(client, {})
    if kind not in memo:
        memo[kind] = asyncio.ensure_future(client.list_objects(kind))
    return await asyncio.shield(memo[kind])


_LOOK_FOR_IT = (
    "look for it in Alviss: `reconciler state import ADDRESS ID` if it exists, "
    "`reconciler state rm ADDRESS` to send it again"
)


async def find_created(
    client: AlvissClient,
    kind: str,
    pending: PendingOperation,
    match: Callable[[dict[str, Any]], bool],
    confirm: Callable[[dict[str, Any]], Awaitable[bool | None]] | None = None,
) -> int | str | None:
    """The object a lost creating call made: listed under ``kind``, matching, created after it was sent.

    Objects the resource recorded before (``detail["replaces"]``) are never
    adopted, so a replacement cannot silently adopt what it replaces.  Where
    the platform serves no list of ``kind`` (the list endpoints are not
    documented), nothing can be looked up: that is an unknown outcome, so the
    write-ahead record stays and nothing is sent again until someone checks
    (``reconciler state import`` the object, or ``state rm`` the record).

    ``confirm`` checks what the listing does not show (a remodel's graph, read
    per candidate): False drops a candidate; None (cannot be told) makes the
    outcome unknown as above when no candidate is confirmed.
    """
    since = pending.submitted_at - CLOCK_TOLERANCE
    excluded = pending.detail.get("replaces")
    try:
        objects = await listed(client, kind, match, since=since, excluded=(excluded,))
    except ListingUnavailable as exc:
        raise errors.OutcomeUnknown(
            f"{exc.message}, so the object an earlier run may have created cannot be looked up; "
            "nothing is sent again",
            hint=_LOOK_FOR_IT,
        ) from exc
    undecided = False
    if confirm is not None:
        confirmed = []
        for obj in objects:
            verdict = await confirm(obj)
            undecided = undecided or verdict is None
            if verdict:
                confirmed.append(obj)
        objects = confirmed
    candidates: list[int | str] = [obj["IId"] for obj in objects]
    if not candidates and undecided:
        raise errors.OutcomeUnknown(
            f"whether a listed {kind} object is the one an earlier run may have created cannot be told, "
            "so it cannot be looked up; nothing is sent again",
            hint=_LOOK_FOR_IT,
        )
    if not candidates:
        return None
    return min(candidates, key=lambda value: (not isinstance(value, int), str(value).zfill(20)))


def _plain(value: Any) -> Any:
    """A reference the vendor nests as ``{"IId": 3}`` shown as ``3``; anything else as it is."""
    return value["IId"] if isinstance(value, dict) and set(value) == {"IId"} else value


async def find_unrecorded(
    client: AlvissClient,
    kind: str,
    match: Callable[[dict[str, Any]], bool],
    *,
    how: str,
    outputs: Callable[[dict[str, Any]], Mapping[str, Any]],
    shown: Collection[str],
    detail: Mapping[str, Any] | None = None,
) -> Found:
    """Every listed, non-failed object under ``kind`` that ``match``es: candidates for adoption.

    ``outputs`` gives the outputs a real apply would record for an object;
    ``shown`` names the fields the plan shows as "what matched".
    """
    try:
        objects = await listed(
            client,
            kind,
            lambda obj: match(obj) and job_status(shapes.Job.model_validate(obj)).state != "failed",
            once=True,
        )
    except errors.NotFound:
        return Found(searched=False, how=f"the platform does not list {kind}")
    return Found(
        tuple(
            Candidate(
                object_id=obj["IId"],
                outputs=outputs(obj),
                matched={key: _plain(obj.get(key)) for key in shown},
                created_at=obj.get("CreatedAt") if isinstance(obj.get("CreatedAt"), str) else None,
                detail=dict(detail or {}),
            )
            for obj in objects
        ),
        how=how,
    )


async def _existing(
    client: AlvissClient, fetch: Callable[[Any], Awaitable[T]], object_id: Any, *, noun: str, kind: str
) -> T | None:
    """The object a spec names by id, or None when the platform says twice that it has no such object.

    Only a 404 that names the object (``Model 99 not found``) says so; any
    other (the router's bare ``Not Found``, a missing project) means the
    endpoint, team or project is wrong, which no id can fix.
    """
    for _ in range(2):  # a single 404 can be a moment's inconsistency, as in read_or_gone
        try:
            return await fetch(object_id)
        except errors.NotFound as exc:
            if noun not in detail(exc.body).lower():
                path = f"{client.prefix}/{kind}/{object_id}"
                raise client.misconfigured(exc, path, what=f"{noun} {object_id}") from exc
    return None


async def _model(client: AlvissClient, model_id: Any) -> shapes.Model | None:
    return await _existing(client, client.get_model, model_id, noun="model", kind="models")


async def _dataset(client: AlvissClient, dataset_id: Any) -> shapes.Dataset | None:
    return await _existing(client, client.get_dataset, dataset_id, noun="dataset", kind="datasets")


async def _attribution(client: AlvissClient, attribution_id: Any) -> shapes.Attribution | None:
    fetch = client.get_attribution
    return await _existing(client, fetch, attribution_id, noun="attribution", kind="attributions")


#: What an Alviss spec may name by id (``model: 3``, ``dataset: 7``, ``includes: [4]``): ``plan`` reads each.
REMOTE_KINDS = remote_kinds(
    RemoteKind("alviss.model", "model", _model),
    RemoteKind("alviss.dataset", "dataset", _dataset),
    RemoteKind("alviss.attribution", "attribution", _attribution),
)
