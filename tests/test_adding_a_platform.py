"""``docs/adding-a-platform.md`` gives the files of a platform and of a resource type: the code's.

Every path the page names in backquotes is checked: a path with ``NAME`` in it
for every registered platform (``NAME`` replaced by the platform's name), any
other as it is (``TYPE``, any resource type's module, is checked per type).
And every platform is registered by the one line the page shows, and has each
of the page's kinds of files, so following the page gives what the code has.
"""

from __future__ import annotations

import re

import pytest
import yaml

from reconciler import platforms
from reconciler.providers.registry import PLATFORMS
from tests.support import REPO

PAGE = REPO / "docs" / "adding-a-platform.md"
#: A path in backquotes below one of the repository's top-level folders (an example path too).
PATH = re.compile(r"`((?:reconciler|docs|specs|tests)/[^`*\s]*)`")


def named_paths() -> list[str]:
    # ``TYPE`` stands for any resource type's module: the platform test below checks those.
    return sorted({path for path in PATH.findall(PAGE.read_text(encoding="utf-8")) if "TYPE" not in path})


def test_the_page_names_files() -> None:
    # The recipe's table of files, the steps and the worked example: dozens of paths.
    assert len(named_paths()) > 25


@pytest.mark.parametrize("path", named_paths())
def test_every_path_the_page_names_exists(path: str) -> None:
    names = platforms.NAMES if "NAME" in path else ("",)
    for name in names:
        concrete = path.replace("NAME", name)
        assert (REPO / concrete).exists(), f"docs/adding-a-platform.md names {concrete}, which does not exist"


@pytest.mark.parametrize("name", platforms.NAMES)
def test_every_platform_is_made_of_what_the_page_lists(name: str) -> None:
    provider = REPO / "reconciler" / "providers" / name
    emulator = REPO / "reconciler" / "emulators" / name
    for part in ("__init__.py", "config.py", "client.py", "platform.py", "starter/spec.yaml"):
        assert (provider / part).is_file(), f"{name}: no providers/{name}/{part}"
    for part in ("__init__.py", "store.py", "world.py", "app.py"):
        assert (emulator / part).is_file(), f"{name}: no emulators/{name}/{part}"
    assert (REPO / "docs" / "providers" / f"{name}.md").is_file()
    assert (REPO / "tests" / "providers" / name).is_dir()
    assert (REPO / "tests" / "emulators" / name).is_dir()
    # One module per resource type: the type's name after the platform's, or the module defining it.
    for type_name, rtype in PLATFORMS[name].resource_types.items():
        module = type(rtype).__module__
        assert module.startswith(f"reconciler.providers.{name}."), (type_name, module)
    used = set()
    for spec in [*(REPO / "specs").glob("*.yaml"), *(REPO / "specs" / "modules").glob("*.yaml")]:
        resources = yaml.safe_load(spec.read_text()).get("resources") or {}
        used |= {address.rsplit(".", 1)[0] for address in resources}
    assert set(PLATFORMS[name].resource_types) <= used, f"{name}: a resource type is in no example spec"


def test_a_platform_is_registered_by_one_line() -> None:
    source = (REPO / "reconciler" / "platforms.py").read_text(encoding="utf-8")
    for name in platforms.NAMES:
        lines = [line for line in source.splitlines() if f'Registered("{name}"' in line]
        assert len(lines) == 1, name
        assert f'provider="providers.{name}:' in lines[0]
        assert f'emulator="emulators.{name}"' in lines[0]
