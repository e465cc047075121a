"""A corpus of wrong specs: each case is the YAML a person might write and the exact errors they get.

The messages are the user interface of the loader, so they are pinned word
for word, with their ``line:col``.
"""

# ruff: noqa: E501  (the expected messages are kept whole, as a person reads them)

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .fakes import spec_errors

P = "providers:\n  alviss: {team: 1, project: 1}\nresources:\n"


def case(name: str, text: str, *expected: str) -> Any:
    return pytest.param(text, list(expected), id=name)


CASES = [
    case(
        "yaml_unclosed_flow",
        "providers: {alviss: [1, 2\n",
        "spec.yaml:1:21: invalid YAML: the '[' here is never closed by a ']'\n"
        "  1 | providers: {alviss: [1, 2\n"
        "    |                     ^\n"
        "  hint: add the ']' where the list ends",
    ),
    case(
        "yaml_mapping_values",
        "version: 1\nstate: a: b\n",
        "spec.yaml:2:9: invalid YAML: a second ': ' on one line\n"
        "  2 | state: a: b\n"
        "    |         ^\n"
        "  hint: a value with ': ' in it must be quoted, e.g. key: 'a: b'; a nested mapping goes on its own lines, indented under its key",
    ),
    case(
        "yaml_two_documents",
        "version: 1\n---\nversion: 1\n",
        "spec.yaml:2:1: invalid YAML: a second YAML document starts here ('---'); a spec file holds one\n"
        "  2 | ---\n"
        "    | ^\n"
        "  hint: remove the '---' line, or put the other part in a file of its own (a spec may be a directory)",
    ),
    case(
        "yaml_tab",
        "providers:\n\talviss: {}\n",
        "spec.yaml:2:1: invalid YAML: a tab character: YAML indents with spaces only\n"
        "  2 | →alviss: {}\n"
        "    | ^\n"
        "  hint: replace the tab with spaces (set your editor to insert spaces for YAML)",
    ),
    case(
        "yaml_bad_char",
        "version: 1\nstate: \x00\n",
        "spec.yaml:2:8: invalid YAML: the file holds a control character (#x0000) YAML does not allow\n"
        "  2 | state: ·\n"
        "    |        ^\n"
        "  hint: delete it (it is invisible in most editors; often pasted along with text)",
    ),
    case(
        "empty_file",
        "",
        "spec.yaml:1:1: the spec file is empty",
    ),
    case(
        "comments_only",
        "# nothing here\n",
        "spec.yaml:1:1: the spec file is empty",
    ),
    case(
        "top_level_list",
        "- providers\n- resources\n",
        "spec.yaml:1:1: the top level of a spec file must be a mapping, got a list",
    ),
    case(
        "top_level_unknown_close",
        P + "  alviss.upload.a: {dataset_name: A, file: a.csv}\nresource: {}\n",
        "spec.yaml:5:1: unknown top-level key 'resource'\n  hint: did you mean 'resources'?",
    ),
    case(
        "top_level_unknown_far",
        "zzz: 1\n",
        "spec.yaml:1:1: unknown top-level key 'zzz'\n  hint: the top level takes: version, state, variables, locals, providers,"
        " data, resources, modules, outputs, moved, import, and x-… keys (ignored)",
    ),
    case(
        "duplicate_top_level",
        "version: 1\nversion: 1\n",
        "spec.yaml:2:1: duplicate key 'version' (first defined on line 1)\n"
        "  2 | version: 1\n"
        "    | ^\n"
        "  hint: keep one of them: a YAML mapping holds each key once",
    ),
    case(
        "duplicate_nested",
        "providers:\n  alviss:\n    team: 1\n    project: 1\n    team: 2\n",
        "spec.yaml:5:5: duplicate key 'team' (first defined on line 3)\n"
        "  5 |     team: 2\n"
        "    |     ^\n"
        "  hint: keep one of them: a YAML mapping holds each key once",
    ),
    case(
        "version_2",
        "version: 2\n",
        "spec.yaml:1:10: unsupported spec version 2 (this reconciler reads version 1)",
    ),
    case(
        "version_string",
        "version: one\n",
        "spec.yaml:1:10: 'version' must be 1, got 'one'",
    ),
    case(
        "version_bool",
        "version: true\n",
        "spec.yaml:1:10: 'version' must be 1, got true",
    ),
    case(
        "state_unknown_key",
        "state: {backend: local, pth: s.json}\n",
        "spec.yaml:1:25: state: unknown key 'pth'\n  hint: did you mean 'path'?",
    ),
    case(
        "state_backend",
        "state: {backend: s3}\n",
        "spec.yaml:1:18: state: 'backend' must be 'local' or 'postgres', got 's3'",
    ),
    case(
        "state_not_mapping",
        "state: local\n",
        "spec.yaml:1:8: 'state' must be a mapping, got 'local'",
    ),
    case(
        "providers_not_mapping",
        "providers: [alviss]\n",
        "spec.yaml:1:12: 'providers' must be a mapping of provider instances, got a list",
    ),
    case(
        "provider_bad_name",
        "providers:\n  Alviss: {team: 1, project: 1}\n",
        "spec.yaml:2:3: invalid provider name 'Alviss': expected 'platform' or 'platform.alias' (alias: lowercase letters, digits, '_' and '-')",
    ),
    case(
        "provider_bad_alias",
        "providers:\n  alviss.NO: {team: 1, project: 1}\n",
        "spec.yaml:2:3: invalid provider name 'alviss.NO': expected 'platform' or 'platform.alias' (alias: lowercase letters, digits, '_' and '-')",
    ),
    case(
        "provider_unknown_platform",
        "providers:\n  alvis.no: {team: 1, project: 1}\n",
        "spec.yaml:2:3: unknown platform 'alvis'\n  hint: did you mean 'alviss'?",
    ),
    case(
        "provider_unknown_platform_far",
        "providers:\n  zzz: {}\n",
        "spec.yaml:2:3: unknown platform 'zzz'\n  hint: known platforms: alviss, datrics",
    ),
    case(
        "provider_not_mapping",
        "providers:\n  alviss: https://x\n",
        "spec.yaml:2:11: provider 'alviss': settings must be a mapping, got 'https://x'",
    ),
    case(
        "provider_int",
        "providers:\n  alviss: {team: one, project: 1}\n",
        "spec.yaml:2:18: provider 'alviss': 'team' must be an integer, got 'one'",
    ),
    case(
        "provider_missing",
        "providers:\n  alviss.se:\n    team: 1\n",
        "spec.yaml:2:3: provider 'alviss.se': field 'project' is required",
    ),
    case(
        "provider_unknown_key",
        "providers:\n  alviss: {team: 1, project: 1, tokn: x}\n",
        "spec.yaml:2:33: provider 'alviss': unknown key 'tokn'\n  hint: did you mean 'token'?",
    ),
    case(
        "provider_secret_value_not_shown",
        "providers:\n  datrics: {endpoint: e, token: 12345}\n",
        "spec.yaml:2:33: provider 'datrics': 'token' must be a string",
    ),
    case(
        "resources_not_mapping",
        "resources: [alviss.upload.a]\n",
        "spec.yaml:1:12: 'resources' must be a mapping of resources by address, got a list",
    ),
    case(
        "address_two_parts",
        P + "  alviss.upload: {dataset_name: A, file: a.csv}\n",
        "spec.yaml:4:3: invalid resource address 'alviss.upload': expected 'platform.type.name'",
    ),
    case(
        "address_bad_name",
        P + "  alviss.upload.Sales: {dataset_name: A, file: a.csv}\n",
        "spec.yaml:4:3: invalid resource address 'alviss.upload.Sales': the name must be lowercase letters, digits, '_' and '-', starting with a letter",
    ),
    case(
        "address_bad_type",
        P + "  alviss.Upload.sales: {dataset_name: A, file: a.csv}\n",
        "spec.yaml:4:3: invalid resource address 'alviss.Upload.sales': the type must be lowercase letters, digits and '_', starting with a letter",
    ),
    case(
        "type_unknown_close",
        P + "  alviss.uplod.a: {dataset_name: A, file: a.csv}\n",
        "spec.yaml:4:3: unknown resource type 'alviss.uplod'\n  hint: did you mean 'alviss.upload'?",
    ),
    case(
        "type_unknown_far",
        P + "  zzz.thing.a: {}\n",
        "spec.yaml:4:3: unknown resource type 'zzz.thing'\n  hint: known types: alviss.active_dataset, alviss.refit, alviss.upload, datrics.pipeline",
    ),
    case(
        "resource_not_mapping",
        P + "  alviss.upload.a: [a.csv]\n",
        "spec.yaml:4:20: alviss.upload.a: settings must be a mapping, got a list",
    ),
    case(
        "resource_null",
        P + "  alviss.upload.a:\n",
        "spec.yaml:4:19: alviss.upload.a: settings must be a mapping, got null",
    ),
    case(
        "field_missing",
        P + "  alviss.upload.a: {file: a.csv}\n",
        "spec.yaml:4:3: alviss.upload.a: field 'dataset_name' is required",
    ),
    case(
        "field_unknown",
        P + "  alviss.upload.a: {dataset_name: A, fle: a.csv}\n",
        "spec.yaml:4:3: alviss.upload.a: field 'file' is required",
        "spec.yaml:4:38: alviss.upload.a: unknown key 'fle'\n  hint: did you mean 'file'?",
    ),
    case(
        "field_unknown_far",
        P + "  alviss.upload.a: {dataset_name: A, file: a.csv, colour: red}\n",
        "spec.yaml:4:51: alviss.upload.a: unknown key 'colour'",
    ),
    case(
        "field_type",
        P + "  alviss.upload.a:\n    dataset_name: [A]\n    file: a.csv\n",
        "spec.yaml:5:19: alviss.upload.a: 'dataset_name' must be a string, got a list",
    ),
    case(
        "field_union",
        P
        + "  alviss.active_dataset.d: {contains: []}\n  alviss.refit.r: {model: [3], dataset: alviss.active_dataset.d}\n",
        "spec.yaml:5:27: alviss.refit.r: 'model' must be an integer or a string, got a list",
    ),
    case(
        "field_literal",
        P
        + "  alviss.active_dataset.d: {contains: []}\n  alviss.refit.r: {model: 3, dataset: alviss.active_dataset.d, mode: slow}\n",
        "spec.yaml:5:70: alviss.refit.r: 'mode' must be 'fast' or 'full', got 'slow'",
    ),
    case(
        "field_float",
        P
        + "  alviss.active_dataset.d: {contains: []}\n  alviss.refit.r: {model: 3, dataset: alviss.active_dataset.d, train_fraction: most}\n",
        "spec.yaml:5:80: alviss.refit.r: 'train_fraction' must be a number, got 'most'",
    ),
    case(
        "nested_missing_and_unknown",
        P
        + "  alviss.active_dataset.d: {contains: []}\n  alviss.refit.r:\n    model: 3\n    dataset: alviss.active_dataset.d\n    combination:\n      contry: SWE\n",
        "spec.yaml:8:5: alviss.refit.r: field 'combination.country' is required",
        "spec.yaml:9:7: alviss.refit.r: unknown key 'combination.contry'\n  hint: did you mean 'country'?",
    ),
    case(
        "list_expected",
        P + "  alviss.active_dataset.d: {contains: alviss.upload.a}\n",
        "spec.yaml:4:39: alviss.active_dataset.d: 'contains' must be a list, got 'alviss.upload.a'",
    ),
    case(
        "provider_meta_undefined",
        P + "  alviss.upload.a: {provider: alviss.se, dataset_name: A, file: a.csv}\n",
        "spec.yaml:4:31: alviss.upload.a: provider 'alviss.se' is not defined\n  hint: did you mean 'alviss'?",
    ),
    case(
        "provider_meta_undefined_far",
        P + "  alviss.upload.a: {provider: zzz, dataset_name: A, file: a.csv}\n",
        "spec.yaml:4:31: alviss.upload.a: provider 'zzz' is not defined\n  hint: defined provider instances: alviss",
    ),
    case(
        "provider_meta_platform",
        "providers:\n  alviss: {team: 1, project: 1}\n  datrics: {endpoint: e}\nresources:\n  alviss.upload.a: {provider: datrics, dataset_name: A, file: a.csv}\n",
        "spec.yaml:5:31: alviss.upload.a: provider 'datrics' is for platform 'datrics', not 'alviss'",
    ),
    case(
        "provider_meta_not_string",
        P + "  alviss.upload.a: {provider: [alviss], dataset_name: A, file: a.csv}\n",
        "spec.yaml:4:31: alviss.upload.a: 'provider' must be the name of a provider instance, got a list",
    ),
    case(
        "default_provider_missing",
        "resources:\n  alviss.upload.a: {dataset_name: A, file: a.csv}\n",
        "spec.yaml:2:3: alviss.upload.a: no provider instance 'alviss' is defined\n  hint: add it to the spec:\n    providers:\n      alviss:\n        team: ...\n        project: ...",
    ),
    case(
        "default_provider_missing_alias",
        "providers:\n  alviss.no: {team: 1, project: 2}\nresources:\n  alviss.upload.a: {dataset_name: A, file: a.csv}\n",
        "spec.yaml:4:3: alviss.upload.a: no provider instance 'alviss' is defined\n  hint: add it to the spec:\n    providers:\n      alviss:\n        team: ...\n        project: ...\n  or choose an instance with 'provider:' (alviss.no)",
    ),
    case(
        "depends_on_not_list",
        P + "  alviss.upload.a: {dataset_name: A, file: a.csv, depends_on: alviss.upload.b}\n",
        "spec.yaml:4:63: alviss.upload.a: 'depends_on' must be a list of resource addresses, got 'alviss.upload.b'",
    ),
    case(
        "depends_on_item",
        P + "  alviss.upload.a: {dataset_name: A, file: a.csv, depends_on: [3]}\n",
        "spec.yaml:4:64: alviss.upload.a: 'depends_on[0]' must be a resource address, got 3",
    ),
    case(
        "reference_missing",
        P
        + "  alviss.upload.sales_w46: {dataset_name: A, file: a.csv}\n  alviss.active_dataset.d: {contains: [alviss.upload.sales_w47]}\n",
        "spec.yaml:5:40: alviss.active_dataset.d: 'contains[0]' refers to 'alviss.upload.sales_w47', which is not in the spec\n  hint: did you mean 'alviss.upload.sales_w46'?",
    ),
    case(
        "reference_missing_short",
        P
        + "  alviss.upload.sales_w46: {dataset_name: A, file: a.csv}\n  alviss.active_dataset.d: {contains: [sales_w46]}\n",
        "spec.yaml:5:40: alviss.active_dataset.d: 'contains[0]' refers to 'sales_w46', which is not in the spec\n  hint: did you mean 'alviss.upload.sales_w46'?",
    ),
    case(
        "reference_wrong_type",
        P
        + "  alviss.active_dataset.d: {contains: [alviss.refit.r]}\n  alviss.refit.r: {model: 3, dataset: alviss.active_dataset.d}\n",
        "spec.yaml:4:40: alviss.active_dataset.d: 'contains[0]' must refer to a resource of type alviss.upload, not 'alviss.refit.r' (type alviss.refit)",
    ),
    case(
        "depends_on_missing",
        P + "  alviss.upload.a: {dataset_name: A, file: a.csv, depends_on: [alviss.upload.b]}\n",
        "spec.yaml:4:64: alviss.upload.a: 'depends_on[0]' refers to 'alviss.upload.b', which is not in the spec",
    ),
    case(
        "cycle_two",
        P
        + "  alviss.upload.a: {dataset_name: A, file: a.csv, depends_on: [alviss.upload.b]}\n  alviss.upload.b: {dataset_name: B, file: b.csv, depends_on: [alviss.upload.a]}\n",
        "spec.yaml:5:64: alviss.upload.b: reference cycle alviss.upload.b → alviss.upload.a → alviss.upload.b",
    ),
    case(
        "cycle_self",
        P
        + "  alviss.active_dataset.d: {contains: []}\n  alviss.refit.r: {model: alviss.refit.r, dataset: alviss.active_dataset.d}\n",
        "spec.yaml:5:27: alviss.refit.r: reference cycle alviss.refit.r → alviss.refit.r",
    ),
    case(
        "cycle_three",
        P
        + "  alviss.upload.a: {dataset_name: A, file: a.csv, depends_on: [alviss.upload.b]}\n  alviss.upload.b: {dataset_name: B, file: b.csv, depends_on: [alviss.upload.c]}\n  alviss.upload.c: {dataset_name: C, file: c.csv, depends_on: [alviss.upload.a]}\n",
        "spec.yaml:6:64: alviss.upload.c: reference cycle alviss.upload.c → alviss.upload.a → alviss.upload.b → alviss.upload.c",
    ),
    case(
        "env_missing",
        P + "  alviss.upload.a: {dataset_name: A, file: '${env:DATA_DIR}/a.csv'}\n",
        "spec.yaml:4:44: environment variable 'DATA_DIR' is not set\n  hint: export DATA_DIR=...",
    ),
    case(
        "env_unsupported",
        P + "  alviss.upload.a: {dataset_name: A, file: '${DATA_DIR}/a.csv'}\n",
        "spec.yaml:4:44: unsupported interpolation '${DATA_DIR}'\n  hint: write ${var.NAME}, ${local.NAME}, ${each.key}, ${each.value}, ${each.value.FIELD} or ${env:NAME}; $${ writes a literal '${'",
    ),
    case(
        "env_unterminated",
        P + "  alviss.upload.a: {dataset_name: A, file: '${env:DATA_DIR'}\n",
        "spec.yaml:4:44: unterminated '${' in a string\n  hint: write ${var.NAME}, ${local.NAME}, ${each.key}, ${each.value}, ${each.value.FIELD} or ${env:NAME}; $${ writes a literal '${'",
    ),
    case(
        "recursive_alias",
        P + "  alviss.upload.a: &a {dataset_name: A, file: a.csv, more: [*a]}\n",
        "spec.yaml:4:20: recursive alias: a value cannot contain itself\n"
        "  4 |   alviss.upload.a: &a {dataset_name: A, file: a.csv, more: [*a]}\n"
        "    |                    ^\n"
        "  hint: an alias (*name) may repeat a value defined before it, not one that holds it",
        "spec.yaml:4:54: alviss.upload.a: unknown key 'more'",
    ),
    case(
        "unsupported_tag",
        P + "  alviss.upload.a: {dataset_name: !secret A, file: a.csv}\n",
        "spec.yaml:4:35: unsupported YAML tag '!secret'\n"
        "  4 |   alviss.upload.a: {dataset_name: !secret A, file: a.csv}\n"
        "    |                                   ^\n"
        "  hint: remove the '!…' tag (a spec needs none), or quote the value if '!' is meant literally",
    ),
    case(
        "bad_int_tag",
        "version: !!int one\n",
        "spec.yaml:1:10: cannot read 'one' as a YAML int\n"
        "  1 | version: !!int one\n"
        "    |          ^\n"
        "  hint: remove the '!…' tag (a spec needs none), or quote the value if '!' is meant literally",
    ),
    case(
        "non_scalar_key",
        "? [a, b]\n: 1\n",
        "spec.yaml:1:3: a key must be a plain name, not a list or mapping\n"
        "  1 | ? [a, b]\n"
        "    |   ^\n"
        "  hint: write the key as a name followed by ': '",
    ),
    case(
        "merge_not_mapping",
        P + "  alviss.upload.a: {<<: 3, dataset_name: A, file: a.csv}\n",
        "spec.yaml:4:25: a merge key '<<' takes a mapping or a list of mappings\n"
        "  4 |   alviss.upload.a: {<<: 3, dataset_name: A, file: a.csv}\n"
        "    |                         ^\n"
        "  hint: write <<: *name, where &name marks a mapping defined above",
    ),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_wrong_spec_reports_exact_errors(
    text: str, expected: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("spec.yaml").write_text(text, encoding="utf-8")
    assert spec_errors("spec.yaml") == expected
