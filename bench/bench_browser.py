"""The dashboard as a user feels it: each page's time to usable in a real (headless) browser.

Starts `tooltrack dashboard` itself, on a free port, against `--database-url` (its demo data is
not added: `--no-demo`), and drives Debian's `/usr/bin/chromium` through Playwright. For each page,
several fresh tabs (a new browser context each, so a new Streamlit session, as a new visitor) are
timed from navigation to the app's "not running" state with the page's heading on screen and every
Plotly chart drawn; the median and the worst are printed. The server's answer cache is warm after
the first tab of a page, as on a server in use: the first tab's figure is printed too ("cold").
A filter change is timed in one tab: choosing "Last 7 days" in the sidebar's Period box on the
Overview, from the click on the option to the rerun's end with the charts drawn again.

    python bench/bench_browser.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/tooltrack_bench
    python bench/bench_browser.py --database-url sqlite:////tmp/demo.db --tabs 5

Targets (issue 18): every page under 1.5 s, a filter change under 0.5 s, over 10 M calls.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
PAGE_TARGET_S = 1.5
FILTER_TARGET_S = 0.5
TIMEOUT_MS = 300_000

#: Done: the script has run to its end, the heading is there, no element is still a loading
#: skeleton, and every chart has drawn its SVG.
USABLE_JS = """() => {
    const app = document.querySelector("[data-testid='stApp']");
    if (!app || app.getAttribute("data-test-script-state") !== "notRunning") return false;
    if (!document.querySelector("h1")) return false;
    // Charts and tables are drawn by components Streamlit loads lazily: a skeleton until then.
    if (document.querySelector("[data-testid='stSkeleton']")) return false;
    const charts = [...document.querySelectorAll("[data-testid='stPlotlyChart']")];
    return charts.every((chart) => chart.querySelector(".js-plotly-plot .main-svg"));
}"""
#: Records every change of the script state with its time (to time a rerun from its start).
WATCH_JS = """() => {
    window.__states = [];
    const app = document.querySelector("[data-testid='stApp']");
    new MutationObserver(() => window.__states.push([app.getAttribute("data-test-script-state"), performance.now()]))
        .observe(app, {attributes: true, attributeFilter: ["data-test-script-state"]});
}"""
RERUN_DONE_JS = """() => {
    const states = window.__states || [];
    const ran = states.findIndex(([state]) => state === "running");
    if (ran < 0) return false;
    return states.slice(ran).some(([state]) => state === "notRunning");
}"""


def pages(run: str | None) -> list[tuple[str, str]]:
    """(label, path and query) of each page; the drill-down of `run` when one is known."""
    found = [
        ("Overview (30 days)", ""),
        ("Overview (all time)", "?days=all"),
        ("Tools and latency", "tools"),
        ("Failures", "failures"),
        ("Redundancy", "redundancy"),
        ("Sequences", "sequences"),
        ("Ingest", "ingest"),
    ]
    if run is not None:
        found.append(("Workflow drill-down", f"workflow?adw_id={run}"))
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_dashboard(database_url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    """`tooltrack dashboard` on `port` over `database_url`, once it answers its health check."""
    tooltrack = shutil.which("tooltrack", path=str(Path(sys.executable).parent)) or "tooltrack"
    env = dict(os.environ, TOOLTRACK_DATABASE_URL=database_url)
    command = [tooltrack, "dashboard", "--port", str(port), "--host", "127.0.0.1", "--no-demo"]
    # A session of its own: `tooltrack dashboard` runs Streamlit as its child, and both are stopped
    # together at the end (stop_dashboard), by this process group's id.
    process = subprocess.Popen(
        command, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + 300  # the first start may migrate the database
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"tooltrack dashboard exited with {process.returncode}; see {log}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.3)
    stop_dashboard(process)
    raise SystemExit(f"the dashboard did not answer in time; see {log}")


def stop_dashboard(process: subprocess.Popen[bytes]) -> None:
    """Stop `tooltrack dashboard` and the Streamlit server it started (its process group)."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def time_tab(browser: Any, url: str) -> float:
    """Seconds from navigation to usable, in a fresh context (a new visitor)."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    tab = context.new_page()
    try:
        started = time.perf_counter()
        tab.goto(url, wait_until="commit")
        tab.wait_for_function(USABLE_JS, timeout=TIMEOUT_MS, polling=20)
        seconds = time.perf_counter() - started
        if tab.locator("[data-testid='stException']").count():
            raise SystemExit(f"{url} shows an exception")
        return seconds
    finally:
        context.close()


def open_choice(tab: Any, label: str, option: str) -> Any:
    """Open the sidebar selectbox labelled `label` (Streamlit 1.67's combo box) and return its
    `option`, ready to be clicked (the script-state watch is installed)."""
    box = tab.locator(f"[data-testid='stSidebar'] input[role='combobox'][aria-label='{label}']")
    box.focus()
    tab.keyboard.press("ArrowDown")  # opens the list
    wanted = tab.locator("[role='option']").filter(has_text=option).first
    wanted.wait_for(timeout=TIMEOUT_MS)
    tab.evaluate(WATCH_JS)
    return wanted


def time_filter_change(browser: Any, base: str) -> float:
    """Seconds from choosing "Last 7 days" to the Overview's rerun drawn (one tab, page already usable)."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    tab = context.new_page()
    try:
        tab.goto(base, wait_until="commit")
        tab.wait_for_function(USABLE_JS, timeout=TIMEOUT_MS, polling=20)
        option = open_choice(tab, "Period", "Last 7 days")
        started = time.perf_counter()
        option.click(force=True)
        tab.wait_for_function(RERUN_DONE_JS, timeout=TIMEOUT_MS, polling=10)
        tab.wait_for_function(USABLE_JS, timeout=TIMEOUT_MS, polling=10)
        seconds = time.perf_counter() - started
        if "days=7" not in tab.url:
            raise SystemExit(f"the filter change did not reach the URL: {tab.url}")
        return seconds
    finally:
        context.close()


def some_run(database_url: str) -> str | None:
    """A run to open in the drill-down: the newest one."""
    sys.path.insert(0, str(ROOT))
    from tooltrack.analytics import AnalyticsService, Filters
    from tooltrack.store import make_engine

    engine = make_engine(database_url)
    try:
        runs = AnalyticsService(engine).runs(Filters(all_time=True), limit=1).runs
    finally:
        engine.dispose()
    return runs[0].adw_id if runs else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="the database the dashboard serves")
    parser.add_argument("--tabs", type=int, default=5, help="fresh tabs per page (default 5)")
    parser.add_argument("--filter-changes", type=int, default=5, help="filter changes timed (default 5)")
    parser.add_argument("--log", type=Path, default=Path("bench-browser-dashboard.log"))
    args = parser.parse_args()
    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} is missing (bash scripts/ensure-chromium.sh)")
    from playwright.sync_api import sync_playwright

    port = free_port()
    server = start_dashboard(args.database_url, port, args.log)
    base = f"http://127.0.0.1:{port}/"
    failed = False
    try:
        run = some_run(args.database_url)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                print(f"{'page':<34} {'cold':>7} {'median':>7} {'worst':>7}  (s, {args.tabs} fresh tabs)")
                for label, path in pages(run):
                    times = [time_tab(browser, base + path) for _ in range(args.tabs)]
                    median = statistics.median(times[1:] if len(times) > 1 else times)
                    worst = max(times[1:] if len(times) > 1 else times)
                    mark = "" if median < PAGE_TARGET_S else "  over target"
                    failed |= bool(mark)
                    print(f"{label:<34} {times[0]:>7.2f} {median:>7.2f} {worst:>7.2f}{mark}")
                changes = [time_filter_change(browser, base) for _ in range(args.filter_changes)]
                median = statistics.median(changes)
                mark = "" if median < FILTER_TARGET_S else "  over target"
                failed |= bool(mark)
                print(f"{'Filter change (Overview, 7 days)':<34} {'':>7} {median:>7.2f} {max(changes):>7.2f}{mark}")
            finally:
                browser.close()
    finally:
        stop_dashboard(server)
    print(f"targets: page median < {PAGE_TARGET_S} s (warm tabs), filter change < {FILTER_TARGET_S} s")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
