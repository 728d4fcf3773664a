"""The fixed pages in a real browser at 1440 x 900: tab titles, no Deploy button, latency, colours.

Issue 18, items 3, 6, 7 and 10. Each page's tab names the page; Streamlit's developer toolbar
("Deploy") is hidden; on the Tools page the latency axes are labelled with durations and the
percentiles read "≈"; a tool is drawn in the same colour on every page (the colour tooltrack gave
it, not one Streamlit's theme put in its place). Screenshots go to test-output/screenshots/honest-*.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.browser import CHART, EXCEPTION, TIMEOUT_MS, heading, open_and_wait
from tooltrack.dashboard import charts

pytestmark = pytest.mark.browser

#: url path -> the page's heading (and so its tab title).
PAGES = {
    "": "Overview",
    "tools": "Tools and latency",
    "failures": "Failures",
    "redundancy": "Redundancy",
    "sequences": "Sequences",
    "workflow?adw_id=demo1100000": "Workflow drill-down",
    "ingest": "Ingest",
}
DEPLOY = "[data-testid='stAppDeployButton']"
DURATION_TICK = re.compile(r"^\d+(\.\d+)? (ms|s|min|h)$")

#: Every chart on the page: its title, its axes' tick labels, its legend's entries and their colours.
PLOTS_JS = """() => [...document.querySelectorAll("[data-testid='stPlotlyChart'] .js-plotly-plot")].map((plot) => ({
    title: plot.querySelector(".gtitle")?.textContent ?? "",
    xticks: [...plot.querySelectorAll(".xaxislayer-above .xtick text")].map((t) => t.textContent),
    yticks: [...plot.querySelectorAll(".yaxislayer-above .ytick text")].map((t) => t.textContent),
    legend: [...plot.querySelectorAll(".legend .traces")].map((entry) => {
        const mark = entry.querySelector(".legendpoints path");
        const style = mark ? getComputedStyle(mark) : null;
        const fill = style && style.fill !== "none" ? style.fill : null;
        return [entry.querySelector(".legendtext")?.textContent ?? "", fill ?? style?.stroke ?? ""];
    }),
}))"""


@pytest.fixture
def wide(chromium: Any) -> Iterator[Any]:
    """A tab at 1440 x 900, the size the issue was seen at."""
    context = chromium.new_context(viewport={"width": 1440, "height": 900})
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()


def plots(page: Any) -> list[dict[str, Any]]:
    page.wait_for_selector(CHART, timeout=TIMEOUT_MS)
    page.wait_for_timeout(300)  # Plotly draws its ticks and legend just after the div appears
    return list(page.evaluate(PLOTS_JS))


def plot(found: list[dict[str, Any]], prefix: str) -> dict[str, Any]:
    matches = [p for p in found if p["title"].startswith(prefix)]
    assert len(matches) == 1, (prefix, [p["title"] for p in found])
    return matches[0]


def snapshot(page: Any, path: Path) -> None:
    """A screenshot of the whole page: Streamlit scrolls inside its main block, so a full-page
    screenshot of the window shows only the first screen; the window is made as tall as the page."""
    height = int(page.evaluate("() => document.querySelector(\"[data-testid='stMain']\").scrollHeight"))
    width = page.viewport_size["width"]
    page.set_viewport_size({"width": width, "height": max(900, height + 40)})
    # Charts below the first screen are drawn only once they come into view: wait for every one.
    page.wait_for_function(
        """() => [...document.querySelectorAll("[data-testid='stPlotlyChart']")]
            .every((chart) => chart.querySelector(".js-plotly-plot .main-svg"))""",
        timeout=TIMEOUT_MS,
    )
    page.wait_for_timeout(800)  # and redrawn for the new size
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": width, "height": 900})


def rgb(colour: str) -> str:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


@pytest.mark.parametrize("path", list(PAGES))
def test_each_tab_names_its_page_and_there_is_no_deploy_button(
    dashboard_url: str, wide: Any, screenshots: Path, path: str
) -> None:
    open_and_wait(wide, f"{dashboard_url}/{path}")
    assert heading(wide) == PAGES[path]
    wide.wait_for_function("(title) => document.title === title", arg=f"{PAGES[path]} · tooltrack", timeout=15_000)
    wide.wait_for_selector("[data-testid='stToolbar']", state="attached", timeout=TIMEOUT_MS)
    assert wide.locator(DEPLOY).count() == 0
    assert wide.get_by_role("button", name="Deploy").count() == 0
    assert wide.locator(EXCEPTION).count() == 0
    name = path.split("?")[0] or "overview"
    snapshot(wide, screenshots / f"honest-{name}.png")


def test_latency_charts_read_as_durations_with_estimates_marked(
    dashboard_url: str, wide: Any, screenshots: Path
) -> None:
    for query, name in (("days=all", "tools-latency"), ("days=all&tool=Bash", "tools-latency-one-tool")):
        open_and_wait(wide, f"{dashboard_url}/tools?{query}")
        found = plots(wide)
        per_tool = plot(found, "Latency per tool")
        histogram = plot(found, "Latency of")
        trend = plot(found, "p95 latency per day")
        for ticks in (per_tool["yticks"], histogram["xticks"], trend["yticks"]):
            assert len(ticks) >= 2 and all(DURATION_TICK.match(t) for t in ticks), ticks
        marked = [text for text, _ in histogram["legend"]]
        assert any(text.startswith("p50 ≈") for text in marked) and any(t.startswith("p95 ≈") for t in marked)
        text = wide.locator("[data-testid='stMain']").inner_text()
        assert "p95 ≈" in text and "±2.5 %" in text
        assert wide.locator(EXCEPTION).count() == 0
        snapshot(wide, screenshots / f"honest-{name}.png")


def test_a_tool_is_drawn_in_its_own_colour_on_every_page(dashboard_url: str, wide: Any, screenshots: Path) -> None:
    seen: dict[str, set[str]] = {}
    for path, title in (
        ("?days=all", "Calls per day"),
        ("failures?days=all", "Failure rate"),
        ("tools?days=all", "p95 latency per day"),
        ("workflow?adw_id=demo1100000", "Timeline"),
    ):
        open_and_wait(wide, f"{dashboard_url}/{path}")
        legend = dict(plot(plots(wide), title)["legend"])
        named = {tool: colour for tool, colour in legend.items() if tool != charts.OTHER}
        assert len(set(named.values())) == len(named), (path, legend)
        for tool, colour in named.items():
            seen.setdefault(tool, set()).add(colour)
    assert {tool: colours for tool, colours in seen.items() if len(colours) > 1} == {}
    for tool in ("Read", "Bash", "Edit"):
        assert seen[tool] == {rgb(charts.KNOWN_TOOL_COLOURS[tool])}, tool
    open_and_wait(wide, f"{dashboard_url}/sequences?days=all")
    wide.wait_for_selector("[data-testid='stPlotlyChart'] .sankey", timeout=TIMEOUT_MS)
    snapshot(wide, screenshots / "honest-sequences-sankey.png")
