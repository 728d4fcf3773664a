"""What the real-browser tests share: the selectors they wait on, and opening a page until it is ready."""

from __future__ import annotations

from typing import Any, Final

#: The app when its script has run to the end.
READY: Final = "[data-testid='stApp'][data-test-script-state='notRunning']"
CHART: Final = "[data-testid='stPlotlyChart'] .js-plotly-plot"
EXCEPTION: Final = "[data-testid='stException']"
TIMEOUT_MS: Final = 60_000


def open_and_wait(page: Any, url: str) -> None:
    """Load `url` and wait until the script has run to its end and the heading is on screen."""
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector("[data-testid='stApp']", timeout=TIMEOUT_MS)
    page.wait_for_selector(READY, timeout=TIMEOUT_MS)
    page.wait_for_selector("h1", timeout=TIMEOUT_MS)


def heading(page: Any) -> str:
    """The page's title (its h1)."""
    return str(page.locator("h1").first.inner_text()).strip()
