"""The Runs page, the way from a run to its drill-down, and the Cost page, in a real browser at 1440 x 900.

Issues 15, 16 and 18 (items 8 and 11): every column of the runs table is on screen; a run's id
opens its drill-down (in a tab of its own, as a link column does), which keeps the run when the
user goes to another page and comes back; failed calls are marked on the timeline; the Cost page's
headline figure is the service's. Screenshots go to test-output/screenshots/runs-*.png and cost-*.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.browser import CHART, EXCEPTION, READY, TIMEOUT_MS, heading, open_and_wait
from tooltrack.analytics import AnalyticsService
from tooltrack.dashboard.filter_state import FilterState
from tooltrack.dashboard.run_tables import RUN_COLUMNS
from tooltrack.store import make_engine

pytestmark = pytest.mark.browser

TABLE = "[data-testid='stDataFrame'] table"
#: The cells the grid has drawn (it draws only what is on screen: a column off-screen is missing).
GRID_JS = """(index) => {
    const table = document.querySelectorAll("[data-testid='stDataFrame'] table")[index];
    return {
        headers: [...table.querySelectorAll("th")].map((th) => th.innerText),
        rows: [...table.querySelectorAll("tbody tr")]
            .map((tr) => [...tr.querySelectorAll("td")].map((td) => td.innerText)),
    };
}"""


@pytest.fixture
def wide(chromium: Any) -> Iterator[Any]:
    """A browser context at 1440 x 900 (links that open a tab open it in this context)."""
    context = chromium.new_context(viewport={"width": 1440, "height": 900})
    try:
        yield context
    finally:
        context.close()


def _grid(page: Any, index: int = 0) -> dict[str, list[Any]]:
    page.wait_for_selector(TABLE, state="attached", timeout=TIMEOUT_MS)
    page.wait_for_function(
        "(index) => document.querySelectorAll(\"[data-testid='stDataFrame'] table\")[index]?.querySelector('tbody td')",
        arg=index,
        timeout=TIMEOUT_MS,
    )
    return dict(page.evaluate(GRID_JS, index))


def _snapshot(page: Any, path: Path) -> None:
    """The whole page: the window is made as tall as Streamlit's scrolling main block, charts drawn."""
    height = int(page.evaluate("() => document.querySelector(\"[data-testid='stMain']\").scrollHeight"))
    page.set_viewport_size({"width": 1440, "height": max(900, height + 40)})
    page.wait_for_function(
        """() => [...document.querySelectorAll("[data-testid='stPlotlyChart']")]
            .every((chart) => chart.querySelector(".js-plotly-plot .main-svg"))""",
        timeout=TIMEOUT_MS,
    )
    page.wait_for_timeout(800)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": 1440, "height": 900})


def _all_time(url: str) -> Any:
    state, _ = FilterState.from_query({"days": "all"})
    return AnalyticsService(make_engine(url)), state.to_filters()


def test_runs_open_their_drill_down_which_keeps_its_run(
    dashboard_url: str, dashboard_database: str, wide: Any, screenshots: Path
) -> None:
    service, filters = _all_time(dashboard_database)
    newest = service.runs(filters, limit=50).runs
    page = wide.new_page()
    open_and_wait(page, f"{dashboard_url}/runs?days=all")
    assert heading(page) == "Runs"
    grid = _grid(page)
    assert grid["headers"] == RUN_COLUMNS, "every column is on screen at 1440 px"
    # The grid draws the rows on screen: they are the service's newest runs, in its order.
    ids = [row[0].split("adw_id=", 1)[1] for row in grid["rows"]]
    assert ids == [run.adw_id for run in newest[: len(ids)]] and len(ids) >= 10
    assert [row[3] for row in grid["rows"]] == [run.outcome for run in newest[: len(ids)]]
    _snapshot(page, screenshots / "runs-newest.png")

    # The failed runs only.
    open_and_wait(page, f"{dashboard_url}/runs?days=all&outcome=failed")
    failed = service.runs(filters, outcome="failed", limit=50)
    grid = _grid(page)
    assert {row[3] for row in grid["rows"]} == {"failed"}
    assert f"{failed.total:,} runs match" in page.locator("[data-testid='stMain']").inner_text()
    _snapshot(page, screenshots / "runs-failed.png")
    target = failed.runs[0]

    # A click on the run's id opens its drill-down.
    box = page.locator("[data-testid='stDataFrame']").first.bounding_box()
    cell = (box["x"] + 45, box["y"] + 35 + 17)  # the first row's Run cell, on its text
    page.mouse.click(*cell)  # the first click selects the cell (the grid takes the focus)
    page.wait_for_timeout(500)
    with wide.expect_page(timeout=TIMEOUT_MS) as opened:
        page.mouse.click(*cell)  # a click on a selected link cell follows it
    drill = opened.value
    drill.wait_for_selector(READY, timeout=TIMEOUT_MS)
    drill.wait_for_selector(CHART, timeout=TIMEOUT_MS)
    assert heading(drill) == "Workflow drill-down"
    assert drill.url.endswith(f"workflow?adw_id={target.adw_id}")
    assert target.adw_id in drill.locator("h3").first.inner_text()
    # The failed calls are marked on the timeline (their own legend entry).
    drill.wait_for_function(
        """() => [...document.querySelectorAll('.legend .legendtext')].some((t) => t.textContent === 'Failed call')""",
        timeout=TIMEOUT_MS,
    )
    assert drill.locator(EXCEPTION).count() == 0
    _snapshot(drill, screenshots / "runs-drill-down.png")

    # To another page and back: the drill-down shows the same run, and says so in the URL.
    drill.locator("[data-testid='stSidebarNav'] a", has_text="Runs").first.click()
    drill.wait_for_function("() => location.pathname.endsWith('/runs')", timeout=TIMEOUT_MS)
    drill.wait_for_selector(READY, timeout=TIMEOUT_MS)
    drill.locator("[data-testid='stSidebarNav'] a", has_text="Workflow drill-down").click()
    drill.wait_for_function("(id) => location.search.includes('adw_id=' + id)", arg=target.adw_id, timeout=TIMEOUT_MS)
    drill.wait_for_selector(READY, timeout=TIMEOUT_MS)
    drill.wait_for_selector("h3", timeout=TIMEOUT_MS)
    assert target.adw_id in drill.locator("h3").first.inner_text()


def test_cost_page_shows_where_the_money_went(
    dashboard_url: str, dashboard_database: str, wide: Any, screenshots: Path
) -> None:
    service, filters = _all_time(dashboard_database)
    report = service.cost(filters)
    page = wide.new_page()
    open_and_wait(page, f"{dashboard_url}/cost?days=all")
    assert heading(page) == "Cost"
    page.wait_for_selector(CHART, timeout=TIMEOUT_MS)
    metrics = page.locator("[data-testid='stMetric']").all_inner_texts()
    assert any("Attributed to calls" in m and f"${report.total_cost_usd:,.2f}" in m for m in metrics), metrics
    page.wait_for_function("() => document.querySelectorAll(\"[data-testid='stPlotlyChart'] .gtitle\").length >= 2")
    titles = page.evaluate("() => [...document.querySelectorAll('.gtitle')].map((t) => t.textContent)")
    assert "Spend per day by tool" in titles and "Spend per day by MCP server" in titles, titles
    # The most expensive calls: the service's, costliest first, with a link to each one's run.
    page.wait_for_function(
        """() => [...document.querySelectorAll("[data-testid='stDataFrame'] table")]
            .some((t) => t.querySelector('th')?.innerText === 'Tool' && t.querySelector('tbody td'))""",
        timeout=TIMEOUT_MS,
    )
    headers = page.evaluate(
        """() => [...document.querySelectorAll("[data-testid='stDataFrame'] table")]
            .map((t) => [...t.querySelectorAll('th')].map((th) => th.innerText))"""
    )
    grid = _grid(page, next(i for i, h in enumerate(headers) if h[:3] == ["Tool", "Target", "Cost ($)"]))
    assert [row[0] for row in grid["rows"]] == [c.tool_name for c in report.costliest_calls[: len(grid["rows"])]]
    assert page.locator(EXCEPTION).count() == 0
    _snapshot(page, screenshots / "cost-all-time.png")
