"""A running dashboard and a headless Chromium for the real-browser tests.

The dashboard is `streamlit run app.py` as a subprocess on a free port (one server for the session;
`fresh_dashboard_url` starts one for a single test that must be its first visitor), on a temporary SQLite
database seeded with demo data (plus one workflow whose tool name is an HTML payload, to prove
user text is never rendered as HTML). Chromium is Debian's `/usr/bin/chromium`: Playwright cannot
download its own browsers here.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.helpers.hostile import hostile_log
from tests.helpers.live_api import LiveAPI, free_port
from tests.helpers.paths import ROOT
from tooltrack.ingest.demo import seed_demo_data
from tooltrack.store import TaskLogRepository, make_engine, upgrade

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = ROOT / "test-output" / "screenshots"


def _wait_healthy(url: str, process: subprocess.Popen[bytes], deadline: float) -> None:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited early with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"the dashboard at {url} did not become healthy in time")


@pytest.fixture(scope="session")
def dashboard_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A temporary SQLite database with demo data and one hostile workflow."""
    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'dashboard.db'}"
    engine = make_engine(url)
    upgrade(engine)
    repository = TaskLogRepository(engine)
    seed_demo_data(repository, workflows=60, seed=11)
    repository.create(hostile_log())
    engine.dispose()
    return url


@contextmanager
def _serve_dashboard(database_url: str, log_path: Path) -> Iterator[str]:
    """`streamlit run app.py` on a free port over `database_url`: its base URL once healthy; stopped after."""
    port = free_port()
    log = log_path.open("wb")
    env = dict(os.environ, TOOLTRACK_DATABASE_URL=database_url)
    command = [
        sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
        "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, time.monotonic() + 60)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="session")
def dashboard_url(dashboard_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of `streamlit run app.py` serving the demo database (one server for the session)."""
    with _serve_dashboard(dashboard_database, tmp_path_factory.mktemp("streamlit") / "streamlit.log") as url:
        yield url


@pytest.fixture
def fresh_dashboard_url(dashboard_database: str, tmp_path: Path) -> Iterator[str]:
    """A dashboard server started for this test alone, that no browser has visited yet."""
    with _serve_dashboard(dashboard_database, tmp_path / "streamlit.log") as url:
        yield url


@pytest.fixture
def live_dashboard(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(dashboard URL, API URL) over one empty SQLite database of this test's own: the API stores
    what the test posts, the dashboard shows it."""
    url = f"sqlite:///{tmp_path / 'live.db'}"
    engine = make_engine(url)
    upgrade(engine)
    try:
        with LiveAPI(engine) as api, _serve_dashboard(url, tmp_path / "streamlit.log") as dashboard:
            yield dashboard, api.url
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    """Debian's headless Chromium, driven by Playwright's sync API."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package (`make browser`)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium: object) -> Iterator[object]:
    """A fresh browser tab, wide enough for the dashboard's wide layout."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
