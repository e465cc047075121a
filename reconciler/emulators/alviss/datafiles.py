"""Checking uploaded data files the way Alviss does, one line at a time.

Uploads can be large (years of weekly data for many markets), so a file is
never held in memory: it is read as a stream of CSV rows and only what the
emulator needs afterwards is kept, namely the row count and the distinct
(country, region, grouping, date) keys that the dates endpoint filters on.
A file that does not fit its dataset type is still accepted by the upload
call (as on the real platform); the problem is reported later as the job's
``Message``, so the result of a check is data, not an exception.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO

# Dataset types of the Data Specification, with the columns each one requires.
_COMMON = ("Country", "Region", "Date")
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "Sales": ("Country", "Region", "Date", "Product", "UnitsSold"),
    "Media": ("Country", "Region", "Date", "Product", "Media", "Campaign", "Metric", "Value"),
    "Events": ("Country", "Region", "StartDate", "EndDate", "Event"),
    "Price": _COMMON,
    "Customer Experience": _COMMON,
    "Brand": _COMMON,
    "Visits": _COMMON,
    "Macro": _COMMON,
    "Competitor": _COMMON,
    "Weather": _COMMON,
    "Distribution": _COMMON,
    "Extra": _COMMON,
}
DATASET_TYPES: tuple[str, ...] = tuple(REQUIRED_COLUMNS)
MEDIA_METRICS = frozenset({"Impression", "Investment", "GRP", "Reach", "Clicks", "Leads", "Gross"})

_COUNTRY = re.compile(r"^[A-Z]{3}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

Key = tuple[str, str, str, str]  # country, region, grouping, date


def canonical_type(name: str) -> str | None:
    """The documented spelling of a dataset type name, or None when it is unknown."""
    for known in DATASET_TYPES:
        if known.lower() == name.strip().lower():
            return known
    return None


@dataclass
class CheckResult:
    """What an uploaded file turned out to be."""

    size: int = 0
    rows: int = 0
    error: str | None = None
    keys: set[Key] = field(default_factory=set)


class _CountingReader(io.RawIOBase):
    """Passes bytes through while counting them, so the size needs no second pass."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.count += n
        return n


class _Problem(Exception):
    pass


def is_date(text: str) -> bool:
    """True for a real calendar date written YYYY-MM-DD."""
    if not _DATE.match(text):
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def check_file(stream: IO[bytes], *, filename: str, dataset_type: str) -> CheckResult:
    """Read a whole upload as a stream and say whether it fits ``dataset_type``."""
    result = CheckResult()
    counter = _CountingReader(stream)
    if filename.lower().endswith((".xlsx", ".xls")):
        _drain(counter)
        result.size = counter.count
        result.error = "only CSV files are supported by the emulator (got an Excel file)"
        return result
    text = io.TextIOWrapper(io.BufferedReader(counter), encoding="utf-8-sig", newline="")
    try:
        _check_rows(csv.reader(text), dataset_type=dataset_type, result=result)
    except _Problem as problem:
        result.error = str(problem)
    except UnicodeDecodeError:
        result.error = "the file is not UTF-8 text"
    except csv.Error as exc:
        result.error = f"the file is not valid CSV: {exc}"
    _drain(counter)
    result.size = counter.count
    if result.error is not None:
        result.keys.clear()
    return result


def _drain(counter: _CountingReader) -> None:
    while counter.read(1 << 16):
        pass


def _check_rows(rows: Iterator[list[str]], *, dataset_type: str, result: CheckResult) -> None:
    header = next(rows, None)
    if header is None:
        raise _Problem("the file is empty (no header row)")
    columns = [name.strip() for name in header]
    missing = [name for name in REQUIRED_COLUMNS[dataset_type] if name not in columns]
    if missing:
        names = ", ".join(f"`{name}`" for name in missing)
        raise _Problem(f"missing column {names} required for {dataset_type} data")
    index = {name: columns.index(name) for name in columns}
    grouping_at = index.get("Grouping")
    date_at = index.get("Date")
    # Row numbers count the header as row 1, as a spreadsheet shows them.
    for number, row in enumerate(rows, start=2):
        if not row:
            continue
        if len(row) != len(columns):
            raise _Problem(f"row {number}: expected {len(columns)} fields, found {len(row)}")
        _check_row(row, index=index, number=number, dataset_type=dataset_type)
        result.rows += 1
        if date_at is not None:
            grouping = row[grouping_at].strip() if grouping_at is not None else ""
            result.keys.add(
                (row[index["Country"]].strip(), row[index["Region"]].strip(), grouping or "all", row[date_at])
            )
    if result.rows == 0:
        raise _Problem("the file has a header but no data rows")


def _check_row(row: list[str], *, index: dict[str, int], number: int, dataset_type: str) -> None:
    def value(name: str) -> str:
        return row[index[name]].strip()

    country = value("Country")
    if not _COUNTRY.match(country):
        raise _Problem(f"row {number}: bad country '{country}' (expected ISO-3166 alpha-3, e.g. SWE)")
    if not value("Region"):
        raise _Problem(f"row {number}: empty Region (use 'all' for the whole country)")
    date_columns = ("StartDate", "EndDate") if dataset_type == "Events" else ("Date",)
    for name in date_columns:
        if not is_date(value(name)):
            raise _Problem(f"row {number}: bad date '{value(name)}' in column {name} (expected YYYY-MM-DD)")
    if dataset_type == "Events" and value("StartDate") > value("EndDate"):
        raise _Problem(f"row {number}: StartDate is after EndDate")
    if dataset_type == "Sales" and not _number(value("UnitsSold")):
        raise _Problem(f"row {number}: UnitsSold '{value('UnitsSold')}' is not a number")
    if dataset_type == "Media":
        if value("Metric") not in MEDIA_METRICS:
            allowed = "|".join(sorted(MEDIA_METRICS))
            raise _Problem(f"row {number}: unknown Metric '{value('Metric')}' (one of {allowed})")
        if not _number(value("Value")):
            raise _Problem(f"row {number}: Value '{value('Value')}' is not a number")
