"""The sidebar's project, model and agent filters, and "All time" (issue 15, issue 18 item 4).

The figures a page shows under these filters are the service's under the same filters, on both
databases; the filters stay in the URL like the others; "All time" is every day with data and has
no period before it, so no delta.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.helpers.dashboard import OpenPage
from tests.helpers.known_data import MODELS, known_logs
from tooltrack.analytics import AnalyticsService, Filters
from tooltrack.dashboard.filter_state import FilterState
from tooltrack.store import TaskLogRepository


@pytest.fixture
def known_env(app_env: Engine) -> Engine:
    TaskLogRepository(app_env).create_many(known_logs())
    return app_env


def metrics(at: object) -> dict[str, tuple[str, str | None]]:
    return {m.label: (m.value, m.delta) for m in at.metric}  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("query", "filters"),
    [
        ({"project": "alpha"}, {"project": "alpha"}),
        ({"model": MODELS[1]}, {"model": MODELS[1]}),
        ({"agent": "claude-code", "project": "beta"}, {"agent": "claude-code", "project": "beta"}),
    ],
)
def test_project_model_and_agent_filters_match_the_service(
    known_env: Engine, open_page: OpenPage, query: dict[str, str], filters: dict[str, str]
) -> None:
    service = AnalyticsService(known_env)
    expected = service.summary(Filters.model_validate(filters))
    plain = service.summary(Filters())
    assert expected.total_tool_calls < plain.total_tool_calls  # the filter narrows something
    at = open_page("overview", query)
    assert not at.exception, [e.message for e in at.exception]
    assert metrics(at)["Tool calls"][0] == f"{expected.total_tool_calls:,}"
    # The sidebar shows each filter, set to the URL's value, and the URL keeps it.
    boxes = {box.label: box.value for box in at.sidebar.selectbox}
    for key, value in query.items():
        assert boxes[key.capitalize()] == value
        assert at.query_params[key] == [value] or at.query_params[key] == value


def test_choosing_a_project_in_the_sidebar_narrows_the_page_and_the_url(known_env: Engine, open_page: OpenPage) -> None:
    at = open_page("tools")
    at.sidebar.selectbox(key="filter_project").select("beta").run()
    assert not at.exception
    expected = AnalyticsService(known_env).summary(Filters(project="beta"))
    frame = at.dataframe[0].value
    assert list(frame["Calls"]) == [t.count for t in expected.by_tool.values()]
    assert at.query_params["project"] in (["beta"], "beta")


def test_an_unknown_project_in_a_link_is_dropped_with_a_reason(known_env: Engine, open_page: OpenPage) -> None:
    at = open_page("overview", {"project": "gamma"})
    assert any("project 'gamma'" in w.value for w in at.sidebar.warning)
    expected = AnalyticsService(known_env).summary(Filters())
    assert metrics(at)["Tool calls"][0] == f"{expected.total_tool_calls:,}"


def test_all_time_is_every_day_with_data_and_has_no_delta(known_env: Engine, open_page: OpenPage) -> None:
    assert FilterState(days=None).to_filters().all_time
    expected = AnalyticsService(known_env).summary(Filters(all_time=True))
    at = open_page("overview", {"days": "all"})
    shown = metrics(at)
    assert shown["Tool calls"][0] == f"{expected.total_tool_calls:,}"
    assert all(not delta for _, delta in shown.values()), shown
    window = f"{expected.window.start} to {expected.window.end} (UTC)"
    assert any(c.value == window for c in at.caption), [c.value for c in at.caption]
