"""Every page renders under Streamlit's AppTest, on demo data and on an empty database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from tooltrack.analytics.overview import overview
from tooltrack.demo import seed_demo_data
from tooltrack.store import TaskLogRepository

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def app_env(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setenv("TOOLTRACK_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield engine
    st.cache_data.clear()
    st.cache_resource.clear()


def test_overview_on_empty_database(app_env: Engine) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "Overview"
    assert "No task logs yet" in at.info[0].value


def test_overview_shows_the_database_figures(app_env: Engine) -> None:
    seed_demo_data(TaskLogRepository(app_env), workflows=20, seed=3)
    expected = overview(app_env)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Tool calls"] == f"{expected.tool_calls:,}"
    assert metrics["Workflows"] == "20"
    assert metrics["Task logs"] == f"{expected.task_logs:,}"
    frame = at.dataframe[0].value
    assert list(frame["Tool"]) == [t.tool_name for t in expected.tools]
    assert list(frame["Calls"]) == [t.calls for t in expected.tools]
