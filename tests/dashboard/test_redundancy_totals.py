"""The Redundancy page's figures are true totals, and one run's detail takes the same filters
(issue 18, item 2; issue 16: repeated work priced in tokens and dollars).

On the known data set more runs have repeated work than the top list shows, so a sum over the
list (what the page showed before) is not the total: each figure is checked against the service
on both databases, for all time and under a phase filter.
"""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from tests.helpers.dashboard import OpenPage
from tests.helpers.known_env import store_known
from tooltrack.analytics import AnalyticsService, Filters, RepeatedGroup
from tooltrack.dashboard.formatting import dollars, duration

TOP = 20


@pytest.fixture
def known_env(app_env: Engine) -> Engine:
    store_known(app_env)
    return app_env


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def table_with(at: AppTest, column: str, *others: str) -> pd.DataFrame:
    """The table that has these columns (the one starting with `column`, when several have them)."""
    found = [t.value for t in at.dataframe if {column, *others} <= set(t.value.columns)]
    if len(found) > 1:
        found = [frame for frame in found if frame.columns[0] == column]
    [frame] = found
    return frame


def as_rows(groups: list[RepeatedGroup]) -> list[tuple[str, int, int, int]]:
    return [(g.name, g.redundant_calls, g.runs, g.wasted_tokens) for g in groups]


def shown_rows(frame: pd.DataFrame) -> list[tuple[str, int, int, int]]:
    label = frame.columns[0]
    return [
        (str(name), int(calls), int(runs), int(tokens))
        for name, calls, runs, tokens in zip(
            frame[label], frame["Redundant calls"], frame["Runs"], frame["Wasted tokens"], strict=True
        )
    ]


@pytest.mark.parametrize(
    ("query", "filters"),
    [
        ({"days": "all"}, Filters(all_time=True)),
        ({"days": "all", "phase": "Build"}, Filters(all_time=True, phase="Build")),
    ],
)
def test_headline_figures_and_breakdowns_are_the_services_totals(
    known_env: Engine, open_page: OpenPage, query: dict[str, str], filters: Filters
) -> None:
    service = AnalyticsService(known_env)
    work = service.repeated_work(filters)
    alerts = service.redundancy_alerts(filters, limit=TOP)
    assert work.runs > TOP or query.get("phase"), "more runs with repeated work than the top list holds"
    at = open_page("redundancy", query)
    assert not at.exception, [e.message for e in at.exception]
    shown = metrics(at)
    assert shown["Runs with repeated work"] == f"{work.runs:,}"
    assert shown["Redundant calls (all runs)"] == f"{work.redundant_calls:,}"
    assert shown["Time wasted (all runs)"] == duration(work.wasted_duration_ms)
    assert shown["Tokens wasted (all runs)"] == f"{work.wasted_tokens:,}"
    assert shown["Cost wasted (all runs)"] == dollars(work.wasted_cost_usd)
    assert work.wasted_tokens > 0 and work.wasted_cost_usd > 0
    if work.runs > TOP:
        assert work.redundant_calls > sum(a.redundant_calls for a in alerts), "the total is not the top list's sum"
    assert shown_rows(table_with(at, "Pattern", "Runs")) == as_rows(work.by_pattern)
    assert shown_rows(table_with(at, "Template")) == as_rows(work.by_workflow_template)
    assert shown_rows(table_with(at, "Week of (Monday)")) == as_rows(work.by_week)
    # The list is the top list, and says so.
    assert any(h.value == f"Top {TOP} runs by time wasted" for h in at.subheader)
    assert list(table_with(at, "Drill-down")["Workflow"]) == [a.adw_id for a in alerts]


def test_one_runs_detail_takes_the_same_filters(known_env: Engine, open_page: OpenPage) -> None:
    service = AnalyticsService(known_env)
    phase = Filters(all_time=True, phase="Build")
    alerts = service.redundancy_alerts(phase, limit=TOP)
    # A run whose repeated work is not all in the Build phase: its detail must differ by filter.
    run = next(a for a in alerts if service.redundancy(a.adw_id).redundant_calls > a.redundant_calls)
    at = open_page("redundancy", {"days": "all", "phase": "Build", "adw_id": run.adw_id})
    assert at.selectbox(key="redundancy_adw_id").value == run.adw_id
    shown = metrics(at)
    assert shown["Redundant calls"] == f"{run.redundant_calls:,}"
    assert shown["Time wasted"] == duration(run.wasted_duration_ms)
    detail = service.repeated_work_of_run(run.adw_id, phase)
    assert shown["Tokens wasted"] == f"{detail.wasted_tokens:,}"
    frame = table_with(at, "Of calls")
    assert set(frame["Phases"]) == {"Build"}
    assert sum(frame["Redundant calls"]) == run.redundant_calls


def test_the_tool_filter_is_not_offered_and_does_not_apply(known_env: Engine, open_page: OpenPage) -> None:
    work = AnalyticsService(known_env).repeated_work(Filters(all_time=True))
    at = open_page("redundancy", {"days": "all", "tool": "Read"})
    assert "Tool" not in [box.label for box in at.sidebar.selectbox]
    assert any("Tool: not a filter on this page" in c.value for c in at.sidebar.caption)
    assert metrics(at)["Redundant calls (all runs)"] == f"{work.redundant_calls:,}"
    # The tool stays in the URL for the other pages.
    assert at.query_params["tool"] in (["Read"], "Read")
