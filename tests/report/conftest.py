"""Fixtures of the status page's tests: a copy of the specs, and a real headless Chromium.

The browser is Debian's ``chromium`` driven through its ``chromium-driver``
(``.ci/run`` installs both where missing).  A machine without them fails
these tests with the command that installs them: they never skip.
Screenshots go to ``$RECONCILER_TEST_OUTPUT/screenshots`` (default
``test-output/screenshots`` in the checkout, which git ignores).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import REPO

INSTANT = "upload=0,dataset=0,refit=0,build=0,attribution=0,attribution_set=0"
MISSING = (
    "the status page is tested in a real browser: Debian's chromium and chromium-driver are needed "
    "(apt-get install -y chromium chromium-driver; .ci/run installs them where missing)"
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of specs/ as the working directory, its emulators' worlds inside it, every job instant."""
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RECONCILER_EMULATOR_DIR", str(tmp_path / "emulators"))
    monkeypatch.setenv("RECONCILER_EMULATOR_DURATIONS", INSTANT)
    return tmp_path


def screenshots() -> Path:
    """Where the browser tests leave their screenshots (kept after the run, for a person to look at)."""
    base = os.environ.get("RECONCILER_TEST_OUTPUT") or str(REPO / "test-output")
    directory = Path(base) / "screenshots"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _binary(*names: str) -> str:
    for name in names:
        found = shutil.which(name) or next(
            (
                str(path)
                for path in (Path("/usr/bin") / name, Path("/usr/lib/chromium") / name)
                if path.exists()
            ),
            None,
        )
        if found:
            return found
    pytest.fail(f"{' or '.join(names)} not found: {MISSING}", pytrace=False)


def start_browser(*, javascript: bool = True) -> Any:
    """A headless Chromium session that keeps the page's console log (``driver.get_log("browser")``)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser = _binary("chromium", "chromium-browser")
    driver_binary = _binary("chromedriver", "chromium-driver")
    os.environ.setdefault("SE_OFFLINE", "true")  # the driver is given: never look for one elsewhere
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    if not javascript:
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    return webdriver.Chrome(options=options, service=Service(executable_path=driver_binary))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    driver = start_browser()
    try:
        yield driver
    finally:
        driver.quit()


def console_errors(driver: Any) -> list[str]:
    """The page's console messages of level SEVERE (errors, refused loads, script exceptions)."""
    return [entry["message"] for entry in driver.get_log("browser") if entry.get("level") == "SEVERE"]


def full_screenshot(driver: Any, name: str, *, width: int | None = None, mobile: bool = False) -> Path:
    """A screenshot of the whole page (not only the window) at ``width``, saved under :func:`screenshots`."""
    width = width or int(driver.execute_script("return window.innerWidth"))
    metrics = {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": mobile}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    height = int(driver.execute_script("return document.documentElement.scrollHeight"))
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {**metrics, "height": min(height, 16000)})
    path = screenshots() / f"{name}.png"
    assert driver.save_screenshot(str(path)), f"no screenshot saved at {path}"
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    return path
