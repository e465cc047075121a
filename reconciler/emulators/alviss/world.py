"""What the Alviss emulator does for each call: the platform's rules, without HTTP.

The rules are those a client can observe: ids are counted per project, a job
may only use inputs that finished well (409 otherwise), exactly one dataset
and one attribution set are active per project, and every project starts
with the same small world (the ids the vendor's examples use: model 3 and
11, attribution 5, an active dataset and attribution set), so the vendor's
scripts run against any team/project without setup.

Activation is kept as a time: an explicit activation happens now, and
``activate: true`` on creation schedules it for the moment the job finishes.
The active object is the one whose activation time is latest and not in the
future, which keeps "active when complete" lazy like the job statuses.

Injected job failures (``Faults.job_failure_rate``) are decided when a job is
created and stored as its error, so a job's fate never changes between reads.
"""

from __future__ import annotations

import dataclasses
from typing import IO, Any

from reconciler.emulators import base
from reconciler.emulators.alviss import graphs, jobs, wire
from reconciler.emulators.alviss.datafiles import canonical_type, check_file
from reconciler.emulators.alviss.seed import add_graph, add_upload, seed_project
from reconciler.emulators.alviss.store import OBJECT_KINDS, Obj, Tx

_NOUN = {
    "upload": "Upload",
    "dataset": "Dataset",
    "model": "Model",
    "attribution": "Attribution",
    "attribution_set": "Attribution set",
}


class Problem(base.Problem):
    """An answer other than success: HTTP status and the ``detail`` text."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(status, {"detail": detail})
        self.detail = detail


def dataset_type(name: str) -> str:
    """The documented dataset type named ``name``; unknown names are a 422."""
    known = canonical_type(name)
    if known is None:
        raise Problem(422, f"Unknown dataset_name '{name}'")
    return known


class World(base.World[Tx]):
    """The emulated platform: teams' projects, each with its jobs and its active objects."""

    transaction = Tx

    # -- helpers --------------------------------------------------------------
    def _open(self, db: Tx, team: int | str, project: int | str) -> float:
        now = self.clock()
        if not db.has_project(team, project):
            db.add_project(team, project, now=now)
            seed_project(db, team, project, now=now)
        return now

    @staticmethod
    def _get(db: Tx, team: int | str, project: int | str, kind: str, obj_id: int) -> Obj:
        obj = db.get(team, project, kind, obj_id)
        if obj is None:
            raise Problem(404, f"{_NOUN[kind]} {obj_id} not found")
        return obj

    def _finished(
        self, db: Tx, team: int | str, project: int | str, kind: str, obj_id: int, *, now: float
    ) -> Obj:
        obj = self._get(db, team, project, kind, obj_id)
        word = jobs.status(obj, now=now)
        if word != jobs.DONE_WORD[kind]:
            raise Problem(409, f"{_NOUN[kind]} {obj_id} is {word}, not {jobs.DONE_WORD[kind]}")
        return obj

    def _new(
        self, db: Tx, team: int | str, project: int | str, kind: str, *, now: float, job: str, **fields: Any
    ) -> Obj:
        duration = self.duration(job)
        obj_id = db.next_id(team, project, kind)
        error = fields.pop("error", None) or self.faults.job_error(job, team, project, obj_id)
        activate = fields.pop("activate", False)
        obj = Obj(
            team=team,
            project=project,
            kind=kind,
            id=obj_id,
            created_at=now,
            duration=duration,
            error=error,
            activated_at=now + duration if activate else None,
            data=fields,
        )
        db.insert(obj)
        return obj

    def _active_id(self, db: Tx, team: int | str, project: int | str, kind: str, *, now: float) -> int | None:
        if kind not in jobs.ACTIVATED:
            return None
        active = db.latest_activated(team, project, kind, now=now)
        return None if active is None else active.id

    # -- reading and activating (every kind alike) ------------------------------
    def shown(self, team: int | str, project: int | str, kind: str, obj_id: int) -> dict[str, Any]:
        """One object of ``kind`` as the wire shows it."""
        with self.store.transaction() as db:
            now = self._open(db, team, project)
            obj = self._get(db, team, project, kind, obj_id)
            return jobs.view(obj, now=now, active_id=self._active_id(db, team, project, kind, now=now))

    def listed(self, team: int | str, project: int | str, kind: str) -> list[dict[str, Any]]:
        """Every object of ``kind`` in the project, oldest first."""
        with self.store.transaction() as db:
            now = self._open(db, team, project)
            active = self._active_id(db, team, project, kind, now=now)
            return [jobs.view(obj, now=now, active_id=active) for obj in db.all(team, project, kind)]

    def active(self, team: int | str, project: int | str, kind: str) -> dict[str, Any]:
        """The active object of ``kind`` (one of :data:`jobs.ACTIVATED`)."""
        with self.store.transaction() as db:
            now = self._open(db, team, project)
            active = db.latest_activated(team, project, kind, now=now)
            if active is None:
                raise Problem(404, f"No active {_NOUN[kind].lower()}")
            return jobs.view(active, now=now, active_id=active.id)

    def activate(self, team: int | str, project: int | str, kind: str, obj_id: int) -> dict[str, Any]:
        """Make a finished object of ``kind`` the active one, now."""
        with self.store.transaction() as db:
            now = self._open(db, team, project)
            obj = self._finished(db, team, project, kind, obj_id, now=now)
            db.set_activated(team, project, kind, obj_id, at=now)
            return jobs.view(obj, now=now, active_id=obj_id)

    # -- uploads ----------------------------------------------------------------
    def create_upload(
        self, team: int | str, project: int | str, *, kind: str, filename: str, stream: IO[bytes]
    ) -> int:
        checked = check_file(stream, filename=filename, dataset_type=kind)  # outside the transaction: slow
        with self.store.transaction() as db:
            now = self._open(db, team, project)
            injected = self.faults.job_error("upload", team, project, db.next_id(team, project, "upload"))
            if checked.error is None and injected is not None:
                checked = dataclasses.replace(checked, error=injected)
            return add_upload(
                db,
                team,
                project,
                kind=kind,
                filename=filename,
                checked=checked,
                now=now,
                duration=self.duration("upload"),
            )

    # -- datasets ---------------------------------------------------------------
    def create_dataset(self, team: int | str, project: int | str, body: wire.DatasetCreate) -> int:
        with self.store.transaction() as db:
            now = self._open(db, team, project)
            uploads: set[int] = set()
            for upload_id in body.upload_ids:
                upload = self._get(db, team, project, "upload", upload_id)
                if jobs.status(upload, now=now) == jobs.FAILED:
                    raise Problem(422, f"Upload {upload_id} failed and cannot be used: {upload.error}")
                self._finished(db, team, project, "upload", upload_id, now=now)
                uploads.add(upload_id)
            for dataset_id in body.dataset_ids:
                uploads.update(
                    self._finished(db, team, project, "dataset", dataset_id, now=now).data["upload_ids"]
                )
            if not uploads:
                raise Problem(422, "A dataset needs at least one upload (upload_ids or dataset_ids)")
            if self.strict and not any(
                self._get(db, team, project, "upload", one).data["dataset_name"] == "Sales" for one in uploads
            ):
                raise Problem(422, "A dataset needs Sales data (the only required dataset type)")
            dataset = self._new(
                db, team, project, "dataset", now=now, job="dataset", activate=body.activate,
                upload_ids=sorted(uploads), extended_from=list(dict.fromkeys(body.dataset_ids)),
            )  # fmt: skip
            return dataset.id

    def dates(
        self,
        team: int | str,
        project: int | str,
        dataset_id: int,
        *,
        kind: str,
        combos: list[wire.Combination],
    ) -> list[str]:
        with self.store.transaction() as db:
            now = self._open(db, team, project)
            dataset = self._finished(db, team, project, "dataset", dataset_id, now=now)
            of_kind = [
                upload_id
                for upload_id in dataset.data["upload_ids"]
                if self._get(db, team, project, "upload", upload_id).data["dataset_name"] == kind
            ]
            wanted = [(combo.country_code, combo.region_code, combo.grouping) for combo in combos]
            return db.dates(team, project, of_kind, wanted) if of_kind and wanted else []

    # -- models -----------------------------------------------------------------
    def refit(self, team: int | str, project: int | str, model_id: int, body: wire.Refit) -> int:
        with self.store.transaction() as db:
            now = self._open(db, team, project)
            source = self._finished(db, team, project, "model", model_id, now=now).data
            detail = body.model_detail
            self._finished(db, team, project, "dataset", detail.dataset_id, now=now)
            model = self._new(
                db, team, project, "model", now=now, job="refit", error=_fit_error(detail),
                name=f"{source['name']} (refit)", dataset_id=detail.dataset_id, country=source["country"],
                region=source["region"], grouping=source["grouping"], graph_instance=source["graph_instance"],
                model_param=body.model_param.model_dump(), train_dates=detail.train_dates,
                eval_dates=detail.eval_dates, refit_of=model_id,
            )  # fmt: skip
            return model.id

    def build_model(self, team: int | str, project: int | str, body: wire.BuildModel) -> int:
        graph = body.graph_detail.graph.as_data()
        found = graphs.problems(graph)
        if found:
            raise Problem(422, "Invalid graph: " + "; ".join(found))
        with self.store.transaction() as db:
            now = self._open(db, team, project)
            detail = body.model_detail
            self._finished(db, team, project, "dataset", detail.dataset_id, now=now)
            instance = add_graph(db, team, graph)
            combo = detail.modelling_combination
            model = self._new(
                db, team, project, "model", now=now, job="build", error=_fit_error(detail),
                name=f"{combo.country_code} model", dataset_id=detail.dataset_id, country=combo.country_code,
                region=combo.region_code, grouping=combo.grouping, graph_instance=instance,
                model_param=body.model_param.model_dump(), train_dates=detail.train_dates,
                eval_dates=detail.eval_dates, refit_of=None, activate_requested=detail.activate,
            )  # fmt: skip
            return model.id

    def graph(self, team: int | str, project: int | str, graph_id: int) -> dict[str, Any]:
        with self.store.transaction() as db:
            self._open(db, team, project)
            found = db.graph(team, "graph", graph_id)
            if found is None:
                raise Problem(404, f"Graph {graph_id} not found")
            return found[1]

    def graph_instance(self, team: int | str, instance_id: int) -> dict[str, Any]:
        with self.store.transaction() as db:
            found = db.graph(team, "instance", instance_id)
            if found is None:
                raise Problem(404, f"Graph instance {instance_id} not found")
            return found[1]

    # -- attributions -----------------------------------------------------------
    def create_attribution(self, team: int | str, project: int | str, body: wire.AttributionCreate) -> int:
        if body.start_date > body.end_date:
            raise Problem(422, "start_date is after end_date")
        with self.store.transaction() as db:
            now = self._open(db, team, project)
            self._finished(db, team, project, "model", body.model_id, now=now)
            self._finished(db, team, project, "dataset", body.dataset_id, now=now)
            obj = self._new(db, team, project, "attribution", now=now, job="attribution", **body.model_dump())
            return obj.id

    def align_dates(self, team: int | str, project: int | str, body: wire.AlignDates) -> int:
        with self.store.transaction() as db:
            now = self._open(db, team, project)
            ids = list(dict.fromkeys(body.attributionjob_ids))
            members = [self._finished(db, team, project, "attribution", one, now=now).data for one in ids]
            start = max(member["start_date"] for member in members)
            end = min(member["end_date"] for member in members)
            if start > end:
                raise Problem(422, "The attributions' date ranges do not overlap")
            obj = self._new(
                db, team, project, "attribution_set", now=now, job="attribution_set", activate=body.active,
                attribution_ids=ids, start_date=start, end_date=end,
            )  # fmt: skip
            return obj.id

    # -- account and statistics -------------------------------------------------
    def teams(self) -> list[dict[str, Any]]:
        with self.store.transaction() as db:
            projects = db.projects()
        teams: dict[int | str, list[dict[str, Any]]] = {}
        for team, project in projects:
            teams.setdefault(team, []).append({"Id": project, "Name": f"Project {project}"})
        return [{"Id": team, "Name": f"Team {team}", "Projects": found} for team, found in teams.items()]

    def objects(self, db: Tx) -> dict[str, Any]:
        """Objects per kind, in all and per ``team/project``."""
        objects = dict.fromkeys(OBJECT_KINDS, 0)
        projects: dict[str, dict[str, int]] = {}
        for team, project, kind, count in db.object_counts():
            objects[kind] += count
            projects.setdefault(f"{team}/{project}", dict.fromkeys(OBJECT_KINDS, 0))[kind] = count
        return {"objects": objects, "projects": projects}


def _fit_error(detail: wire.RefitDetail) -> str | None:
    return None if detail.train_dates else "train_dates is empty: there is nothing to fit the model on"
