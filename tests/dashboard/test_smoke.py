"""Every page renders under Streamlit's AppTest, on demo data and on an empty database."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.helpers.dashboard import PAGES, OpenPage
from tooltrack.dashboard.page import EMPTY_DATABASE

ANALYSIS_PAGES = ["overview", "tools", "failures", "redundancy", "sequences", "workflow"]


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_renders_on_an_empty_database(app_env: Engine, open_page: OpenPage, name: str) -> None:
    at = open_page(name)
    assert not at.exception, [e.message for e in at.exception]
    assert at.title[0].value == PAGES[name][1]
    if name in ANALYSIS_PAGES:
        # A clear sentence instead of empty charts.
        assert [info.value for info in at.info] == [EMPTY_DATABASE]
        assert not at.dataframe


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_renders_on_demo_data(demo_env: Engine, open_page: OpenPage, name: str) -> None:
    at = open_page(name)
    assert not at.exception, [e.message for e in at.exception]
    assert at.title[0].value == PAGES[name][1]
    assert not at.error
    if name in ANALYSIS_PAGES and name != "workflow":
        assert at.dataframe, "an analysis page with data shows at least one table"
        assert at.get("plotly_chart"), "an analysis page with data shows at least one chart"
