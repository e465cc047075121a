"""``reconciler fmt``: one canonical layout, comments and meaning kept, --check for CI."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import SpecErrors
from reconciler.spec.fmt import format_text
from tests.support import REPO

MESSY = """\
---
# the demo, written carelessly

version:   1
x-defaults: &defaults
    provider: alviss   # aligned
providers:
    alviss:   # the default instance
        endpoint: "emulator://alviss"
        # a comment above team
        team: 1
        project:    1
        # token: ${env:ALVISS_TOKEN}


# resources follow
resources:
    alviss.upload.sales:
        <<: *defaults
        dataset_name: Sales    # sales
        file: data/demo/sales_w47.csv{TRAILING}
    alviss.active_dataset.main:
        contains:
        # first
        - alviss.upload.sales
        - 'alviss.upload.media'
        options: {a: 1,   b: [1,2]}
    alviss.refit.no: {model: 3, note: "no"}
    notes: |
        line one
          # not a comment

        line four
""".replace("{TRAILING}", "   ")

CANONICAL = """\
# the demo, written carelessly

version: 1
x-defaults: &defaults
  provider: alviss     # aligned
providers:
  alviss:     # the default instance
    endpoint: "emulator://alviss"
    # a comment above team
    team: 1
    project: 1
    # token: ${env:ALVISS_TOKEN}

# resources follow
resources:
  alviss.upload.sales:
    <<: *defaults
    dataset_name: Sales        # sales
    file: data/demo/sales_w47.csv
  alviss.active_dataset.main:
    contains:
      # first
      - alviss.upload.sales
      - 'alviss.upload.media'
    options: {a: 1, b: [1, 2]}
  alviss.refit.no: {model: 3, note: "no"}
  notes: |
    line one
      # not a comment

    line four
"""


def test_one_canonical_layout_comments_kept() -> None:
    assert format_text(MESSY, file="spec.yaml") == CANONICAL


def test_formatting_twice_changes_nothing() -> None:
    assert format_text(CANONICAL, file="spec.yaml") == CANONICAL


@pytest.mark.parametrize("spec", sorted((REPO / "specs").glob("*.yaml")), ids=lambda path: path.name)
def test_the_example_specs_are_in_the_layout(spec: Path) -> None:
    text = spec.read_text()
    assert format_text(text, file=str(spec)) == text


def test_broken_yaml_is_a_located_error() -> None:
    with pytest.raises(SpecErrors) as caught:
        format_text("a: [1,\nb: 2\n", file="spec.yaml")
    [error] = caught.value.errors
    assert (error.file, error.line) == ("spec.yaml", 1)
