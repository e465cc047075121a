"""``${env:NAME}`` interpolation: values come from the environment and never leak into messages."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from reconciler.spec import load_spec

from .fakes import REGISTRY, AlvissProvider, spec_errors

CANARY = "canary-7f3e9b2a-secret"


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(text: str) -> str:
    Path("spec.yaml").write_text(text, encoding="utf-8")
    return "spec.yaml"


def test_values_come_from_environ_before_validation() -> None:
    source = write(
        "providers:\n"
        "  alviss:\n"
        "    endpoint: ${env:SCHEME}://${env:HOST}/api\n"
        "    token: ${env:TOKEN}\n"
        "    team: ${env:TEAM}\n"
        "    project: 1\n"
        "resources:\n"
        "  alviss.upload.a: {dataset_name: 'costs $${not:env}', file: '${env:DATA}/a.csv'}\n"
    )
    environ = {"SCHEME": "https", "HOST": "example.test", "TOKEN": CANARY, "TEAM": "7", "DATA": "data"}

    spec = load_spec(source, registry=REGISTRY, environ=environ)

    config = spec.providers["alviss"].config
    assert isinstance(config, AlvissProvider)
    assert config.endpoint == SecretStr("https://example.test/api")
    assert config.token is not None and config.token.get_secret_value() == CANARY
    assert config.team == 7
    assert CANARY not in repr(spec)
    assert spec.resources["alviss.upload.a"].config.model_dump() == {
        "dataset_name": "costs ${not:env}",
        "file": "data/a.csv",
    }


def test_os_environ_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECONCILER_TEST_TEAM", "5")
    source = write("providers:\n  alviss: {team: '${env:RECONCILER_TEST_TEAM}', project: 1}\n")

    config = load_spec(source, registry=REGISTRY).providers["alviss"].config

    assert isinstance(config, AlvissProvider) and config.team == 5


def test_each_missing_variable_is_reported_once_at_its_value() -> None:
    source = write(
        "providers:\n"
        "  alviss: {team: '${env:TEAM}', project: '${env:PROJECT}'}\n"
        "resources:\n"
        "  alviss.upload.a: {dataset_name: A, file: a.csv, provider: '${env:WHICH}'}\n"
        "  alviss.active_dataset.d: {contains: ['${env:REF}'], depends_on: ['${env:DEP}']}\n"
    )

    assert spec_errors(source) == [
        "spec.yaml:2:18: environment variable 'TEAM' is not set\n  hint: export TEAM=...",
        "spec.yaml:2:42: environment variable 'PROJECT' is not set\n  hint: export PROJECT=...",
        "spec.yaml:4:61: environment variable 'WHICH' is not set\n  hint: export WHICH=...",
        "spec.yaml:5:40: environment variable 'REF' is not set\n  hint: export REF=...",
        "spec.yaml:5:68: environment variable 'DEP' is not set\n  hint: export DEP=...",
    ]


def test_messages_quote_the_source_text_never_the_value() -> None:
    source = write(
        "providers:\n"
        "  alviss: {team: '${env:SECRET}', project: 1}\n"
        "  datrics: {endpoint: '${env:SECRET}'}\n"
        "resources:\n"
        "  alviss.upload.a:\n"
        "    dataset_name: A\n"
        "    file: a.csv\n"
        "    provider: 'x${env:SECRET}'\n"
        "    depends_on: ['alviss.upload.${env:SECRET}']\n"
        "  alviss.active_dataset.d: {contains: ['${env:SECRET}']}\n"
        "  alviss.refit.r: {model: 3, dataset: alviss.active_dataset.d, mode: '${env:SECRET}'}\n"
        "  datrics.pipeline.p: {name: '${env:SECRET}', provider: '${env:SECRET}'}\n"
    )

    errors = spec_errors(source, environ={"SECRET": CANARY})

    assert errors == [
        "spec.yaml:2:18: provider 'alviss': 'team' must be an integer, got '${env:SECRET}'",
        "spec.yaml:8:15: alviss.upload.a: provider 'x${env:SECRET}' is not defined\n"
        "  hint: defined provider instances: alviss, datrics",
        "spec.yaml:9:18: alviss.upload.a: 'depends_on[0]' refers to 'alviss.upload.${env:SECRET}',"
        " which is not in the spec",
        "spec.yaml:10:40: alviss.active_dataset.d: 'contains[0]' refers to '${env:SECRET}',"
        " which is not in the spec",
        "spec.yaml:11:70: alviss.refit.r: 'mode' must be 'fast' or 'full', got '${env:SECRET}'",
        "spec.yaml:12:57: datrics.pipeline.p: provider '${env:SECRET}' is not defined\n"
        "  hint: defined provider instances: alviss, datrics",
    ]
    assert not any(CANARY in error for error in errors)


def test_a_model_echoing_its_input_is_masked() -> None:
    secret = "forbidden-" + CANARY
    source = write(
        "providers:\n  datrics: {endpoint: e}\nresources:\n  datrics.pipeline.p: {name: 'x-${env:NAME}'}\n"
    )

    errors = spec_errors(source, environ={"NAME": secret})

    assert errors == ["spec.yaml:4:30: datrics.pipeline.p: 'name' is invalid: 'x-***' is not allowed"]
