"""Whatever a file holds, loading it either gives a Spec or SpecErrors placed inside the file.

No other exception may escape (a traceback is a bug in the loader, never the
user's fault), every error has a 1-based position, and a value read from the
environment never shows up in an error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.errors import SpecError, SpecErrors
from reconciler.spec import Spec, load_spec

from .fakes import REGISTRY

CANARY = "canary-5d1c0e-secret"
ENVIRON = {"X": CANARY, "TEAM": "3"}

WORDS = [
    "version", "state", "providers", "resources", "backend", "path", "local",
    "alviss", "alviss.no", "datrics", "team", "project", "token", "endpoint",
    "alviss.upload.a", "alviss.upload.b", "alviss.active_dataset.d", "alviss.refit.r",
    "datrics.pipeline.p", "dataset_name", "file", "contains", "model", "dataset",
    "combination", "country", "mode", "provider", "depends_on", "name",
    "${env:X}", "${env:TEAM}", "${env:MISSING}", "$${", "${", "<<",
]  # fmt: skip
PROVIDER_LINES = [
    "  alviss: {team: 1, project: 1}", "  alviss.no: &p {team: '${env:TEAM}', project: 2}",
    "  datrics: {endpoint: '${env:X}'}", "  alviss.se: {<<: *p, project: '${env:X}'}", "  alvis: {}",
]  # fmt: skip
RESOURCE_LINES = [
    "  alviss.upload.a: &u {dataset_name: A, file: a.csv}", "  alviss.upload.b: {<<: *u, file: b.csv}",
    "  alviss.upload.c: {provider: alviss.no, dataset_name: '${env:X}', file: c.csv}",
    "  alviss.active_dataset.d: {contains: [alviss.upload.a], depends_on: [alviss.refit.r]}",
    "  alviss.active_dataset.e: {contains: [alviss.upload.b, '${env:X}']}",
    "  alviss.refit.r: {model: 3, dataset: alviss.active_dataset.d}",
    "  alviss.refit.s: {model: alviss.refit.s, dataset: alviss.active_dataset.e, mode: '${env:X}'}",
    "  datrics.pipeline.p: {name: '${env:X}', provider: datrics}", "  alviss.upload.f: {fle: x}",
]  # fmt: skip
NOISE = [
    "    team: ${env:X}", "    - *u", "  - a", "? [a]", "\tx: 1", "a: b: c", "x: &a [*a]", "y: !!int x",
    "z: !tag y", "---", "{", "'", "  <<: *p", "  version: 2", "state: {backend: s3}", "", "# comment",
]  # fmt: skip


@st.composite
def spec_texts(draw: st.DrawFn) -> str:
    """Mostly well-formed specs built from known entries, with some noise lines mixed in."""
    lines = draw(st.lists(st.sampled_from(["version: 1", "state: {backend: local}"]), unique=True))
    lines += ["providers:", *draw(st.lists(st.sampled_from(PROVIDER_LINES), unique=True))]
    lines += ["resources:", *draw(st.lists(st.sampled_from(RESOURCE_LINES), unique=True))]
    for noise in draw(st.lists(st.sampled_from(NOISE), max_size=2)):
        lines.insert(draw(st.integers(0, len(lines))), noise)
    return "\n".join(lines) + "\n"


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.sampled_from(WORDS),
    st.text(max_size=8),
)
keys = st.one_of(st.sampled_from(WORDS), st.text(max_size=6))
structures = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
    max_leaves=25,
)
documents = st.dictionaries(
    st.sampled_from(["version", "state", "providers", "resources", "resource"]), structures
)

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def spec_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("property") / "spec.yaml"


def check(spec_file: Path, data: bytes) -> None:
    spec_file.write_bytes(data)
    try:
        result: Any = load_spec(spec_file, registry=REGISTRY, environ=ENVIRON)
    except SpecErrors as exc:
        assert exc.errors
        for error in exc.errors:
            assert isinstance(error, SpecError)
            assert error.file == str(spec_file)
            assert error.line >= 1 and error.column >= 1
            assert CANARY not in str(error)
    else:
        assert isinstance(result, Spec)


@PROPERTY
@given(text=st.text(max_size=300))
def test_arbitrary_text(spec_file: Path, text: str) -> None:
    check(spec_file, text.encode("utf-8", errors="surrogatepass"))


@PROPERTY
@given(text=spec_texts())
def test_spec_like_texts(spec_file: Path, text: str) -> None:
    check(spec_file, text.encode())


@PROPERTY
@given(document=documents)
def test_yaml_structures(spec_file: Path, document: dict[str, Any]) -> None:
    check(spec_file, yaml.safe_dump(document, allow_unicode=True).encode())
