"""The dashboard in a real browser: every page renders, shows its heading and a chart, and no exception.

A screenshot of each page goes to test-output/screenshots/. The Ingest page gets a real upload
through the browser's file input, and the new workflow is then opened on the drill-down page. A
deep link as the very first visit to a server of its own opens that page in app.py's navigation.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.hostile import HOSTILE_ADW_ID, HOSTILE_TOOL
from tooltrack.models import TaskLogCreate, ToolCallRecord

pytestmark = pytest.mark.browser

READY = "[data-testid='stApp'][data-test-script-state='notRunning']"
CHART = "[data-testid='stPlotlyChart'] .js-plotly-plot"
EXCEPTION = "[data-testid='stException']"
TIMEOUT_MS = 60_000

#: url path (with query) -> heading; every one of these pages draws at least one chart. The
#: default page (Overview) lives at the root.
CHART_PAGES = {
    "": "Overview",
    "tools": "Tools and latency",
    "failures": "Failures",
    "redundancy": "Redundancy",
    "sequences": "Sequences",
    "workflow?adw_id=demo1100000": "Workflow drill-down",
}


def open_and_wait(page: Any, url: str) -> None:
    """Load `url` and wait until the script has run to its end and the heading is on screen."""
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector("[data-testid='stApp']", timeout=TIMEOUT_MS)
    page.wait_for_selector(READY, timeout=TIMEOUT_MS)
    page.wait_for_selector("h1", timeout=TIMEOUT_MS)


def wait_rerun(page: Any) -> None:
    """After an interaction: let the rerun start, then wait for it to finish."""
    page.wait_for_timeout(300)
    page.wait_for_selector(READY, timeout=TIMEOUT_MS)


def sidebar_text(page: Any) -> str:
    """The sidebar's text including what its select boxes show (their values live in inputs)."""
    return str(
        page.evaluate(
            """() => {
                const bar = document.querySelector("[data-testid='stSidebar']");
                const inputs = [...bar.querySelectorAll("input")].map((input) => input.value);
                return bar.innerText + "\\n" + inputs.join("\\n");
            }"""
        )
    )


def heading(page: Any) -> str:
    return str(page.locator("h1").first.inner_text()).strip()


@pytest.mark.parametrize("path", list(CHART_PAGES))
def test_page_renders_with_heading_and_chart(dashboard_url: str, page: Any, screenshots: Path, path: str) -> None:
    open_and_wait(page, f"{dashboard_url}/{path}")
    assert heading(page) == CHART_PAGES[path]
    page.wait_for_selector(CHART, timeout=TIMEOUT_MS)
    assert page.locator(CHART).count() >= 1
    assert page.locator(EXCEPTION).count() == 0
    name = path.split("?")[0] or "overview"
    page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)


def test_shared_filters_travel_in_the_url(dashboard_url: str, page: Any) -> None:
    open_and_wait(page, f"{dashboard_url}/tools?days=7&tool=Bash")
    # The sidebar's widgets can arrive a moment after the script-state flag settles: poll, bounded.
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    shown = sidebar_text(page)
    while not ("Last 7 days" in shown and "Bash" in shown) and time.monotonic() < deadline:
        page.wait_for_timeout(200)
        shown = sidebar_text(page)
    assert "Last 7 days" in shown and "Bash" in shown, shown
    # The sidebar link to another page keeps the filters (the session remembers them).
    page.locator("[data-testid='stSidebarNav'] a", has_text="Failures").click()
    page.wait_for_url("**/failures**", timeout=TIMEOUT_MS)
    wait_rerun(page)
    page.wait_for_function("() => location.search.includes('tool=Bash')", timeout=TIMEOUT_MS)
    assert "days=7" in page.url
    assert page.locator(EXCEPTION).count() == 0


def selectbox_text(page: Any, label: str) -> str:
    """What the sidebar's select box labelled `label` shows (its text and its inputs' values)."""
    return str(
        page.evaluate(
            """(label) => {
                const boxes = [...document.querySelectorAll("[data-testid='stSidebar'] [data-testid='stSelectbox']")];
                const box = boxes.find((b) => b.querySelector("label")?.innerText.trim() === label);
                if (!box) return "";
                return box.innerText + "\\n" + [...box.querySelectorAll("input")].map((i) => i.value).join("\\n");
            }""",
            label,
        )
    )


def test_a_deep_link_as_the_first_visit_opens_that_page_in_the_navigation(
    fresh_dashboard_url: str, page: Any, screenshots: Path
) -> None:
    # Why the pages are not in a top-level pages/ folder (app.py, README): Streamlit then serves
    # an old-style multipage app without app.py when the first visit after start is a deep link.
    # The server is this test's own, so this really is its first visit.
    open_and_wait(page, f"{fresh_dashboard_url}/failures?tool=Bash")
    assert heading(page) == "Failures"
    # app.py's st.navigation ran: its sections and page titles, not page names made from file names.
    sections = page.locator("[data-testid='stNavSectionHeader']").all_inner_texts()
    assert [text.strip() for text in sections] == ["Runs", "Tool usage", "Data"]
    links = [text.strip() for text in page.locator("[data-testid='stSidebarNavLink']").all_inner_texts()]
    assert any(text.endswith("Tools and latency") for text in links), links
    assert any(text.endswith("Workflow drill-down") for text in links), links
    # The link's filter reached the page's sidebar (polled: its widgets can come a moment late).
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    shown = selectbox_text(page, "Tool")
    while "Bash" not in shown and time.monotonic() < deadline:
        page.wait_for_timeout(200)
        shown = selectbox_text(page, "Tool")
    assert "Bash" in shown, shown
    assert "tool=Bash" in page.url
    assert page.locator(EXCEPTION).count() == 0
    page.screenshot(path=str(screenshots / "deep-link-first-visit.png"), full_page=True)


def test_hostile_names_show_as_text_and_never_run(dashboard_url: str, page: Any, screenshots: Path) -> None:
    # days=2, not 1: the hostile log started 3 hours ago, which is yesterday (UTC) just after midnight.
    for path in ("?days=2", f"workflow?adw_id={HOSTILE_ADW_ID}", "failures?days=2"):
        open_and_wait(page, f"{dashboard_url}/{path}")
        page.wait_for_selector(CHART, timeout=TIMEOUT_MS)
        assert page.evaluate("() => window.__tooltrack_xss") is None, path
        assert page.locator(EXCEPTION).count() == 0
    # On the drill-down the tool name is drawn as the characters it is made of.
    assert page.locator(".js-plotly-plot text", has_text="<script>").count() >= 1
    page.screenshot(path=str(screenshots / "workflow-hostile-names.png"), full_page=True)
    assert HOSTILE_TOOL.startswith("<img")


def _upload_file(tmp_path: Path) -> tuple[Path, int]:
    calls = [ToolCallRecord(tool_name="Grep", duration_ms=30 + i, success=True, pattern=f"p{i}") for i in range(5)]
    log = TaskLogCreate(
        adw_id="upload77", workflow_template="adw_upload", phase_name="Plan", phase_status="completed", tool_calls=calls
    )
    path = tmp_path / "upload77.jsonl"
    path.write_text(log.model_dump_json(exclude_none=True) + "\n" + "this is not json\n")
    return path, len(calls)


def test_ingest_page_uploads_a_file(dashboard_url: str, page: Any, screenshots: Path, tmp_path: Path) -> None:
    open_and_wait(page, f"{dashboard_url}/ingest")
    assert heading(page) == "Ingest"
    path, calls = _upload_file(tmp_path)
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(path))
    page.wait_for_selector("[data-testid='stFileChip']", timeout=TIMEOUT_MS)
    page.get_by_role("button", name="Ingest").click()
    # Stored, with a line rejected: a warning (yellow), not a success (issue 18, item 9).
    page.wait_for_selector("[data-testid='stAlertContentWarning']", timeout=TIMEOUT_MS)
    wait_rerun(page)
    message = page.locator("[data-testid='stAlertContentWarning']").first.inner_text()
    assert f"Stored 1 task log with {calls} tool calls" in message
    assert "1 file with rejected lines" in message
    assert page.locator(EXCEPTION).count() == 0
    page.screenshot(path=str(screenshots / "ingest.png"), full_page=True)

    # The new run is there at once on the drill-down page, in the same server process.
    open_and_wait(page, f"{dashboard_url}/workflow?adw_id=upload77")
    page.wait_for_selector("[data-testid='stMetric']", timeout=TIMEOUT_MS)
    assert "No workflow run has adw_id" not in page.locator("[data-testid='stMain']").inner_text()
    metrics = page.locator("[data-testid='stMetric']").all_inner_texts()
    assert any("Tool calls" in text and str(calls) in text for text in metrics), metrics


def test_failures_click_through_to_the_workflow(dashboard_url: str, page: Any) -> None:
    open_and_wait(page, f"{dashboard_url}/failures")
    link = page.locator("[data-testid='stPageLink'] a").first
    label = str(link.inner_text())  # the icon's ligature ("search") comes first
    assert "Open workflow " in label
    adw_id = label.split("Open workflow ", 1)[1].strip()
    link.click()
    page.wait_for_url("**/workflow?adw_id=*", timeout=TIMEOUT_MS)
    wait_rerun(page)
    page.wait_for_selector(CHART, timeout=TIMEOUT_MS)
    assert heading(page) == "Workflow drill-down"
    assert page.url.endswith(f"adw_id={adw_id}")
    assert adw_id in page.locator("h3").first.inner_text()
    assert page.locator(EXCEPTION).count() == 0
