"""The provider's pure parts: Celery states, input files, atomic output."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from reconciler.providers.datrics.client import TaskInfo, TaskReport, task_status
from reconciler.providers.datrics.files import InputError, load_input, parse_records
from reconciler.providers.files import write_atomically


@pytest.mark.parametrize(
    ("body", "state", "message"),
    [
        ({"state": "PENDING"}, "running", None),
        ({"state": "RECEIVED"}, "running", None),
        ({"state": "STARTED"}, "running", None),
        ({"state": "RETRY"}, "running", None),
        ({"state": "PROGRESS"}, "running", None),  # a custom state: still waiting
        ({"state": "SUCCESS", "result": []}, "succeeded", None),
        ({"state": "FAILURE", "error": "KeyError: age"}, "failed", "KeyError: age"),
        ({"state": "FAILURE", "result": "ValueError: bad"}, "failed", "ValueError: bad"),
        ({"state": "FAILURE", "result": {"exc_type": "KeyError", "exc_message": "age"}}, "failed", "age"),
        ({"state": "REVOKED"}, "failed", None),
    ],
)
def test_celery_states(body: dict[str, Any], state: str, message: str | None) -> None:
    status = task_status(TaskReport(TaskInfo.model_validate(body), body))
    assert (status.state, status.message) == (state, message)
    assert status.word == body.get("state", "unknown")


def test_csv_cells_become_numbers_where_they_read_as_numbers() -> None:
    raw = b"\xef\xbb\xbfid,amount,rate,status,note\nA-1,700,0.5,,x\n"
    assert parse_records(raw, suffix=".csv") == [
        {"id": "A-1", "amount": 700, "rate": 0.5, "status": None, "note": "x"}
    ]


@pytest.mark.parametrize(
    ("raw", "suffix", "error"),
    [
        (b"", ".csv", "no header row"),
        (b"a,b\n1,2,3\n", ".csv", "line 2 does not have as many cells"),
        (b"a,b\n1\n", ".csv", "line 2 does not have as many cells"),
        (b'{"a": 1}', ".json", "must be an array of objects"),
        (b"[1, 2]", ".json", "must be an array of objects"),
        (b"[{", ".json", "not JSON"),
        (b"\xff\xfe", ".json", "not UTF-8"),
    ],
)
def test_unreadable_inputs_say_why(raw: bytes, suffix: str, error: str) -> None:
    with pytest.raises(InputError, match=error):
        parse_records(raw, suffix=suffix)


def test_only_csv_and_json_inputs(tmp_path: Path) -> None:
    (tmp_path / "in.xlsx").write_bytes(b"x")
    with pytest.raises(InputError, match=r"must be a \.csv or \.json file"):
        load_input(tmp_path / "in.xlsx")
    (tmp_path / "in.JSON").write_text('[{"a": 1}]')
    found, records = load_input(tmp_path / "in.JSON")
    assert (found.records, found.size, records) == (1, 10, [{"a": 1}])


def test_the_output_is_replaced_whole_and_no_temporary_file_is_left(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "out.json"
    first = write_atomically(target, b"[1]\n")
    inode = os.stat(target).st_ino
    second = write_atomically(target, b"[2]\n")
    assert target.read_bytes() == b"[2]\n" and first != second
    assert os.stat(target).st_ino != inode  # a rename, not a rewrite in place
    assert sorted(path.name for path in target.parent.iterdir()) == ["out.json"]
