"""``akkio.dataset``: a dataset holding the rows of a local CSV file.

Akkio datasets are filled through the legacy dataset API: one call creates
an empty dataset, then rows are added as JSON objects (here in batches of
1,000), the first batch defining the fields.  Identity is the file's sha256
and the spec's ``name``; the platform dataset is called
``<name>-<sha256[:12]>``, so a creation whose answer was lost can be found
again by listing datasets, and a changed file plans a new dataset.

Adding rows is not idempotent (a batch sent twice is stored twice), so every
batch is announced in the journal before it is sent and confirmed after: a
resumed apply sends only the batches never confirmed, and a dataset whose
last batch has an unknown outcome is abandoned (it may hold that batch or
not) and a fresh one is filled instead.  Cell values are typed as a person
would read them: integers, decimals, empty cells as null, the rest text.

``append: true``: the legacy API adds rows to an existing dataset (the same
call that fills it), so a file that changed only by rows added at its end
(its first bytes are exactly the content last sent, and those rows read the
same) plans an update that sends just the new rows to the same dataset,
which keeps its id and its platform name.  Its outputs then carry
``content`` (the sha256 of what the dataset holds), so a model trained on
it is trained again after rows are appended.  Any other change fills a new
dataset, as without ``append``.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler import errors
from reconciler.answers import same_id
from reconciler.providers import jobs
from reconciler.providers.akkio.client import AkkioClient, Listed
from reconciler.providers.akkio.config import DatasetConfig
from reconciler.providers.base import (
    Applied,
    Candidate,
    Decision,
    Desired,
    Found,
    Journal,
    ResourceType,
    Target,
)
from reconciler.providers.files import LocalFile
from reconciler.providers.hashcache import hashed
from reconciler.providers.identity import Identity
from reconciler.state.document import PendingOperation, ResourceState
from reconciler.vocabulary import Action, Reason

BATCH = 1_000
_INT = re.compile(r"[+-]?(0|[1-9]\d*)")
_DECIMAL = re.compile(r"[+-]?((0|[1-9]\d*)(\.\d*)?|\.\d+)([eE][+-]?\d+)?")  # "007" stays text


@dataclass(frozen=True)
class Table:
    """A CSV file read into typed rows."""

    file: LocalFile
    columns: list[str]
    rows: list[dict[str, Any]]


@dataclass(frozen=True)
class DatasetFacts:
    """The local file, and the recorded dataset as the platform lists it now."""

    file: LocalFile
    live: Listed | None
    gone: bool = False
    #: With ``append: true``: how many rows were added at the end of the file since the content
    #: recorded (None: the file changed otherwise, or not at all).
    appended: int | None = None


@dataclass(frozen=True)
class Fields:
    """What a dataset the spec fills will hold, as far as known before apply: its file's header."""

    columns: list[str]


def header(path: Path) -> list[str] | None:
    """The field names of a CSV file's header row, or None when it cannot be read as one."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            first = next(csv.reader(handle), None)
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    return [name.strip() for name in first] if first else None


@dataclass(frozen=True)
class Progress:
    """How far an earlier, interrupted apply got with filling its dataset."""

    dataset_id: str | None
    rows_added: int = 0
    suspect: bool = False  # a batch was sent without an answer


def typed(cell: str) -> Any:
    """A CSV cell as a JSON value: ``12`` → 12, ``0.5`` → 0.5, empty → None, else the text."""
    text = cell.strip()
    if not text:
        return None
    if _INT.fullmatch(text):
        return int(text)
    if _DECIMAL.fullmatch(text):
        return float(text)
    return cell


def read_table(path: Path) -> Table:
    """Hash and parse a CSV file (header row, comma separated, UTF-8)."""
    data = path.read_bytes()
    parsed = _parse(data)
    file = LocalFile(path=str(path), size=len(data), sha256=hashlib.sha256(data).hexdigest())
    return Table(file=file, columns=parsed.columns, rows=parsed.rows)


def _parse(data: bytes) -> Table:
    """The header and typed rows of CSV bytes (the file left blank)."""
    file = LocalFile(path="", size=len(data), sha256="")
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig")))
    header = next(reader, None)
    if not header or not any(name.strip() for name in header):
        raise ValueError("the file has no header row")
    columns = [name.strip() for name in header]
    if len(set(columns)) != len(columns):
        raise ValueError("the header names a field twice")
    rows = []
    for number, cells in enumerate(reader, start=2):
        if not cells:
            continue
        if len(cells) != len(columns):
            raise ValueError(f"line {number} has {len(cells)} fields, the header {len(columns)}")
        rows.append({column: typed(cell) for column, cell in zip(columns, cells, strict=True)})
    return Table(file=file, columns=columns, rows=rows)


def remote_name(config: DatasetConfig, sha256: str) -> str:
    return f"{config.name}-{sha256[:12]}"


def appended_rows(path: Path, size: int, sha256: str) -> int | None:
    """How many rows the file has after the content recorded (its first ``size`` bytes, ``sha256``).

    None unless the file grew by whole rows only: its first ``size`` bytes
    hash to ``sha256``, and the rows they hold are the file's first rows,
    unchanged (a last line completed by the addition is a change, not an addition).
    """
    with path.open("rb") as handle:
        head = handle.read(size)
    if len(head) != size or hashlib.sha256(head).hexdigest() != sha256:
        return None
    whole = read_table(path)
    if whole.file.size <= size:
        return None
    try:
        before = _parse(head)
    except (ValueError, UnicodeDecodeError, csv.Error):
        return None
    if before.columns != whole.columns or whole.rows[: len(before.rows)] != before.rows:
        return None
    return len(whole.rows) - len(before.rows) or None


def outputs_of(config: DatasetConfig, dataset_id: Any, rows: Any, sha256: str) -> dict[str, Any]:
    """What downstream resources use: the id and rows, and with ``append`` the content's sha256."""
    outputs = {"dataset_id": dataset_id, "rows": rows}
    if config.append:
        outputs["content"] = sha256
    return outputs


class DatasetIdentity(Identity):
    """A dataset is the same for the same spec name and the same file content (sha256)."""

    kind = "akkio.dataset"
    identity_always = frozenset({"name", "sha256"})

    name: str
    sha256: str


def identity(config: DatasetConfig, file: LocalFile) -> DatasetIdentity:
    return DatasetIdentity(name=config.name, sha256=file.sha256)


def progress(pending: PendingOperation | None) -> Progress:
    """What the write-ahead record says about the dataset an earlier run was filling."""
    if pending is None:
        return Progress(None)
    detail = pending.detail
    if pending.job_id is None or pending.job_id in detail.get("abandoned", []):
        return Progress(None)
    added = int(detail.get("rows_added") or 0)
    if pending.step == "add_rows" and added < int(detail.get("offset", 0)) + int(detail.get("count", 0)):
        return Progress(str(pending.job_id), added, suspect=True)
    return Progress(str(pending.job_id), added)


async def _appended(
    target: Target[DatasetConfig], record: ResourceState | None, local: LocalFile
) -> int | None:
    """With ``append: true``: the rows added at the end of the file since the recorded content, or None."""
    if not target.config.append or record is None or record.inputs.get("sha256") == local.sha256:
        return None
    size, sha256 = record.display.get("bytes"), record.inputs.get("sha256")
    if not isinstance(size, int) or not isinstance(sha256, str):
        return None  # recorded before appends were known: the file is compared whole
    try:
        return await asyncio.to_thread(appended_rows, target.path(target.config.file), size, sha256)
    except (OSError, ValueError, csv.Error):
        return None  # read again, with the error located, by the checks of the whole file


async def _read(target: Target[DatasetConfig], reader: Any) -> Any:
    path = target.path(target.config.file)
    try:
        return await asyncio.to_thread(reader, path)
    except FileNotFoundError as exc:
        raise target.error(("file",), f"file {path} does not exist", hint="check the path") from exc
    except OSError as exc:
        raise target.error(("file",), f"cannot read {path}: {exc.strerror}") from exc
    except (ValueError, csv.Error) as exc:
        raise target.error(("file",), f"{path} is not a usable CSV file: {exc}") from exc


def _dataset_rules(config: DatasetConfig, facts: DatasetFacts, label: str) -> tuple[jobs.Rule, ...]:
    """Akkio's own rules: a dataset is filled in batches, so an interrupted one resumes or starts afresh."""

    def no_record(job: jobs.Job) -> jobs.Verdict | None:
        if job.record is not None:
            return None
        return jobs.verdict(Action.CREATE, Reason.NO_RECORD, f"{config.file} is not on the platform yet")

    def job_running(job: jobs.Job) -> jobs.Verdict | None:
        found = progress(job.pending)
        if found.suspect or found.dataset_id is None or job.facts.gone:
            return None
        return jobs.verdict(
            Action.RESUME,
            Reason.JOB_RUNNING,
            f"dataset {found.dataset_id} was created by an earlier run; {found.rows_added} rows "
            "were confirmed, the rest will be sent",
            summary="dataset being filled",
            before={},
            after={"dataset_id": found.dataset_id},
        )

    def answer_lost(job: jobs.Job) -> jobs.Verdict | None:
        if job.pending is None:
            return None
        found = progress(job.pending)
        if found.suspect:
            return jobs.verdict(
                Action.REPLACE,
                Reason.ANSWER_LOST,
                f"an earlier run sent rows to dataset {found.dataset_id} without getting an answer; "
                "it may hold them or not, so a fresh dataset is filled",
            )
        if found.dataset_id is None and job.pending.step == "create":
            return jobs.verdict(
                Action.CREATE,
                Reason.ANSWER_LOST,
                "an earlier run asked for this dataset but got no answer; it is looked up by name "
                "before anything is created",
            )
        return None

    def gone(job: jobs.Job) -> jobs.Verdict | None:
        if not job.facts.gone and job.facts.extra.get("listed"):
            return None
        return jobs.verdict(
            Action.CREATE, Reason.GONE, f"dataset {job.recorded_id} no longer exists on the platform"
        )

    def appended(job: jobs.Job) -> jobs.Verdict | None:
        record = job.record
        if not config.append or facts.appended is None or record is None or facts.gone:
            return None
        if record.status != "ready" or record.inputs.get("name") != config.name or job.recorded_id is None:
            return None
        rows = int(record.outputs.get("rows") or 0)
        return jobs.verdict(
            Action.UPDATE,
            Reason.INPUTS_CHANGED,
            f"{facts.appended} rows were added at the end of {config.file}; they are appended to "
            f"dataset {job.recorded_id} (append: true)",
            summary="append rows",
            before={"file": record.display.get("file_label"), "rows": rows, "dataset_id": job.recorded_id},
            after={"file": label, "rows": rows + facts.appended, "dataset_id": job.recorded_id},
        )

    def in_sync(job: jobs.Job) -> jobs.Verdict:
        record, wanted = job.record, job.identity
        assert record is not None and wanted is not None
        outputs = outputs_of(config, job.recorded_id, record.outputs.get("rows"), facts.file.sha256)
        refreshed = jobs.upgraded(wanted, record)
        if record.outputs != outputs:  # append turned on or off: the content is an output or not
            refreshed = (refreshed or record).model_copy(update={"outputs": outputs})
        return jobs.verdict(Action.NOOP, Reason.IN_SYNC, outputs=outputs, refreshed=refreshed)

    return jobs.rules(
        job_running, answer_lost, no_record, gone, appended, in_sync, before={"appended": "inputs_changed"}
    )


class Dataset(ResourceType[DatasetConfig, AkkioClient, DatasetFacts]):
    """A dataset filled from a CSV file."""

    name = "akkio.dataset"
    config_class = DatasetConfig
    identity_class = DatasetIdentity

    def planned(
        self, target: Target[DatasetConfig], named: Mapping[tuple[str | int, ...], Any]
    ) -> Fields | None:
        """The fields the dataset will have: its file's header (the first rows define them)."""
        try:
            columns = header(target.path(target.config.file))
        except errors.SpecError:
            return None  # not a regular file: reported where the file is read
        return Fields(columns) if columns else None

    async def read(
        self, client: AkkioClient, target: Target[DatasetConfig], record: ResourceState | None
    ) -> DatasetFacts:
        local: LocalFile = await _read(target, hashed)
        dataset_id = record.outputs.get("dataset_id") if record else None
        if dataset_id is None and record is not None:
            dataset_id = progress(record.pending).dataset_id
        if dataset_id is None:
            return DatasetFacts(file=local, live=None)
        live = next((item for item in await client.list_datasets() if same_id(item.id, dataset_id)), None)
        return DatasetFacts(
            file=local, live=live, gone=live is None, appended=await _appended(target, record, local)
        )

    def decide(
        self, desired: Desired[DatasetConfig], record: ResourceState | None, facts: DatasetFacts
    ) -> Decision:
        config = desired.config
        label = f"{config.file} ({facts.file.size} B, sha256 {facts.file.sha256[:12]})"
        after = {"file": label, "name": remote_name(config, facts.file.sha256)}
        before = {}
        if record is not None and record.outputs:
            before = {
                "file": record.display.get("file_label"),
                "name": record.display.get("name"),
                "dataset_id": record.outputs.get("dataset_id"),
            }

        def explain(recorded: Mapping[str, Any], _: Mapping[str, Any]) -> list[str]:
            if recorded.get("name") != config.name:
                return [f"name changed ({recorded.get('name')} → {config.name})"]
            old = str(recorded.get("sha256", ""))
            return [f"{config.file} changed (sha256 {old[:12]} → {facts.file.sha256[:12]})"]

        job = jobs.Job(
            record,
            identity(config, facts.file),
            jobs.JobFacts(gone=facts.gone, extra={"listed": facts.live is not None}),
            jobs.JobWords(noun="dataset", summary="new dataset", id_key="dataset_id"),
            explain=explain,
        )
        return jobs.decide(job, after=after, before=before, ruleset=_dataset_rules(config, facts, label))

    async def apply(
        self,
        client: AkkioClient,
        desired: Desired[DatasetConfig],
        record: ResourceState | None,
        decision: Decision,
        journal: Journal,
    ) -> Applied:
        config = desired.config
        table: Table = await _read(desired.target, read_table)
        wanted = identity(config, table.file)
        if decision.fingerprint and wanted.fingerprint() != decision.fingerprint:
            raise errors.PlanError(
                f"{desired.address}: {config.file} changed after the plan was made", hint="run plan again"
            )
        name = remote_name(config, table.file.sha256)
        pending = journal.pending if jobs.pending_for(wanted, journal.pending) else None
        found = progress(pending)
        dataset_id, start = found.dataset_id, found.rows_added
        if pending is not None and isinstance(pending.detail.get("name"), str):
            name = pending.detail["name"]  # an append resumed: the dataset keeps its first name
        if found.suspect:
            abandoned = [*(pending.detail.get("abandoned", []) if pending else []), found.dataset_id]
            await journal.intent("abandon", identity=wanted, abandoned=abandoned)
            dataset_id, start = None, 0
        elif dataset_id is not None and pending is not None and pending.action in ("import", "adopt"):
            # Adopted (``import``, or a plan's ``adopt``): the platform cannot show a dataset's rows,
            # so a dataset found by its content-derived name is taken as filled.
            start = len(table.rows)
        elif dataset_id is None and pending is not None and pending.step == "create":
            recovered = await self.recover(client, desired, pending)
            if recovered is not None:
                dataset_id, start = str(recovered), 0
                await journal.submitted(dataset_id, rows_added=0)
        if dataset_id is None and decision.action is Action.UPDATE and record is not None:
            # append: true, and the file grew by rows at its end: only those go, to the same dataset.
            dataset_id, start = str(record.outputs["dataset_id"]), int(record.outputs.get("rows") or 0)
            name = str(record.display.get("name") or name)
            await journal.intent("append", identity=wanted, name=name, appended_from=start)
            await journal.submitted(dataset_id, rows_added=start)
        if dataset_id is None:
            existing = [str(item.id) for item in await client.list_datasets() if item.name == name]
            await journal.intent(
                "create",
                identity=wanted,
                name=name,
                size=table.file.size,
                existing=existing,
            )
            dataset_id = await client.create_dataset(name)
            await journal.submitted(dataset_id, rows_added=0)
            start = 0
        for offset in range(start, len(table.rows), BATCH):
            batch = table.rows[offset : offset + BATCH]
            await journal.intent("add_rows", offset=offset, count=len(batch))
            await client.add_rows(dataset_id, batch)
            await journal.submitted(dataset_id, rows_added=offset + len(batch))
        return Applied(
            outputs=outputs_of(config, dataset_id, len(table.rows), table.file.sha256),
            display={
                "name": name,
                "columns": table.columns,
                "rows": len(table.rows),
                "bytes": table.file.size,
                "file_label": decision.after.get("file", config.file),
            },
            identity=wanted,
        )

    async def find(self, client: AkkioClient, desired: Desired[DatasetConfig]) -> Found:
        """Datasets named ``<name>-<sha256[:12]>``: the spec's name and this very file content."""
        table: Table = await _read(desired.target, read_table)
        local = table.file
        name = remote_name(desired.config, local.sha256)
        listed = await client.list_datasets()
        return Found(
            tuple(
                Candidate(
                    object_id=str(item.id),
                    # As an adoption records them (apply takes an adopted dataset as filled).
                    outputs=outputs_of(desired.config, str(item.id), len(table.rows), local.sha256),
                    matched={"name": name},
                    rank=rank,
                )
                for rank, item in enumerate(listed)
                if item.name == name
            ),
            how="name (the spec's name and the file's sha256)",
        )

    async def recover(
        self, client: AkkioClient, desired: Desired[DatasetConfig], pending: PendingOperation
    ) -> str | int | None:
        """The dataset a creation whose answer was lost made: named as asked, and new since the intent."""
        name = pending.detail.get("name")
        skip = {*pending.detail.get("existing", []), *pending.detail.get("abandoned", [])}
        matches = [item.id for item in await client.list_datasets() if item.name == name]
        fresh = [found for found in matches if not any(same_id(found, old) for old in skip)]
        return str(fresh[-1]) if fresh else None
