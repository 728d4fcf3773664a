"""The shared filters' URL form: round trips, defaults left out, bad values dropped with a reason."""

from __future__ import annotations

from datetime import date

import pytest

from tooltrack.analytics import MAX_DAYS
from tooltrack.dashboard.filter_state import DEFAULT_DAYS, FilterState
from tooltrack.dashboard.formatting import count_change, duration, duration_change, share_change, workflow_href


@pytest.mark.parametrize(
    "state",
    [
        FilterState(),
        FilterState(days=7, tool="Read"),
        FilterState(days=None),
        FilterState(days=None, start=date(2025, 1, 1), end=date(2025, 1, 31), template="adw_sdlc", phase="Build"),
        FilterState(tool="mcp__playwright__browser_navigate", template=""),
        FilterState(days=7, project="alpha", model="claude-sonnet-4-5", agent="claude-code"),
    ],
)
def test_query_round_trip(state: FilterState) -> None:
    parsed, problems = FilterState.from_query(state.to_query())
    assert problems == []
    assert parsed == state


def test_defaults_stay_out_of_the_url() -> None:
    assert FilterState().to_query() == {}
    assert FilterState(days=None).to_query() == {"days": "all"}


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ({"days": "13"}, "days='13'"),
        ({"days": "-1"}, "days='-1'"),
        ({"start": "2025-02-01"}, "start and end"),
        ({"start": "2025-02-01", "end": "soon"}, "start and end"),
        ({"start": "2025-02-02", "end": "2025-02-01"}, "after end"),
        ({"start": "1900-01-01", "end": "2025-02-01"}, f"longer than {MAX_DAYS}"),
        ({"tool": "x" * 201}, "tool must be at most 200"),
    ],
)
def test_bad_values_are_dropped_with_a_reason(query: dict[str, str], fragment: str) -> None:
    state, problems = FilterState.from_query(query)
    assert len(problems) == 1 and fragment in problems[0]
    assert state.days == DEFAULT_DAYS and state.start is None and state.tool is None


def test_to_filters() -> None:
    assert FilterState(days=None).to_filters().all_time
    custom = FilterState(days=None, start=date(2025, 1, 1), end=date(2025, 1, 10), tool="Bash").to_filters()
    assert custom.window() == (date(2025, 1, 1), date(2025, 1, 10))
    assert custom.tool == "Bash"


def test_unknown_names_are_dropped() -> None:
    state, problems = FilterState(tool="Nope", phase="Build").without_unknown(
        templates=[], phases=["Build"], tools=["Read"]
    )
    assert state == FilterState(phase="Build")
    assert problems == ["no data has tool 'Nope'; that filter is off"]


def test_formatting() -> None:
    assert [duration(v) for v in (None, 5, 4_200, 750_000, 11_160_000)] == ["–", "5 ms", "4.2 s", "12.5 min", "3.1 h"]
    assert count_change(110, 100) == "+10 (+10.0%)"
    assert count_change(5, 0) == "+5 (new)"
    assert count_change(0, 0) is None
    assert duration_change(1_000, 2_000) == "-1.0 s (-50.0%)"
    assert duration_change(2_500, 2_000) == "+500 ms (+25.0%)"
    assert share_change(0.95, 0.9) == "+5.0 pp"
    assert share_change(None, 0.9) is None
    assert workflow_href("a b&c=d") == "workflow?adw_id=a+b%26c%3Dd"
