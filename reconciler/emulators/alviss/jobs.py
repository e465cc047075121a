"""Job status computed from the clock, and the wire shape of each object.

Every Alviss mutation is a long job.  The emulator stores when a job started
and how long it takes, and works out its status whenever it is read: no
thread or task ever advances it, so a test that moves a fake clock sees
exactly the same progression as a served emulator on the wall clock.  The
status words are the vendor's (``complete`` for uploads, datasets and
attribution sets; ``completed`` for models and attributions); ``pending`` and
``running`` are the emulator's choice for the documented gap.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from reconciler.emulators import base
from reconciler.emulators.alviss.store import Obj

DONE_WORD: dict[str, str] = {
    "upload": "complete",
    "dataset": "complete",
    "attribution_set": "complete",
    "model": "completed",
    "attribution": "completed",
}
FAILED = "failed"


def status(obj: Obj, *, now: float) -> str:
    """The status word of ``obj`` at time ``now`` (the first fifth of a job reads ``pending``)."""
    where = base.phase(obj.created_at, obj.duration, now=now, queued=base.QUEUED_SHARE)
    if where == base.ENDED:
        return FAILED if obj.error is not None else DONE_WORD[obj.kind]
    return "pending" if where == base.QUEUED else "running"


def is_done(obj: Obj, *, now: float) -> bool:
    """True when the job ended well."""
    return status(obj, now=now) == DONE_WORD[obj.kind]


def finished_at(obj: Obj) -> float:
    return obj.created_at + obj.duration


def _timestamp(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _common(obj: Obj, *, now: float) -> dict[str, Any]:
    word = status(obj, now=now)
    view: dict[str, Any] = {"IId": obj.id, "Status": word}
    if word == FAILED:
        view["Message"] = obj.error
    return view


def upload_view(obj: Obj, *, now: float) -> dict[str, Any]:
    view = _common(obj, now=now)
    done = view["Status"] == DONE_WORD["upload"]
    view.update(
        DatasetName=obj.data["dataset_name"],
        FileName=obj.data["file_name"],
        FileSize=obj.data["file_size"],
        Rows=obj.data["rows"] if done else None,
        CreatedAt=_timestamp(obj.created_at),
    )
    return view


def dataset_view(obj: Obj, *, now: float, active_id: int | None) -> dict[str, Any]:
    view = _common(obj, now=now)
    view.update(
        Active=obj.id == active_id,
        DataUploads=list(obj.data["upload_ids"]),
        ExtendedFrom=list(obj.data["extended_from"]),
        CreatedAt=_timestamp(obj.created_at),
    )
    return view


def model_view(obj: Obj, *, now: float) -> dict[str, Any]:
    data = obj.data
    view = _common(obj, now=now)
    instance = data.get("graph_instance")
    view.update(
        Name=data["name"],
        DataSet={"IId": data["dataset_id"]},
        Country=data["country"],
        Region=data["region"],
        Grouping=data["grouping"],
        GraphInstance=None
        if instance is None
        else {"Id": instance["id"], "Graph": {"Id": instance["graph_id"]}},
        ModelParam=data["model_param"],
        TrainDates=data["train_dates"],
        EvalDates=data["eval_dates"],
        RefitOf=data.get("refit_of"),
        CreatedAt=_timestamp(obj.created_at),
    )
    return view


def attribution_view(obj: Obj, *, now: float) -> dict[str, Any]:
    data = obj.data
    view = _common(obj, now=now)
    view.update(
        Model={"IId": data["model_id"]},
        DataSet={"IId": data["dataset_id"]},
        StartDate=data["start_date"],
        EndDate=data["end_date"],
        Samples=data["samples"],
        CreatedAt=_timestamp(obj.created_at),
    )
    return view


def attribution_set_view(obj: Obj, *, now: float, active_id: int | None) -> dict[str, Any]:
    data = obj.data
    view = _common(obj, now=now)
    view.update(
        Active=obj.id == active_id,
        Attributions=[{"IId": attribution_id} for attribution_id in data["attribution_ids"]],
        StartDate=data["start_date"],
        EndDate=data["end_date"],
        CreatedAt=_timestamp(obj.created_at),
    )
    return view


#: The kinds of which one object per project is active at a time.
ACTIVATED = ("dataset", "attribution_set")


def view(obj: Obj, *, now: float, active_id: int | None = None) -> dict[str, Any]:
    """The wire shape of ``obj`` at ``now``; ``active_id``: the active object of its kind, if it has one."""
    if obj.kind == "dataset":
        return dataset_view(obj, now=now, active_id=active_id)
    if obj.kind == "attribution_set":
        return attribution_set_view(obj, now=now, active_id=active_id)
    views = {"upload": upload_view, "model": model_view, "attribution": attribution_view}
    return views[obj.kind](obj, now=now)
