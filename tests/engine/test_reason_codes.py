"""Reason codes: one vocabulary in the code, the published schema and the format document."""

from __future__ import annotations

import json
import re

from reconciler.vocabulary import Reason
from tests.support import REPO


def test_the_schema_lists_every_reason_code() -> None:
    schema = json.loads((REPO / "docs" / "plan.schema.json").read_text())
    listed = schema["$defs"]["change"]["properties"]["reason"]["enum"]
    assert listed == [reason.value for reason in Reason]


def test_the_format_document_gives_each_code_its_cause() -> None:
    text = (REPO / "docs" / "plan-format.md").read_text()
    rows = dict(re.findall(r"^\| `([a-z_]+)` \| [^|]+ \| ([^|]+) \|", text, flags=re.M))
    for reason in Reason:
        assert reason.value in rows, f"docs/plan-format.md does not list {reason.value}"
        documented = rows[reason.value].strip()
        expected = {None: "`null`", "inherited": "the upstream's"}.get(reason.cause, f"`{reason.cause}`")
        assert documented == expected, reason
