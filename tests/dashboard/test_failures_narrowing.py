"""The Failures page narrows and sorts in the service, over every matching failure (issue 18, item 1).

The known data set holds a few hundred failures over 40 days, so one page of 100 rows is never
all of them: each figure is checked against the service's answer for the same narrowing, on both
databases. Before, the kind and text filters and the sort worked on the 100 rows loaded.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from tests.helpers.dashboard import OpenPage
from tests.helpers.known_env import store_known
from tooltrack.analytics import AnalyticsService, Filters

ALL_TIME = {"days": "all"}
EVERYTHING = Filters(all_time=True)


@pytest.fixture
def known_env(app_env: Engine) -> Engine:
    store_known(app_env)
    return app_env


def calls_table(at: AppTest) -> pd.DataFrame:
    [frame] = [t.value for t in at.dataframe if "Drill-down" in t.value.columns]
    return frame


def kinds_table(at: AppTest) -> pd.DataFrame:
    [frame] = [t.value for t in at.dataframe if "Example" in t.value.columns]
    return frame


def total_in_caption(at: AppTest) -> int:
    for caption in at.caption:
        found = re.search(r"of ([\d,]+) matching failures", caption.value)
        if found:
            return int(found.group(1).replace(",", ""))
    raise AssertionError([c.value for c in at.caption])


def test_the_kind_filter_counts_every_failure_of_the_kind(known_env: Engine, open_page: OpenPage) -> None:
    service = AnalyticsService(known_env)
    everything = service.failures(EVERYTHING, limit=100)
    assert everything.total > 100, "more failures than one page holds"
    at = open_page("failures", ALL_TIME)
    # The kind box offers every kind of the window, not the kinds on the first page.
    options = at.selectbox(key="failures_kind").options
    assert options[1:] == [f"{k.tool_name}: {k.error_kind}" for k in everything.kinds]
    # The commonest kind: the table shows the service's count of it, and so does the caption.
    top = everything.kinds[0]
    at.selectbox(key="failures_kind").select(options[1]).run()
    assert not at.exception, [e.message for e in at.exception]
    expected = service.failures(EVERYTHING.model_copy(update={"tool": top.tool_name}), error_kind=top.error_kind)
    assert expected.total == top.count
    assert total_in_caption(at) == top.count
    frame = calls_table(at)
    assert len(frame) == min(100, top.count)
    assert set(zip(frame["Tool"], frame["Error kind"], strict=True)) == {(top.tool_name, top.error_kind)}
    # The kinds table still lists every kind (the kind narrows the calls, not the list to pick from).
    assert list(kinds_table(at)["Failures"]) == [k.count for k in everything.kinds]


def test_message_text_and_run_narrow_every_failure(known_env: Engine, open_page: OpenPage) -> None:
    service = AnalyticsService(known_env)
    at = open_page("failures", ALL_TIME)
    at.text_input(key="failures_search").input("TIMED OUT").run()
    expected = service.failures(EVERYTHING, contains="TIMED OUT", limit=100)
    assert 0 < expected.total < service.failures(EVERYTHING).total
    assert total_in_caption(at) == expected.total
    frame = calls_table(at)
    assert list(frame["Workflow"]) == [row.adw_id for row in expected.rows]
    # The kinds offered are those of the matching failures.
    assert at.selectbox(key="failures_kind").options[1:] == [f"{k.tool_name}: {k.error_kind}" for k in expected.kinds]

    run = expected.rows[0].adw_id
    at.text_input(key="failures_adw_id").input(run).run()
    both = service.failures(EVERYTHING, contains="TIMED OUT", adw_id=run, limit=100)
    assert total_in_caption(at) == both.total
    assert set(calls_table(at)["Workflow"]) == {run}


@pytest.mark.parametrize("sort", ["duration", "oldest", "tool"])
def test_sorting_is_the_services_over_every_failure(known_env: Engine, open_page: OpenPage, sort: str) -> None:
    service = AnalyticsService(known_env)
    expected = service.failures(EVERYTHING, sort=sort, limit=100)
    at = open_page("failures", ALL_TIME)
    at.selectbox(key="failures_sort").select(sort).run()
    frame = calls_table(at)
    assert list(frame["Workflow"]) == [row.adw_id for row in expected.rows]
    assert [None if d != d else int(d) for d in frame["Duration (ms)"]] == [row.duration_ms for row in expected.rows]
    # The second page goes on where the first stopped, in the same order.
    at.number_input(key="failures_page").set_value(2).run()
    second = service.failures(EVERYTHING, sort=sort, limit=100, offset=100)
    assert list(calls_table(at)["Workflow"]) == [row.adw_id for row in second.rows]


def test_the_kinds_table_puts_its_counts_first(known_env: Engine, open_page: OpenPage) -> None:
    frame = kinds_table(open_page("failures", ALL_TIME))
    assert frame.columns[0] == "Failures"
