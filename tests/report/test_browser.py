"""The status page in a real headless Chromium: what a person sees, on a desktop and on a phone.

The workspace has a running job, a failed one and a rejected one (made by
applying against the emulators, ``report_support.mixed``); the weekly spec's
page is checked after a real apply.  Every page must load with no console
error (a script error, or anything the page tried to fetch being refused),
and screenshots are left under ``test-output/screenshots/`` for a person.
"""

from __future__ import annotations

import asyncio
import http.server
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from reconciler.report import WorkspaceView, collect, render_page, write_page
from reconciler.state.runs import RunRecord, record_run
from tests.report.conftest import console_errors, full_screenshot, start_browser
from tests.report.report_support import mixed
from tests.system.support import run

PHONE = 390


@pytest.fixture(scope="module")
def mixed_view(tmp_path_factory: pytest.TempPathFactory) -> WorkspaceView:
    root = tmp_path_factory.mktemp("mixed")

    async def made() -> WorkspaceView:
        workspace = await mixed(root)
        started = datetime.now(UTC) - timedelta(minutes=10)
        record_run(
            workspace.backend(),
            RunRecord(
                workspace="mixed",
                kind="apply",
                started_at=started,
                finished_at=started + timedelta(seconds=95),
                outcome="failed",
                drift="spec",
                plan_summary={"create": 5},
                apply_summary={"done": 3, "failed": 1, "rejected": 1},
                failures={"sony_epa.retrain.churn": "retrain failed: injected failure (seed 3)"},
                agent="agent-1:4242",
            ),
        )
        return await collect(workspace)

    return asyncio.run(made())


@pytest.fixture(scope="module")
def mixed_page(mixed_view: WorkspaceView, tmp_path_factory: pytest.TempPathFactory) -> Path:
    page = tmp_path_factory.mktemp("page") / "status.html"
    write_page(page, render_page([mixed_view], refresh_seconds=30))
    return page


def row(browser: Any, kind: str, address: str) -> Any:
    return browser.find_element(By.CSS_SELECTOR, f'tr.{kind}[data-address="{address}"]')


def test_a_workspace_with_running_failed_and_rejected_resources_shows_each(
    browser: Any, mixed_page: Path
) -> None:
    browser.get(mixed_page.as_uri())
    assert browser.title == "reconciler status: 1 failed, 1 rejected, 1 running"
    section = browser.find_element(By.CSS_SELECTOR, 'section.workspace[data-workspace="mixed"]')
    assert section.find_element(By.TAG_NAME, "h2").text.startswith("mixed")

    statuses = {
        "alviss.upload.sales_w47": "running",
        "alviss.active_dataset.main": "waiting",
        "akkio.dataset.leads": "ready",
        "akkio.model.positive_lead": "rejected",
        "sony_epa.retrain.churn": "failed",
    }
    for address, status in statuses.items():
        shown = row(browser, "resource", address)
        assert shown.find_element(By.CSS_SELECTOR, ".badge").text == status, address
        assert shown.is_displayed()

    # The running job: its platform, step, platform job id and age.
    job = row(browser, "job", "alviss.upload.sales_w47")
    cells = [cell.text for cell in job.find_elements(By.TAG_NAME, "td")]
    assert cells[1:4] == ["alviss", "upload", "3"], cells
    assert job.find_element(By.CSS_SELECTOR, ".age").text.endswith("s")

    # Failed and rejected, each with the platform's message.
    problems = {
        item.get_attribute("data-address"): item.find_element(By.CSS_SELECTOR, ".message").text
        for item in browser.find_elements(By.CSS_SELECTOR, "li.problem")
    }
    assert problems["akkio.model.positive_lead"] == 'f1 (class "1") is 0.6667, below 0.8 (at_least) by 0.1333'
    assert "failed: injected failure (seed 3)" in problems["sony_epa.retrain.churn"]

    # The last plan, each change with its reason code and reasons.
    change = browser.find_element(By.CSS_SELECTOR, 'details.change[data-address="sony_epa.retrain.churn"]')
    assert "-/+" in change.find_element(By.TAG_NAME, "summary").text
    assert "reason: tainted" in change.text
    assert "the last attempt failed" in change.text
    waiting = browser.find_element(
        By.CSS_SELECTOR, 'details.change[data-address="alviss.active_dataset.main"]'
    )
    assert "why: alviss.upload.sales_w47 → alviss.active_dataset.main" in waiting.text

    # The dependency graph, drawn as SVG in the page, each node in its status.
    nodes = browser.find_elements(By.CSS_SELECTOR, "svg.graph g.node")
    drawn = {node.get_attribute("data-address"): node.get_attribute("class") for node in nodes}
    assert drawn["sony_epa.retrain.churn"] == "node status-failed"
    assert drawn["akkio.model.positive_lead"] == "node status-rejected"
    assert drawn["alviss.upload.sales_w47"] == "node status-running"
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.graph path.edge")) == 2

    # The recent runs, from the workspace's history.
    (run,) = browser.find_elements(By.CSS_SELECTOR, "tr.run")
    cells = {cell.get_attribute("data-label"): cell.text for cell in run.find_elements(By.TAG_NAME, "td")}
    assert cells["run"] == "apply" and cells["took"] == "1m 35s" and cells["by"] == "agent-1:4242"
    assert cells["apply"] == "3 done, 1 failed, 1 rejected"
    assert cells["outcome"].startswith("failed")
    assert "sony_epa.retrain.churn: retrain failed: injected failure (seed 3)" in cells["outcome"]

    # Opened as a file, it says how to see newer data instead of fetching anything.
    assert "opened as a file" in browser.find_element(By.ID, "refresh-note").text
    assert console_errors(browser) == []
    assert full_screenshot(browser, "mixed-desktop").stat().st_size > 10_000


def test_on_a_phone_nothing_is_wider_than_the_screen_and_the_tables_stack(
    browser: Any, mixed_page: Path
) -> None:
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": PHONE, "height": 844, "deviceScaleFactor": 2, "mobile": True},
    )
    try:
        browser.get(mixed_page.as_uri())
        width = browser.execute_script("return document.documentElement.scrollWidth")
        assert width <= PHONE, f"the page is {width}px wide on a {PHONE}px screen"
        header = browser.find_element(By.CSS_SELECTOR, "table.resources thead")
        assert not header.is_displayed()  # each row is a card, its cells labelled
        failed = row(browser, "resource", "sony_epa.retrain.churn")
        assert failed.find_element(By.CSS_SELECTOR, "td").value_of_css_property("display") == "block"
        assert failed.find_element(By.CSS_SELECTOR, ".badge").text == "failed"
        box = browser.find_element(By.CSS_SELECTOR, ".graph-box")
        assert box.size["width"] <= PHONE  # the graph scrolls inside its own box
        assert console_errors(browser) == []
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    assert full_screenshot(browser, "mixed-phone", width=PHONE, mobile=True).stat().st_size > 10_000


def test_without_javascript_everything_is_there_to_read(mixed_page: Path) -> None:
    driver = start_browser(javascript=False)
    try:
        driver.get(mixed_page.as_uri())
        assert row(driver, "resource", "sony_epa.retrain.churn").find_element(
            By.CSS_SELECTOR, ".badge"
        ).text == ("failed")
        assert row(driver, "job", "alviss.upload.sales_w47").is_displayed()
        assert driver.find_elements(By.CSS_SELECTOR, "svg.graph g.node")
        assert driver.find_element(By.ID, "refresh-note").text == ""  # the script did not run
        assert console_errors(driver) == []
        full_screenshot(driver, "mixed-no-javascript")
    finally:
        driver.quit()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A directory served over HTTP on a loopback port: its URL and the directory."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", tmp_path
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_served_with_javascript_on_it_refreshes_itself(
    browser: Any, mixed_view: WorkspaceView, served: tuple[str, Path]
) -> None:
    url, directory = served
    page = directory / "index.html"
    write_page(page, render_page([mixed_view], refresh_seconds=1))
    try:
        refreshes(browser, f"{url}/index.html", page, mixed_view)
    finally:  # stop the page's refreshing before the server goes (its refused fetches would be logged)
        browser.get("about:blank")
        browser.get_log("browser")


def refreshes(browser: Any, url: str, page: Path, mixed_view: WorkspaceView) -> None:
    browser.get(url)
    browser.execute_script("document.querySelector('details.change').open = false")
    assert row(browser, "resource", "sony_epa.retrain.churn").find_element(
        By.CSS_SELECTOR, ".badge"
    ).text == ("failed")
    renamed = replace(mixed_view, name="mixed-after", error="the platform is down for maintenance")
    write_page(page, render_page([renamed], refresh_seconds=1))

    WebDriverWait(browser, 20).until(
        lambda driver: driver.find_elements(
            By.CSS_SELECTOR, 'section.workspace[data-workspace="mixed-after"]'
        )
    )
    assert "the platform is down for maintenance" in browser.find_element(By.CSS_SELECTOR, ".error").text
    assert browser.title == "reconciler status: 1 error, 1 failed, 1 rejected, 1 running"  # the tab follows
    assert (
        browser.find_element(By.CSS_SELECTOR, "details.change").get_attribute("open") is None
    )  # kept closed
    WebDriverWait(browser, 10).until(
        lambda driver: "refreshed at" in driver.find_element(By.ID, "refresh-note").text
    )
    assert console_errors(browser) == []


def test_the_weekly_report_opens_with_no_console_error_and_shows_the_markets(
    browser: Any, project: Path
) -> None:
    spec = "specs/weekly-refresh.yaml"
    code, output = run("apply", spec, "--auto-approve")
    assert code == 0, output
    code, output = run("report", "--html", "weekly.html", spec)
    assert code == 0, output
    assert "weekly-refresh: in sync; 12 ready" in output

    browser.get((project / "weekly.html").as_uri())
    assert console_errors(browser) == []
    markets = browser.find_element(By.CSS_SELECTOR, "table.groups")
    shown = {
        group.get_attribute("data-group"): group.find_element(By.CSS_SELECTOR, ".badge").text
        for group in markets.find_elements(By.CSS_SELECTOR, "tr.group")
    }
    assert shown == {"module.market[se]": "ready", "module.market[no]": "ready"}
    badge = markets.find_element(By.CSS_SELECTOR, ".badge.status-ready")
    assert badge.value_of_css_property("background-color") == "rgba(31, 122, 58, 1)"  # the green of ready
    assert "6 ready" in markets.text
    picture = full_screenshot(browser, "weekly-refresh").parent / "weekly-refresh-markets.png"
    assert markets.screenshot(str(picture)) and picture.stat().st_size > 2_000
    nodes = browser.find_elements(By.CSS_SELECTOR, "svg.graph g.node.status-ready")
    assert len(nodes) == 12
    assert "In sync" in browser.find_element(By.CSS_SELECTOR, ".drift").text.capitalize()
