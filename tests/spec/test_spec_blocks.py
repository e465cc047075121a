"""lifecycle, moved and import as written: read into located specs, every mistake at its file:line:col."""

# ruff: noqa: E501  (the expected messages are kept whole, as a person reads them)

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.spec import load_spec
from reconciler.spec.blocks import AddressForm, address_form

from .fakes import REGISTRY, spec_errors

HEAD = (
    "providers:\n  alviss: {team: 1, project: 1}\nresources:\n"
    "  alviss.upload.sales: {dataset_name: Sales, file: s.csv}\n"
    "  alviss.active_dataset.main: {contains: [alviss.upload.sales]}\n"
)


def case(name: str, text: str, *expected: str) -> Any:
    return pytest.param(text, list(expected), id=name)


CASES = [
    case(
        "lifecycle_not_a_mapping",
        HEAD + "  alviss.upload.b: {dataset_name: S, file: s.csv, lifecycle: true}\n",
        "spec.yaml:6:62: alviss.upload.b: 'lifecycle' must be a mapping (prevent_replace, ignore_changes), got true",
    ),
    case(
        "lifecycle_unknown_key",
        HEAD + "  alviss.upload.b: {dataset_name: S, file: s.csv, lifecycle: {prevent_destroy: true}}\n",
        "spec.yaml:6:63: alviss.upload.b: unknown lifecycle key 'prevent_destroy'\n  hint: did you mean 'prevent_replace'?",
    ),
    case(
        "lifecycle_prevent_replace_not_bool",
        HEAD + "  alviss.upload.b: {dataset_name: S, file: s.csv, lifecycle: {prevent_replace: 1}}\n",
        "spec.yaml:6:80: alviss.upload.b: 'lifecycle.prevent_replace' must be true or false, got 1",
    ),
    case(
        "ignore_changes_not_a_list",
        HEAD + "  alviss.upload.b: {dataset_name: S, file: s.csv, lifecycle: {ignore_changes: file}}\n",
        "spec.yaml:6:79: alviss.upload.b: 'lifecycle.ignore_changes' must be a list of field names, got 'file'",
    ),
    case(
        "ignore_changes_unknown_field",
        HEAD + "  alviss.upload.b: {dataset_name: S, file: s.csv, lifecycle: {ignore_changes: [dataset]}}\n",
        "spec.yaml:6:80: alviss.upload.b: ignore_changes names 'dataset', which is not one of its fields\n  hint: did you mean 'dataset_name'?",
    ),
    case(
        "ignore_changes_twice",
        HEAD
        + "  alviss.upload.b: {dataset_name: S, file: s.csv, lifecycle: {ignore_changes: [file, file]}}\n",
        "spec.yaml:6:86: alviss.upload.b: ignore_changes names 'file' twice",
    ),
    case(
        "moved_not_a_list",
        HEAD + "moved: {from: a, to: b}\n",
        "spec.yaml:6:8: 'moved' must be a list of {from, to}, got a mapping",
    ),
    case(
        "moved_missing_to_and_unknown_key",
        HEAD + "moved:\n  - {from: alviss.upload.old, too: alviss.upload.sales}\n",
        "spec.yaml:7:5: moved[0]: 'to' is required",
        "spec.yaml:7:31: moved[0]: unknown key 'too'\n  hint: did you mean 'to'?",
    ),
    case(
        "moved_bad_address",
        HEAD + "moved:\n  - {from: alviss.upload, to: alviss.upload.sales}\n",
        "spec.yaml:7:12: moved[0].from: invalid resource address 'alviss.upload': expected 'platform.type.name'\n"
        "  hint: write 'platform.type.name', 'platform.type.name[KEY]', 'module.NAME[KEY].platform.type.name' or 'module.NAME'",
    ),
    case(
        "moved_data_source",
        HEAD + "moved:\n  - {from: data.alviss.model.m, to: alviss.upload.sales}\n",
        "spec.yaml:7:12: moved[0].from: 'data.alviss.model.m' is a data source, which has no record\n"
        "  hint: write 'platform.type.name', 'platform.type.name[KEY]', 'module.NAME[KEY].platform.type.name' or 'module.NAME'",
    ),
    case(
        "moved_changes_type",
        HEAD + "moved:\n  - {from: alviss.refit.old, to: alviss.upload.sales}\n",
        "spec.yaml:7:34: moved[0]: 'alviss.refit.old' (type alviss.refit) and 'alviss.upload.sales' (type alviss.upload) differ\n"
        "  hint: a record keeps its type: move it to the same type",
    ),
    case(
        "moved_module_to_resource",
        HEAD + "moved:\n  - {from: module.m, to: alviss.upload.sales}\n",
        "spec.yaml:7:26: moved[0]: 'module.m' is a module but 'alviss.upload.sales' is a resource",
    ),
    case(
        "moved_to_itself",
        HEAD + "moved:\n  - {from: alviss.upload.sales, to: alviss.upload.sales}\n",
        "spec.yaml:7:37: moved[0]: 'from' and 'to' are the same address 'alviss.upload.sales'",
    ),
    case(
        "moved_from_still_in_spec_to_missing",
        HEAD + "moved:\n  - {from: alviss.upload.sales, to: alviss.upload.saels}\n",
        "spec.yaml:7:12: moved from 'alviss.upload.sales', which is still a resource of the spec\n"
        "  hint: rename the resource to 'alviss.upload.saels' in the spec, or remove this block",
        "spec.yaml:7:37: moved to 'alviss.upload.saels', which is not in the spec\n  hint: did you mean 'alviss.upload.sales'?",
    ),
    case(
        "moved_from_twice",
        HEAD
        + "moved:\n  - {from: alviss.upload.a, to: alviss.upload.sales}\n  - {from: alviss.upload.a, to: alviss.upload.sales}\n",
        "spec.yaml:8:12: moved from 'alviss.upload.a' is already written at spec.yaml:7:12",
    ),
    case(
        "import_not_a_resource",
        HEAD + "import:\n  - {to: alviss.upload.sale, id: 3}\n",
        "spec.yaml:7:10: import to 'alviss.upload.sale', which is not a resource of the spec\n  hint: did you mean 'alviss.upload.sales'?",
    ),
    case(
        "import_bad_id",
        HEAD + "import:\n  - {to: alviss.upload.sales, id: [3]}\n",
        "spec.yaml:7:35: import[0].id must be the platform's id of the object (a string or a number), got a list",
    ),
    case(
        "import_a_module",
        HEAD + "import:\n  - {to: module.m, id: 3}\n",
        "spec.yaml:7:10: import[0].to must name one resource, not a module\n"
        "  hint: write the address of the resource inside it: module.NAME[KEY].platform.type.name",
    ),
    case(
        "import_twice",
        HEAD + "import:\n  - {to: alviss.upload.sales, id: 3}\n  - {to: alviss.upload.sales, id: 4}\n",
        "spec.yaml:8:10: import to 'alviss.upload.sales' is already written at spec.yaml:7:10",
    ),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_block_mistakes_are_located(
    text: str, expected: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("spec.yaml").write_text(text, encoding="utf-8")
    assert spec_errors("spec.yaml") == expected


def test_blocks_are_read_with_their_places(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        HEAD.replace(
            "file: s.csv}", "file: s.csv, lifecycle: {prevent_replace: true, ignore_changes: [file]}}", 1
        )
        + "moved:\n  - from: alviss.upload.old\n    to: alviss.upload.sales\n"
        + "import:\n  - {to: alviss.active_dataset.main, id: '12'}\n"
    )
    loaded = load_spec(spec, registry=REGISTRY, environ={}, data_files=False)
    lifecycle = loaded.resources["alviss.upload.sales"].lifecycle
    assert (lifecycle.prevent_replace, lifecycle.ignore_changes) == (True, ("file",))
    assert lifecycle.location is not None and (lifecycle.location.line, lifecycle.location.column) == (4, 88)
    [moved] = loaded.moved
    assert (moved.source, moved.to, moved.source_location.line, moved.to_location.line) == (
        "alviss.upload.old",
        "alviss.upload.sales",
        7,
        8,
    )
    [imported] = loaded.imports
    assert (imported.to, imported.id, imported.id_location.column) == ("alviss.active_dataset.main", "12", 42)
    assert loaded.resources["alviss.active_dataset.main"].lifecycle.ignore_changes == ()


def test_a_chain_of_moves_may_pass_through_an_address_not_in_the_spec(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        HEAD
        + "moved:\n  - {from: alviss.upload.a, to: alviss.upload.b}\n  - {from: alviss.upload.b, to: alviss.upload.sales}\n"
    )
    assert len(load_spec(spec, registry=REGISTRY, environ={}, data_files=False).moved) == 2


@pytest.mark.parametrize(
    ("text", "form"),
    [
        ("alviss.refit.se", AddressForm(module=False, type="alviss.refit")),
        ("alviss.refit.weekly[se]", AddressForm(module=False, type="alviss.refit", keyed=True)),
        ("module.market[se].alviss.refit.weekly", AddressForm(module=False, type="alviss.refit")),
        ("module.market", AddressForm(module=True)),
        ("module.market[se].module.inner", AddressForm(module=True)),
        ("data.alviss.model.latest", None),
        ("module.market.", None),
        ("alviss.refit", None),
    ],
)
def test_address_forms(text: str, form: AddressForm | None) -> None:
    assert address_form(text) == form


FOR_EACH = (
    "providers:\n  alviss: {team: 1, project: 1}\nresources:\n"
    "  alviss.upload.sales:\n    for_each: [se, 'no']\n    dataset_name: Sales\n    file: ${each.key}.csv\n"
    "    lifecycle: {prevent_replace: true}\n"
)


def test_blocks_name_instances(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("spec.yaml").write_text(
        FOR_EACH
        + "moved:\n  - {from: alviss.upload.old, to: 'alviss.upload.sales[se]'}\n"
        + "  - {from: alviss.upload.older, to: alviss.upload.sales}\n"
        + "import:\n  - {to: 'alviss.upload.sales[no]', id: 7}\n"
    )
    loaded = load_spec("spec.yaml", registry=REGISTRY, environ={}, data_files=False)
    assert [block.to for block in loaded.moved] == ["alviss.upload.sales[se]", "alviss.upload.sales"]
    assert loaded.resources["alviss.upload.sales[no]"].lifecycle.prevent_replace
    Path("spec.yaml").write_text(
        FOR_EACH
        + "moved:\n  - {from: alviss.upload.old, to: 'alviss.upload.sales[dk]'}\n"
        + "import:\n  - {to: alviss.upload.sales, id: 7}\n"
    )
    assert spec_errors("spec.yaml") == [
        "spec.yaml:10:35: moved to 'alviss.upload.sales[dk]', which is not in the spec\n"
        "  hint: did you mean 'alviss.upload.sales[se]'?",
        "spec.yaml:12:10: import to 'alviss.upload.sales', which is not a resource of the spec\n"
        "  hint: did you mean 'alviss.upload.sales[no]'?",
    ]
