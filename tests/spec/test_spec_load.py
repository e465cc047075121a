"""Loading valid specs: providers, addresses, references and positions come out as written."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import reconciler.spec
from reconciler.errors import SpecErrors
from reconciler.spec import Location, Reference, load_spec, parse_address, references

from .fakes import REGISTRY, AlvissProvider, Refit, spec_errors

SPEC = textwrap.dedent(
    """\
    version: 1
    state: {backend: local, path: ../state/demo.json}
    providers:
      alviss:
        endpoint: emulator://alviss
        team: 1
        project: 1
      alviss.no:
        endpoint: https://app.alviss.io/api/v1/api
        token: ${env:ALVISS_TOKEN_NO}
        team: 1
        project: 2
    resources:
      alviss.upload.sales_w46: {dataset_name: Sales, file: data/sales_w46.csv}
      alviss.upload.sales_no:  {provider: alviss.no, dataset_name: Sales, file: data/sales_no.csv}
      alviss.active_dataset.main:
        contains: [alviss.upload.sales_w46]
        depends_on: [alviss.upload.sales_no]
      alviss.refit.sweden:
        model: 3
        dataset: alviss.active_dataset.main
        combination: {country: SWE}
      alviss.refit.again: {model: alviss.refit.sweden, dataset: alviss.active_dataset.main}
    """
)


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(name: str, text: str) -> Path:
    path = Path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_valid_multi_provider_spec(in_tmp: Path) -> None:
    write("specs/main.yaml", SPEC)
    spec = load_spec("specs/main.yaml", registry=REGISTRY, environ={"ALVISS_TOKEN_NO": "tok-no"})

    assert spec.files == (Path("specs/main.yaml"),)
    assert spec.base_dir == in_tmp / "specs"
    assert spec.version == 1
    assert spec.state.path == "../state/demo.json"
    assert list(spec.providers) == ["alviss", "alviss.no"]
    norway = spec.providers["alviss.no"]
    assert (norway.platform, norway.location) == ("alviss", Location("specs/main.yaml", 8, 3))
    assert isinstance(norway.config, AlvissProvider)
    assert norway.config.token is not None and norway.config.token.get_secret_value() == "tok-no"
    assert norway.config.project == 2

    assert list(spec.resources) == [
        "alviss.upload.sales_w46",
        "alviss.upload.sales_no",
        "alviss.active_dataset.main",
        "alviss.refit.sweden",
        "alviss.refit.again",
    ]
    assert spec.resources["alviss.upload.sales_w46"].provider == "alviss"
    assert spec.resources["alviss.upload.sales_no"].provider == "alviss.no"
    assert spec.resources["alviss.upload.sales_no"].config.model_dump() == {
        "dataset_name": "Sales",
        "file": "data/sales_no.csv",
    }
    main = spec.resources["alviss.active_dataset.main"]
    assert (main.type, main.name, main.platform) == ("alviss.active_dataset", "main", "alviss")
    assert main.depends_on == ("alviss.upload.sales_no",)
    assert main.location == Location("specs/main.yaml", 16, 3)
    assert main.field_locations[("contains", 0)] == Location("specs/main.yaml", 17, 16)
    assert main.field_locations[("depends_on", 0)] == Location("specs/main.yaml", 18, 18)
    assert references(main.config) == [
        Reference(path=("contains", 0), address="alviss.upload.sales_w46", allowed=("alviss.upload",))
    ]
    sweden = spec.resources["alviss.refit.sweden"]
    assert isinstance(sweden.config, Refit)
    assert sweden.config.model == 3
    assert sweden.field_locations[("combination", "country")] == Location("specs/main.yaml", 22, 28)
    again = spec.resources["alviss.refit.again"]
    assert [ref.address for ref in references(again.config)] == [
        "alviss.refit.sweden",
        "alviss.active_dataset.main",
    ]


def test_directory_merges_files_in_name_order(in_tmp: Path) -> None:
    write("specs/b_resources.yml", "resources:\n  alviss.upload.b: {dataset_name: B, file: b.csv}\n")
    write("specs/a_providers.yaml", "version: 1\nproviders:\n  alviss: {team: 1, project: 1}\n")
    write("specs/c_more.yaml", "resources:\n  alviss.active_dataset.d: {contains: [alviss.upload.b]}\n")
    write("specs/notes.txt", "not a spec")

    spec = load_spec("specs", registry=REGISTRY, environ={})

    assert spec.files == (
        Path("specs/a_providers.yaml"),
        Path("specs/b_resources.yml"),
        Path("specs/c_more.yaml"),
    )
    assert spec.base_dir == in_tmp / "specs"
    assert list(spec.resources) == ["alviss.upload.b", "alviss.active_dataset.d"]
    assert spec.resources["alviss.upload.b"].location == Location("specs/b_resources.yml", 2, 3)


def test_definitions_repeated_across_files_name_both_places(in_tmp: Path) -> None:
    write("a.yaml", "version: 1\nproviders:\n  alviss: {team: 1, project: 1}\n")
    write(
        "b.yaml",
        """\
        version: 1
        state: {}
        providers:
          alviss: {team: 2, project: 2}
        resources:
          alviss.upload.a: {dataset_name: A, file: a.csv}
        """,
    )
    write("c.yaml", "state: {}\nresources:\n  alviss.upload.a: {dataset_name: A, file: a.csv}\n")

    assert spec_errors(["a.yaml", "b.yaml", "c.yaml"]) == [
        "b.yaml:1:1: 'version' is already set at a.yaml:1:1",
        "b.yaml:4:3: provider 'alviss' is already defined at a.yaml:3:3",
        "c.yaml:1:1: 'state' is already set at b.yaml:2:1",
        "c.yaml:3:3: resource 'alviss.upload.a' is already defined at b.yaml:6:3",
    ]


def test_all_files_are_checked_before_reporting(in_tmp: Path) -> None:
    write("a.yaml", "providers:\n  alviss: {team: one, project: 1}\n")
    write("b.yaml", "resources:\n  alviss.upload.a: {file: a.csv}\n")

    assert spec_errors(["b.yaml", "a.yaml"]) == [
        "b.yaml:2:3: alviss.upload.a: field 'dataset_name' is required",
        "a.yaml:2:18: provider 'alviss': 'team' must be an integer, got 'one'",
    ]


def test_unreadable_sources_are_spec_errors(in_tmp: Path) -> None:
    Path("empty").mkdir()
    Path("latin1.yaml").write_bytes(b"version: 1\nstate: {path: caf\xe9}\n")

    assert spec_errors("missing.yaml") == ["missing.yaml:1:1: spec file not found"]
    assert spec_errors("empty") == ["empty:1:1: no *.yaml or *.yml spec files in this directory"]
    assert spec_errors([]) == ["<spec>:1:1: no spec files given"]
    assert spec_errors("latin1.yaml") == ["latin1.yaml:2:18: the spec file is not valid UTF-8 text"]


def test_a_broken_file_suppresses_reference_guesses(in_tmp: Path) -> None:
    write("a.yaml", "resources: [\n")
    write(
        "b.yaml",
        "providers:\n  alviss: {team: 1, project: 1}\n"
        "resources:\n  alviss.active_dataset.d: {contains: [alviss.upload.in_a]}\n",
    )

    errors = spec_errors(["a.yaml", "b.yaml"])

    assert len(errors) == 1 and errors[0].startswith("a.yaml:2:1: invalid YAML")


def test_anchors_and_merge_keys(in_tmp: Path) -> None:
    write(
        "spec.yaml",
        """\
        providers:
          alviss: &common {team: 1, project: 1}
          alviss.no: {<<: *common, project: 2}
        resources:
          alviss.upload.a: &upload {dataset_name: Sales, file: a.csv}
          alviss.upload.b: {<<: *upload, file: b.csv}
        """,
    )

    spec = load_spec("spec.yaml", registry=REGISTRY, environ={})

    norway = spec.providers["alviss.no"].config
    assert isinstance(norway, AlvissProvider)
    assert (norway.team, norway.project) == (1, 2)
    b = spec.resources["alviss.upload.b"]
    assert b.config.model_dump() == {"dataset_name": "Sales", "file": "b.csv"}
    assert b.field_locations[("file",)] == Location("spec.yaml", 6, 40)
    assert b.field_locations[("dataset_name",)] == Location("spec.yaml", 5, 43)


def test_alias_bomb_is_refused(in_tmp: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 7)]
    write("spec.yaml", "\n".join(lines) + "\n")

    errors = spec_errors("spec.yaml")

    assert errors == ["spec.yaml:1:1: the document expands to more than 100000 values through aliases"]


def test_empty_sections_are_allowed(in_tmp: Path) -> None:
    write("spec.yaml", "version: 1\nproviders:\nresources:\n")

    spec = load_spec("spec.yaml", registry=REGISTRY, environ={})

    assert (spec.providers, spec.resources, spec.state.backend) == ({}, {}, "local")


@pytest.mark.parametrize(
    ("address", "parts"),
    [
        ("alviss.upload.sales", ("alviss", "upload", "sales")),
        ("alviss.active_dataset.main-2", ("alviss", "active_dataset", "main-2")),
    ],
)
def test_parse_address(address: str, parts: tuple[str, str, str]) -> None:
    assert parse_address(address) == parts


@pytest.mark.parametrize(
    "address",
    [
        "alviss.upload",
        "alviss.upload.a.b",
        "Alviss.upload.a",
        "alviss.up-load.a",
        "alviss.upload.9a",
        "..",
        "",
    ],
)
def test_parse_address_rejects(address: str) -> None:
    with pytest.raises(ValueError, match="invalid resource address"):
        parse_address(address)


def test_load_spec_always_raises_spec_errors(in_tmp: Path) -> None:
    write("spec.yaml", "version: 2\n")

    with pytest.raises(SpecErrors) as caught:
        load_spec("spec.yaml", registry=REGISTRY, environ={})

    assert caught.value.location == "spec.yaml:1:10"


def test_exported_members() -> None:
    exported = {name for name in dir(reconciler.spec) if not name.startswith("_")}
    assert set(reconciler.spec.__all__) <= exported
    assert {"load_spec", "parse_address", "Spec", "SpecRegistry", "RefTo"} <= set(reconciler.spec.__all__)
