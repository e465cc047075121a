"""The one registry of platforms (``reconciler.platforms``): what reads it, and that it stays cheap."""

from __future__ import annotations

import subprocess
import sys

import pytest

from reconciler import emulators, platforms
from reconciler.errors import ReconcilerError
from reconciler.providers.registry import PLATFORMS
from tests.support import REPO


def test_each_platform_is_one_line_whose_halves_agree() -> None:
    assert platforms.NAMES == ("alviss", "akkio", "sony_epa", "datrics")
    assert tuple(PLATFORMS) == platforms.NAMES == emulators.EMULATORS
    for registered in platforms.PLATFORMS:
        provider = PLATFORMS[registered.name]
        assert provider.name == registered.name
        assert provider.config_class.emulator == registered.name
        plugin = registered.load_emulator()
        assert plugin.name == registered.name


def test_every_platform_has_its_docs_page_and_no_page_is_left_over() -> None:
    pages = {page.stem for page in (REPO / "docs" / "providers").glob("*.md")}
    assert pages == set(platforms.NAMES)


def test_an_unknown_name_says_which_are_known() -> None:
    with pytest.raises(ReconcilerError, match="unknown emulator 'datrix'") as caught:
        platforms.find("datrix", what="emulator")
    assert caught.value.hint == "known emulators: alviss, akkio, sony_epa, datrics"


def test_importing_the_registry_imports_no_platform_and_no_fastapi() -> None:
    code = (
        "import sys, reconciler.platforms, reconciler.emulators; "
        "print(sorted(m for m in sys.modules if m.startswith(('reconciler.providers', 'fastapi', "
        "'reconciler.emulators.'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=30)
    assert out.stdout.strip() == "[]"
