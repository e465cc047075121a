"""Files of records, as the prediction resources read and write them (Datrics, Akkio).

The input is a CSV file with a header row or a JSON array of objects, picked
by its suffix.  CSV cells become numbers where they read as numbers (the
models take numeric features, and the vendors' examples send numbers), empty
cells become ``null``, anything else stays text.  The input's identity is the
sha256 of its bytes: what was sent, not how it parsed.

Several input files are read as one list of records, in order.  The output
is CSV when its name ends in ``.csv`` (a header row of every field), else
JSON.

The output is written atomically (``providers/files.py``): a crash leaves
either the previous file or the new one, never half of one, and the recorded
sha256 of the output is always the sha256 of a whole file.

Both prediction resources read their files (:func:`read_files`), write their
output (:func:`write_output`) and judge the output file (:func:`output_rules`)
through here.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, Field, field_validator

from reconciler import errors
from reconciler.providers import jobs
from reconciler.providers.base import Target
from reconciler.providers.files import write_atomically
from reconciler.spec.refs import DataFile, LocalFile
from reconciler.vocabulary import Action, Reason

SUFFIXES = (".csv", ".json")

#: The ``input`` field of a prediction resource: one file of records or several, read in order.
InputFiles = Annotated[
    DataFile | Annotated[list[DataFile], Field(min_length=1)],
    Field(
        description="CSV (header row) or JSON array of records, or a list of such files (their records "
        "in order), relative to the spec file."
    ),
]

#: The ``output`` field of a prediction resource.
OutputFile = Annotated[
    str,
    Field(
        min_length=1,
        description="File the predictions are written to: .csv for CSV (a header row), else JSON.",
    ),
    LocalFile(output=True),
]


class RecordFiles(BaseModel):
    """The checks and views of a prediction resource's ``input`` (:data:`InputFiles`), which each
    configuration declares itself, where it stands in its field order."""

    if TYPE_CHECKING:
        input: str | list[str]

    @field_validator("input", check_fields=False)
    @classmethod
    def _no_empty_path(cls, value: str | list[str]) -> str | list[str]:
        for item in [value] if isinstance(value, str) else value:
            if not item:
                raise ValueError("an input path must not be empty")
        return value

    @property
    def inputs(self) -> list[str]:
        """The input files, in order."""
        return [self.input] if isinstance(self.input, str) else list(self.input)

    @property
    def input_label(self) -> str:
        return ", ".join(self.inputs)


class InputError(ValueError):
    """The input file cannot be read as records; the message says why."""


@dataclass(frozen=True)
class InputFile:
    """The input as found on disk."""

    path: str
    size: int
    sha256: str
    records: int


def sha256_of(path: Path) -> str | None:
    """The sha256 of a file, or None when it does not exist."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def _cell(text: str) -> Any:
    if text == "":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def parse_records(raw: bytes, *, suffix: str) -> list[dict[str, Any]]:
    """The records of a CSV or JSON input (pure)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if suffix == ".csv":
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames:
            raise InputError("the CSV file has no header row")
        records = []
        for line, row in enumerate(reader, start=2):
            if None in row or any(value is None for value in row.values()):
                raise InputError(f"line {line} does not have as many cells as the header")
            records.append({name: _cell(value) for name, value in row.items()})
        return records
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise InputError("a JSON input must be an array of objects, one per record")
    return data


def load_input(path: Path) -> tuple[InputFile, list[dict[str, Any]]]:
    """Read, hash and parse the input file (OSError and InputError propagate)."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(f"{path.name}: the input must be a .csv or .json file")
    raw = path.read_bytes()
    records = parse_records(raw, suffix=suffix)
    found = InputFile(
        path=str(path), size=len(raw), sha256=hashlib.sha256(raw).hexdigest(), records=len(records)
    )
    return found, records


def load_inputs(paths: Sequence[Path]) -> tuple[InputFile, list[dict[str, Any]]]:
    """Several input files read as one: their records in order.

    One file keeps its own sha256 (so a state written before lists were
    allowed stays in step); several are identified by the sha256 of their
    sha256s, in order, so reordering the files is a change.
    """
    if len(paths) == 1:
        return load_input(paths[0])
    found: list[InputFile] = []
    records: list[dict[str, Any]] = []
    for path in paths:
        one, rows = load_input(path)
        found.append(one)
        records.extend(rows)
    digest = hashlib.sha256("\n".join(item.sha256 for item in found).encode()).hexdigest()
    combined = InputFile(
        path=", ".join(item.path for item in found),
        size=sum(item.size for item in found),
        sha256=digest,
        records=len(records),
    )
    return combined, records


async def read_files(
    target: Target[Any], inputs: Sequence[str], *, several: bool, output: str
) -> tuple[InputFile, str | None]:
    """The input files as one (see :func:`load_inputs`) and the output file's sha256 (None: none yet).

    Each input is read first on its own, so an error names the spec field of
    the file at fault (``input``, or ``input[i]`` when ``several`` are listed).
    """
    for index, name in enumerate(inputs):
        path = target.path(name)
        at: tuple[str | int, ...] = ("input", index) if several else ("input",)
        try:
            await asyncio.to_thread(load_input, path)
        except FileNotFoundError as exc:
            raise target.error(at, f"file {path} does not exist", hint="check the path") from exc
        except InputError as exc:
            raise target.error(at, f"cannot read {path} as records: {exc}") from exc
        except OSError as exc:
            raise target.error(at, f"cannot read {path}: {exc.strerror}") from exc
    found, _ = await asyncio.to_thread(load_inputs, [target.path(name) for name in inputs])
    return found, await asyncio.to_thread(sha256_of, target.path(output))


async def write_output(target: Target[Any], output: str, result: Any) -> str:
    """Write the predictions to the output file (CSV or JSON by its suffix); returns the sha256 written."""
    path = target.path(output)
    try:
        content = output_bytes(result, suffix=path.suffix)
    except ValueError as exc:
        raise errors.ProviderError(f"{target.address}: cannot write {path} as CSV: {exc}") from exc
    try:
        return await asyncio.to_thread(write_atomically, path, content)
    except OSError as exc:
        raise errors.ProviderError(
            f"{target.address}: cannot write {path}: {exc.strerror}", hint="check the output path"
        ) from exc


def output_rules(output: str, output_sha256: str | None) -> tuple[jobs.Check, jobs.Check]:
    """The rules on the output file, for :func:`jobs.rules`: ``gone`` when it does not exist,
    ``output_edited`` when its sha256 (``output_sha256``, as read now) is not the one recorded."""

    def gone(job: jobs.Job) -> jobs.Verdict | None:
        if output_sha256 is not None:
            return None
        return jobs.verdict(Action.CREATE, Reason.GONE, f"{output} does not exist")

    def output_edited(job: jobs.Job) -> jobs.Verdict | None:
        assert job.record is not None and output_sha256 is not None
        recorded = str(job.record.outputs.get("output_sha256", ""))
        if output_sha256 == recorded:
            return None
        text = f"{output} was edited (sha256 {recorded[:12]} → {output_sha256[:12]})"
        return jobs.verdict(Action.REPLACE, Reason.LIVE_CHANGED, text)

    return gone, output_edited


def batches(records: list[dict[str, Any]], size: int | None) -> list[list[dict[str, Any]]]:
    """``records`` cut into runs of ``size`` (all in one without a size; one empty batch for none)."""
    if size is None or len(records) <= size:
        return [records]
    return [records[start : start + size] for start in range(0, len(records), size)]


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def rows_of(result: Any) -> list[Any] | None:
    """The per-record predictions in a task's result (its shape is INFERRED), or None when there are none.

    A list is the rows; an object holding exactly one list (``{"predictions": [...]}``)
    is read as that list, so either shape can be merged across batches and written as CSV.
    """
    if isinstance(result, list):
        return result
    if isinstance(result, dict):
        lists = [value for value in result.values() if isinstance(value, list)]
        if len(lists) == 1:
            return lists[0]
    return None


def csv_bytes(result: Any) -> bytes:
    """Predictions as CSV: a header of every field in order of first appearance, one row per record.

    A list of plain values becomes one ``prediction`` column; a result without
    rows (see :func:`rows_of`) raises ``ValueError``.
    """
    found = rows_of(result)
    if found is None:
        raise ValueError(f"the result is {type(result).__name__}, not a list of records: write it as .json")
    rows = [item if isinstance(item, dict) else {"prediction": item} for item in found]
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(str(key) for key in row))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        texts = {str(key): _csv_cell(value) for key, value in row.items()}
        writer.writerow([texts.get(column, "") for column in columns])
    return buffer.getvalue().encode()


def output_bytes(result: Any, *, suffix: str = ".json") -> bytes:
    """How predictions are written: CSV for a ``.csv`` output, else indented JSON with a final newline."""
    if suffix.lower() == ".csv":
        return csv_bytes(result)
    return (json.dumps(result, indent=2, ensure_ascii=False) + "\n").encode()
