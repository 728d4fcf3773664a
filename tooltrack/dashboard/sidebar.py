"""The filters every analysis page shares, in the sidebar and in the URL query.

Where the filters come from, in order:
1. the URL, when its filter parameters differ from what this session last wrote there (a shared
   link, or a link from another page);
2. the sidebar widgets, when they still hold state;
3. what the last page of this session used (pages without the sidebar drop the widgets' state,
   and Streamlit clears the query when the user switches pages).
The result is written back to the URL, so the address bar always shares the current view.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Final

import streamlit as st

from tooltrack.analytics import EARLIEST_DAY, LATEST_DAY, MAX_DAYS, FilterOptions, today_utc
from tooltrack.dashboard.filter_state import PERIOD_DAYS, QUERY_KEYS, FilterState
from tooltrack.dashboard.text import md

#: Session keys: the widgets', the last state used, and the last query written to the URL.
PERIOD_KEY: Final = "filter_period"
RANGE_KEY: Final = "filter_range"
NAME_KEYS: Final = {
    "template": "filter_template",
    "phase": "filter_phase",
    "tool": "filter_tool",
    "project": "filter_project",
    "model": "filter_model",
    "agent": "filter_agent",
}
SAVED_KEY: Final = "tooltrack_filters"
#: A custom range starts as the last 30 days, until the user picks its days.
DEFAULT_CUSTOM_DAYS: Final = 30
WRITTEN_KEY: Final = "tooltrack_filters_query"
#: The filters the current page shows no widget for.
HIDDEN_KEY: Final = "tooltrack_filters_hidden"

PERIOD_LABELS: Final = {
    "1": "Today (UTC)",
    "7": "Last 7 days",
    "30": "Last 30 days",
    "90": "Last 90 days",
    "365": "Last 365 days",
    "all": "All time",
    "custom": "Custom range",
}
ALL_LABELS: Final = {
    "template": "All templates",
    "phase": "All phases",
    "tool": "All tools",
    "project": "All projects",
    "model": "All models",
    "agent": "All agents",
}
TITLES: Final = {
    "template": "Workflow template",
    "phase": "Phase",
    "tool": "Tool",
    "project": "Project",
    "model": "Model",
    "agent": "Agent",
}
assert set(PERIOD_LABELS) == {*map(str, PERIOD_DAYS), "all", "custom"}


def _url_filters() -> dict[str, str]:
    return {key: st.query_params[key] for key in QUERY_KEYS if key in st.query_params}


def _put_in_widgets(state: FilterState) -> None:
    st.session_state[PERIOD_KEY] = state.period
    if state.start is not None and state.end is not None:
        st.session_state[RANGE_KEY] = (state.start, state.end)
    for name, key in NAME_KEYS.items():
        st.session_state[key] = getattr(state, name)


def _from_widgets(previous: FilterState) -> FilterState:
    period = st.session_state.get(PERIOD_KEY, previous.period)
    # A filter without a widget on this page keeps what it was (its widget state is gone).
    hidden = st.session_state.get(HIDDEN_KEY, ())
    names = {
        name: getattr(previous, name) if name in hidden else st.session_state.get(key)
        for name, key in NAME_KEYS.items()
    }
    if period == "custom":
        chosen = st.session_state.get(RANGE_KEY)
        # While the user is picking, the date input holds only the first day: keep the old range.
        if isinstance(chosen, tuple | list) and len(chosen) == 2:
            # Within the days a window may hold (the date arithmetic below and the service's own
            # stays inside the calendar), and at most MAX_DAYS of them: keep the newest ones.
            start, end = (min(max(day, EARLIEST_DAY), LATEST_DAY) for day in sorted(chosen))
            if (end - start).days >= MAX_DAYS:
                start = end - timedelta(days=MAX_DAYS - 1)
            return FilterState(days=None, start=start, end=end, **names)
        if previous.start is not None and previous.end is not None:
            return FilterState(days=None, start=previous.start, end=previous.end, **names)
        today = today_utc()
        return FilterState(days=None, start=today - timedelta(days=DEFAULT_CUSTOM_DAYS - 1), end=today, **names)
    days = None if period == "all" else int(period)
    return FilterState(days=days, **names)


def _name_label(all_label: str) -> Callable[[str | None], str]:
    """How a name filter's choice reads: None is "all", "" the task logs that have no name."""

    def label(value: str | None) -> str:
        return all_label if value is None else (value or "(none)")

    return label


def _options_with(values: list[str], current: str | None) -> list[str | None]:
    # A value set from the URL or another page stays selectable even if it is not in the list.
    extra = [current] if current is not None and current not in values else []
    return [None, *values, *extra]


def _remember() -> None:
    # Runs before the rerun, only when the user changed a filter: the widgets are the truth then.
    st.session_state[SAVED_KEY] = _from_widgets(st.session_state.get(SAVED_KEY, FilterState()))


def _known(options: FilterOptions) -> dict[str, list[str]]:
    return {
        "template": options.workflow_templates,
        "phase": options.phases,
        "tool": options.tools,
        "project": options.projects,
        "model": options.models,
        "agent": options.agents,
    }


def sidebar_filters(options: FilterOptions, *, hidden: tuple[str, ...] = ()) -> FilterState:
    """Show the shared filters in the sidebar and return what they say (also written to the URL).

    A filter named in `hidden` (e.g. "tool" on a page it does not apply to) has no widget: its
    value is kept for the other pages and the URL, and the page itself leaves it out."""
    url = _url_filters()
    problems: list[str] = []
    if url and url != st.session_state.get(WRITTEN_KEY):
        wanted, problems = FilterState.from_query(url)
        wanted, unknown = wanted.without_unknown(
            templates=options.workflow_templates,
            phases=options.phases,
            tools=options.tools,
            projects=options.projects,
            models=options.models,
            agents=options.agents,
        )
        problems += unknown
    else:
        wanted = st.session_state.get(SAVED_KEY, FilterState())
    # Widgets are set from the remembered state on every run: a widget on another page is another
    # widget to Streamlit, and would otherwise start again from its first option.
    _put_in_widgets(wanted)
    st.session_state[HIDDEN_KEY] = hidden

    bar = st.sidebar
    bar.header("Filters")
    bar.selectbox(
        "Period", list(PERIOD_LABELS), format_func=PERIOD_LABELS.__getitem__, key=PERIOD_KEY, on_change=_remember
    )
    if st.session_state[PERIOD_KEY] == "custom":
        bar.date_input("From – to (UTC days)", key=RANGE_KEY, on_change=_remember)
    known = _known(options)
    for name, key in NAME_KEYS.items():
        if name in hidden:
            continue
        all_label = ALL_LABELS[name]
        choices: list[str | None] = _options_with(known[name], st.session_state.get(key))
        bar.selectbox(
            TITLES[name],
            choices,
            format_func=_name_label(all_label),
            placeholder=all_label,  # what Streamlit shows for the None value
            key=key,
            on_change=_remember,
        )
    for name in hidden:
        bar.caption(f"{TITLES[name]}: not a filter on this page.")
    for problem in problems:
        bar.warning(md(f"Ignored in the link: {problem}"))

    state = _from_widgets(wanted)
    st.session_state[SAVED_KEY] = state
    query = state.to_query()
    for key in QUERY_KEYS:
        if key not in query and key in st.query_params:
            del st.query_params[key]
    for key, value in query.items():
        if st.query_params.get(key) != value:
            st.query_params[key] = value
    st.session_state[WRITTEN_KEY] = query
    return state
