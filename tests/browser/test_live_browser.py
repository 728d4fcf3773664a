"""The Live page in a real browser: a call posted to the API while the page is open appears on it,
without a reload (its fragment reruns by itself)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers.browser import EXCEPTION, READY, open_and_wait

pytestmark = pytest.mark.browser

TIMEOUT_MS = 60_000


def _metric(page: Any, label: str) -> str:
    """The value of the metric whose label is `label`."""
    box = page.locator("[data-testid='stMetric']", has_text=label).first
    return str(box.locator("[data-testid='stMetricValue']").inner_text()).strip()


def test_a_posted_call_appears_without_reload(live_dashboard: tuple[str, str], page: Any, screenshots: Path) -> None:
    dashboard, api = live_dashboard
    open_and_wait(page, f"{dashboard}/live")
    assert _metric(page, "Calls, last 10 min") == "0"
    # Survives only as long as the document does: a reload would drop it.
    page.evaluate("window.__notReloaded = true")
    now = datetime.now(UTC)
    log = {
        "adw_id": "browser-live-run",
        "phase_name": "build",
        "phase_status": "completed",
        "started_at": (now - timedelta(seconds=20)).isoformat(),
        "tool_calls": [
            {"tool_name": "Grep", "success": True, "timestamp": (now - timedelta(seconds=5)).isoformat()},
            {
                "tool_name": "Bash",
                "success": False,
                "error_message": "Exit code 2",
                "command": "pytest -x",
                "timestamp": now.isoformat(),
            },
        ],
    }
    httpx.post(f"{api}/api/v1/observability/task-logs", json=log, timeout=30).raise_for_status()
    page.wait_for_selector("text=Latest call: Bash in browser-live-run", timeout=TIMEOUT_MS)
    assert _metric(page, "Calls, last 10 min") == "2"
    assert _metric(page, "Failures") == "1"
    assert _metric(page, "Sessions running") == "1"
    assert page.evaluate("window.__notReloaded === true"), "the page was reloaded"
    assert page.locator(EXCEPTION).count() == 0
    # The three tables (running now, failures, calls) once the fragment's run has finished.
    page.wait_for_function("document.querySelectorAll(\"[data-testid='stDataFrame']\").length === 3")
    page.wait_for_selector(READY, timeout=TIMEOUT_MS)
    page.wait_for_timeout(500)
    page.screenshot(path=str(screenshots / "live.png"), full_page=True)
