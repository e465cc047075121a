"""The world every Alviss project starts with, and the rows that make uploads and graphs.

A project is created on first use and seeded with the objects the vendor's
examples refer to by number (model 3 in Sweden, model 11 and attribution 5
elsewhere, an active dataset and attribution set), so those scripts run
against any team/project.  The sample data is parsed by the same checker as
an upload, once per process.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

from reconciler.emulators.alviss import graphs
from reconciler.emulators.alviss.datafiles import CheckResult, check_file
from reconciler.emulators.alviss.store import Obj, Tx


@functools.cache
def _sample(name: str, dataset_type: str) -> CheckResult:
    with resources.files("reconciler.emulators.alviss").joinpath("sample", name).open("rb") as stream:
        return check_file(stream, filename=name, dataset_type=dataset_type)


def add_upload(
    db: Tx,
    team: int | str,
    project: int | str,
    *,
    kind: str,
    filename: str,
    checked: CheckResult,
    now: float,
    duration: float,
) -> int:
    upload_id = db.next_id(team, project, "upload")
    data = {"dataset_name": kind, "file_name": filename, "file_size": checked.size, "rows": checked.rows}
    db.insert(Obj(team, project, "upload", upload_id, now, duration, checked.error, None, data))
    db.add_keys(team, project, upload_id, checked.keys)
    return upload_id


def add_graph(db: Tx, team: int | str, graph: graphs.Graph) -> dict[str, int]:
    graph_id = db.add_graph(team, "graph", graph_id=None, data=graph)
    instance_id = db.add_graph(team, "instance", graph_id=graph_id, data=graphs.lower(graph))
    return {"id": instance_id, "graph_id": graph_id}


def seed_project(db: Tx, team: int | str, project: int | str, *, now: float) -> None:
    """Give a new project the default world: the ids the vendor's examples expect."""
    sales, media = _sample("sales.csv", "Sales"), _sample("media.csv", "Media")
    add_upload(db, team, project, kind="Sales", filename="sales.csv", checked=sales, now=now, duration=0.0)
    add_upload(db, team, project, kind="Media", filename="media.csv", checked=media, now=now, duration=0.0)
    db.insert(
        Obj(team, project, "dataset", 1, now, 0.0, None, now, {"upload_ids": [1, 2], "extended_from": []})
    )
    param = {"epochs": 500, "learning_rate": 0.001, "samples": 3}
    for model_id, attribution_id, country in ((3, 4, "SWE"), (11, 5, "NOR")):
        dates = sorted({key[3] for key in sales.keys if key[:3] == (country, "all", "all")})
        cut = int(len(dates) * 0.75)
        model = {
            "name": f"{country} base model", "dataset_id": 1, "country": country, "region": "all",
            "grouping": "all", "graph_instance": add_graph(db, team, graphs.default_graph()),
            "model_param": param, "train_dates": dates[:cut], "eval_dates": dates[cut:], "refit_of": None,
        }  # fmt: skip
        db.insert(Obj(team, project, "model", model_id, now, 0.0, None, None, model))
        attribution: dict[str, Any] = {"model_id": model_id, "dataset_id": 1, "samples": 20}
        attribution.update(start_date=dates[0], end_date=dates[-1])
        db.insert(Obj(team, project, "attribution", attribution_id, now, 0.0, None, None, attribution))
    first = db.get(team, project, "attribution", 4)
    assert first is not None
    span = {"start_date": first.data["start_date"], "end_date": first.data["end_date"]}
    db.insert(Obj(team, project, "attribution_set", 1, now, 0.0, None, now, {"attribution_ids": [4], **span}))
