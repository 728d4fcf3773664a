"""Every table readable at 1440 x 900 (issue 18, item 11): measured in a real browser.

For each table of the analysis pages (and the Ingest page after an upload), the grid's scroll
area is measured: its content must not be wider than what is shown, so every column, the key
ones first of all, is on screen without scrolling sideways. Units: per-call durations (Duration,
Mean, Max, p50, p95) are in ms, totals (Total time, Wasted) in s, each with its unit in the header;
cells under a "(UTC)" header carry no "+00:00"; the error-kinds table is tall enough for every
kind (issue 18, item 1). Screenshots: test-output/screenshots/wide-*.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.browser import EXCEPTION, TIMEOUT_MS, open_and_wait

pytestmark = pytest.mark.browser

PAGES = {
    "overview": "?days=all",
    "tools": "tools?days=all",
    "failures": "failures?days=all",
    "redundancy": "redundancy?days=all",
    "sequences": "sequences?days=all",
}
#: Each table: its headers (from the grid's accessible table), its content and shown widths, and
#: the text of its rendered cells by column.
TABLES_JS = """() => [...document.querySelectorAll("[data-testid='stDataFrame']")].map((table) => {
    const scroller = table.querySelector(".dvn-scroller");
    const headers = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
    const cells = [...table.querySelectorAll("tbody tr")]
        .map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent));
    return {
        headers, cells, content: scroller.scrollWidth, shown: scroller.clientWidth,
        tall: scroller.scrollHeight, high: scroller.clientHeight,
    };
})"""
MOUNTED_JS = """() => !document.querySelector("[data-testid='stSkeleton']")
    && [...document.querySelectorAll("[data-testid='stDataFrame']")].every((t) => t.querySelector(".dvn-scroller"))"""
PER_CALL = re.compile(r"^(Duration|Mean|Max|p50|p95|p99)\b")
TOTAL = re.compile(r"^(Total time|Wasted)\b(?! tokens| \(\$\))")


@pytest.fixture
def wide(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1440, "height": 900})
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()


def tables(page: Any) -> list[dict[str, Any]]:
    page.wait_for_function(MOUNTED_JS, timeout=TIMEOUT_MS)
    page.wait_for_timeout(500)  # the grid sizes its columns just after it mounts
    return list(page.evaluate(TABLES_JS))


def problems_of(found: list[dict[str, Any]]) -> list[str]:
    problems = []
    for table in found:
        headers = table["headers"]
        if table["content"] > table["shown"] + 1:
            problems.append(f"{headers}: {table['content']} px of columns in {table['shown']} px")
        for header in headers:
            if PER_CALL.match(header) and not header.endswith("(ms)"):
                problems.append(f"{header!r}: a per-call duration not in ms")
            if TOTAL.match(header) and not header.endswith("(s)"):
                problems.append(f"{header!r}: a total duration not in s")
        for index, header in enumerate(headers):
            if "(UTC)" in header:
                stamped = [row[index] for row in table["cells"] if index < len(row) and "+00:00" in row[index]]
                if stamped:
                    problems.append(f"{header!r} shows {stamped[0]!r}")
    return problems


def screenshot(page: Any, path: Path) -> None:
    height = int(page.evaluate("() => document.querySelector(\"[data-testid='stMain']\").scrollHeight"))
    page.set_viewport_size({"width": 1440, "height": max(900, height + 40)})
    page.wait_for_timeout(800)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": 1440, "height": 900})


def test_the_error_kinds_table_shows_every_count_without_scrolling(dashboard_url: str, wide: Any) -> None:
    open_and_wait(wide, f"{dashboard_url}/failures?days=all")
    [kinds] = [table for table in tables(wide) if table["headers"][:1] == ["Failures"]]
    assert kinds["tall"] <= kinds["high"] + 1, kinds
    assert kinds["content"] <= kinds["shown"] + 1, kinds


@pytest.mark.parametrize("name", list(PAGES))
def test_every_table_fits_1440_px_with_one_unit_per_figure(
    dashboard_url: str, wide: Any, screenshots: Path, name: str
) -> None:
    open_and_wait(wide, f"{dashboard_url}/{PAGES[name]}")
    found = tables(wide)
    assert found, "the page has tables"
    assert wide.locator(EXCEPTION).count() == 0
    screenshot(wide, screenshots / f"wide-{name}.png")
    assert problems_of(found) == []
