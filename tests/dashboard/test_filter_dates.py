"""Dates at the edges of the calendar in a shared dashboard link: dropped with a warning, never a traceback.

Before the filters bounded their dates (tooltrack/analytics/filters.py), `?start=0001-01-01&end=
0001-01-05` broke the Overview (the period before it starts before year 1) and `?start=9999-12-31&
end=9999-12-31` broke every page (the instant after the window is past 9999). The dashboard drops
such a range with a sidebar warning naming the parameter, as it does for a NUL in a name filter, and
shows its default period instead. Run on SQLite and PostgreSQL (`engine` fixture).
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.helpers.dashboard import OpenPage
from tooltrack.analytics import EARLIEST_DAY, LATEST_DAY
from tooltrack.dashboard.filter_state import DEFAULT_DAYS, FilterState

# (start, end, the parameters the warning must name)
EDGES: list[tuple[str, str, set[str]]] = [
    ("0001-01-01", "0001-01-05", {"start", "end"}),
    ("0001-12-01", "0001-12-31", {"start", "end"}),
    ("9999-12-31", "9999-12-31", {"start", "end"}),
    ("9999-12-01", "9999-12-31", {"end"}),
]
PAGES = ["overview", "tools", "failures", "redundancy", "sequences"]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize(("start", "end", "named"), EDGES, ids=[f"{s}..{e}" for s, e, _ in EDGES])
def test_a_range_beyond_the_calendar_is_dropped_with_a_warning(
    demo_env: Engine, open_page: OpenPage, page: str, start: str, end: str, named: set[str]
) -> None:
    at = open_page(page, {"start": start, "end": end, "tool": "Bash"})
    assert not at.exception, [e.message for e in at.exception]
    warnings = [w.value for w in at.sidebar.warning]
    assert len(warnings) == 1, warnings
    for name in named:
        assert f"{name} " in warnings[0], (name, warnings)
    # The default period instead, and the good parameter beside the bad range kept.
    assert {box.label: box.value for box in at.sidebar.selectbox}["Period"] == str(DEFAULT_DAYS)
    assert dict(at.query_params) == {"tool": "Bash"}


@pytest.mark.parametrize(("start", "end", "named"), EDGES, ids=[f"{s}..{e}" for s, e, _ in EDGES])
def test_from_query_drops_a_range_beyond_the_calendar_and_says_which(start: str, end: str, named: set[str]) -> None:
    state, problems = FilterState.from_query({"start": start, "end": end, "days": "7"})
    assert (state.start, state.end, state.days) == (None, None, 7)
    assert len(problems) == 1, problems
    assert {name for name in ("start", "end") if f"{name} " in problems[0]} == named, problems
    assert EARLIEST_DAY.isoformat() in problems[0] and LATEST_DAY.isoformat() in problems[0]


def test_the_edges_themselves_are_kept() -> None:
    for start, end in ((EARLIEST_DAY, EARLIEST_DAY), (LATEST_DAY, LATEST_DAY)):
        state, problems = FilterState.from_query({"start": start.isoformat(), "end": end.isoformat()})
        assert problems == [] and (state.start, state.end) == (start, end)
        state.to_filters().previous_period().time_range()  # no OverflowError
