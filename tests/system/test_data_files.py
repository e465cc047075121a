"""A data file that is not a regular file is a located spec error, for every platform's file fields.

``/dev/zero`` (endless), a FIFO (a read blocks forever), a directory and a
link to a device would each fail or hang deep inside a plan; instead
``validate`` and ``plan`` stop at the field's ``file:line:col``, with nothing
read from the file and nothing sent.
"""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import pytest

from .support import run

SPEC = "specs/multi-platform.yaml"
#: Every file field of every platform, as multi-platform.yaml writes it.
FIELDS = {
    "alviss upload file": "    file: data/demo/sales_w47.csv",
    "akkio dataset file": "    file: data/akkio/leads.csv",
    "sony train_file": "    train_file: data/sony_epa/churn_train.csv",
    "sony eval_file": "    eval_file: data/sony_epa/churn_eval.csv",
    "datrics input": "    input: data/datrics/credit_applications.csv",
    "datrics output": "    output: ../predictions/multi-platform/credit_scores.json",
}
KINDS = {
    "/dev/zero": "is a character device, not a regular file",
    "fifo": "is a FIFO (named pipe), not a regular file",
    "directory": "is a directory, not a regular file",
    "link to /dev/zero": "is a character device, not a regular file",
}


@pytest.fixture(autouse=True)
def no_hang() -> Iterator[None]:
    """A read of a FIFO would block forever: fail the test instead."""

    def expire(signum: int, frame: FrameType | None) -> None:
        raise TimeoutError("the command hung on a file")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(30)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def hostile(project: Path, kind: str) -> str:
    if kind == "/dev/zero":
        return "/dev/zero"
    path = project / "hostile"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "directory":
        path.mkdir()
    else:
        path.symlink_to("/dev/zero")
    return str(path)


def place(project: Path, field: str, value: str) -> tuple[int, int]:
    """Put ``value`` in ``field`` of the spec; the line and column of the value."""
    spec = project / SPEC
    lines = spec.read_text().splitlines()
    index = lines.index(FIELDS[field])
    key = FIELDS[field].split(":")[0]
    lines[index] = f"{key}: {value}"
    spec.write_text("\n".join(lines) + "\n")
    return index + 1, len(key) + 3


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("field", list(FIELDS))
def test_validate_names_the_field(project: Path, field: str, kind: str) -> None:
    line, column = place(project, field, hostile(project, kind))
    code, output = run("validate", SPEC)
    assert code == 1, output
    expected = rf"{re.escape(SPEC)}:{line}:{column}: \S+: '\w+': .* {re.escape(KINDS[kind])}"
    assert re.search(expected, output), output
    assert "Traceback" not in output


@pytest.mark.parametrize("field", list(FIELDS))
def test_plan_stops_before_reading_anything(project: Path, field: str) -> None:
    line, column = place(project, field, hostile(project, "fifo"))
    code, output = run("plan", SPEC)
    assert code == 1, output
    assert f"{SPEC}:{line}:{column}:" in output
    assert KINDS["fifo"] in output
    assert not (project / "emulators").exists()  # no platform was even opened


@pytest.mark.parametrize("field", list(FIELDS))
async def test_a_file_replaced_after_loading_is_refused_where_it_is_used(project: Path, field: str) -> None:
    """Between loading the spec and reading the file, a FIFO takes its place: still a located error."""
    from reconciler import emulators, errors
    from reconciler.providers.base import ClientOptions
    from reconciler.workflow import Settings, Workspace
    from tests.support import no_wait

    line, column = place(project, field, FIELDS[field].split(": ", 1)[1])
    settings = Settings(
        environ={},
        emulator_dir=project / "emulators",
        emulator_durations={name: dict.fromkeys(kinds, 0.0) for name, kinds in emulators.JOB_KINDS.items()},
        client=ClientOptions(sleep=no_wait),
    )
    space = Workspace(project / SPEC, settings=settings)
    space.validate()
    target = (project / SPEC).parent / FIELDS[field].split(": ", 1)[1]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    os.mkfifo(target)
    with pytest.raises(errors.SpecError) as info:
        await space.plan()
    assert (info.value.line, info.value.column) == (line, column)
    assert KINDS["fifo"] in str(info.value)
