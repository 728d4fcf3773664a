"""Fixtures for the dashboard's AppTest tests: the app pointed at the test database, caches cleared.

Each test runs on SQLite and on PostgreSQL through the shared `engine` fixture. Streamlit's caches
outlive a test, so they are cleared before and after each one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import pytest
import streamlit as st
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from tests.helpers.dashboard import PAGES, OpenPage
from tests.helpers.paths import ROOT
from tooltrack.ingest.demo import seed_demo_data
from tooltrack.models import TaskLogCreate
from tooltrack.store import TaskLogRepository

APP = ROOT / "app.py"

DEMO_WORKFLOWS = 25
DEMO_SEED = 3


def _clear_caches() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def app_env(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The test database as the dashboard's database, with empty Streamlit caches."""
    monkeypatch.setenv("TOOLTRACK_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    _clear_caches()
    yield engine
    _clear_caches()


@pytest.fixture
def demo_logs() -> list[TaskLogCreate]:
    """What `demo_env` stores, kept so tests can compute expected figures from it by hand."""
    return []


@pytest.fixture
def demo_env(app_env: Engine, demo_logs: list[TaskLogCreate], monkeypatch: pytest.MonkeyPatch) -> Engine:
    """The dashboard's database with demo workflow runs in it (the logs are in `demo_logs`)."""
    repository = TaskLogRepository(app_env)
    original = repository.create_many

    def keep(logs: list[TaskLogCreate]) -> object:
        demo_logs.extend(logs)
        return original(logs)

    monkeypatch.setattr(repository, "create_many", keep)
    seed_demo_data(repository, workflows=DEMO_WORKFLOWS, seed=DEMO_SEED)
    return app_env


@pytest.fixture
def open_page() -> OpenPage:
    """Open a page through app.py's navigation, as a link with `query` would, and return the AppTest.

    AppTest can only switch pages after a first run, so a page other than the default one opens
    the Overview first (as a browser opening the app does) and then follows the link.
    """

    def run(name: str, query: Mapping[str, str] | None = None) -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=120)
        if name != "overview":
            at.run()
            assert not at.exception, [e.message for e in at.exception]
            at.switch_page(PAGES[name][0])
        at.query_params.clear()
        at.query_params.update(query or {})
        return at.run()

    return run
