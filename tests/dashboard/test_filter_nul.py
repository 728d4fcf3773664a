"""A NUL (U+0000) in a filter of a shared dashboard link: dropped with a warning, never a traceback.

PostgreSQL's text cannot hold a NUL, so a filter value carrying one must not reach a query. The
filters take the models' own `Name` rule (tooltrack/analytics/filters.py), and the dashboard drops
a value that breaks it with a sidebar warning naming the parameter (filter_state.py), as it does
for a bad period or an unknown tool. Run on SQLite and PostgreSQL (`engine` fixture).
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.helpers.dashboard import OpenPage
from tooltrack.dashboard.filter_state import DEFAULT_DAYS, FilterState


@pytest.mark.parametrize("page", ["overview", "tools", "failures", "redundancy", "sequences"])
def test_nul_in_each_filter_of_a_link_is_dropped_with_a_warning(
    demo_env: Engine, open_page: OpenPage, page: str
) -> None:
    at = open_page(page, {"days": "all", "tool": "Re\x00ad", "phase": "Bu\x00ild", "template": "\x00"})
    assert not at.exception, [e.message for e in at.exception]
    warnings = [w.value for w in at.sidebar.warning]
    for key in ("tool", "phase", "template"):
        assert any(key in w and "NUL" in w for w in warnings), (key, warnings)
    # (The Redundancy page has no tool box: the tool filter does not apply there.)
    assert {box.label: box.value for box in at.sidebar.selectbox}.get("Tool") is None
    assert not {"tool", "phase", "template"} & set(at.query_params), dict(at.query_params)
    assert at.query_params.get("days") == "all"  # the good parameter beside the bad ones is kept


def test_a_good_filter_beside_a_nul_one_still_applies(demo_env: Engine, open_page: OpenPage) -> None:
    at = open_page("tools", {"days": "all", "tool": "Bash", "phase": "\x00"})
    assert not at.exception, [e.message for e in at.exception]
    assert any("phase" in w.value and "NUL" in w.value for w in at.sidebar.warning)
    assert list(at.dataframe[0].value["Tool"]) == ["Bash"]
    assert dict(at.query_params) == {"days": "all", "tool": "Bash"}


@pytest.mark.parametrize("key", ["tool", "phase", "template"])
def test_from_query_drops_a_nul_name_and_says_which(key: str) -> None:
    state, problems = FilterState.from_query({key: "a\x00b", "days": "7"})
    assert getattr(state, key) is None and state.days == 7
    assert len(problems) == 1 and problems[0].startswith(key) and "NUL" in problems[0]
    assert FilterState.from_query({key: "x" * 201})[1] == [f"{key} must be at most 200 characters long"]
    assert FilterState.from_query({key: "x" * 200}) == (FilterState(days=DEFAULT_DAYS, **{key: "x" * 200}), [])
