"""What every page starts with: its title, the data, the shared filters, and the empty cases."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final, NoReturn

import streamlit as st

from tooltrack.analytics import FilterOptions, Filters
from tooltrack.dashboard.filter_state import FilterState
from tooltrack.dashboard.loaders import DashboardData, current_data
from tooltrack.dashboard.navigation import PAGES
from tooltrack.dashboard.sidebar import sidebar_filters
from tooltrack.dashboard.text import md

#: The drill-down page, for links that carry `?adw_id=`. Absolute: a path relative to the main
#: script would name no page when the packaged main script (entry/app.py) runs instead of app.py.
WORKFLOW_PAGE: Final = str(PAGES / "workflow.py")
INGEST_PAGE: Final = str(PAGES / "ingest.py")

EMPTY_DATABASE: Final = (
    "No tool calls stored yet. Run `tooltrack demo` for demo data, or upload your agents' logs on the Ingest page."
)
NO_MATCH: Final = "No tool calls match these filters. Widen the period or clear a filter in the sidebar."


@dataclass(frozen=True, slots=True)
class PageContext:
    """What an analysis page works from: the data, the filters' state, and the service's filters."""

    data: DashboardData
    options: FilterOptions
    state: FilterState
    filters: Filters


def stop_with_info(message: str) -> NoReturn:
    """Say why there is nothing to show, and end this run of the page (no traceback, no half page)."""
    st.info(message)
    st.stop()
    raise AssertionError("st.stop() returned")  # pragma: no cover - st.stop raises


def require_data(data: DashboardData) -> FilterOptions:
    """The filter options, or an explanation and the end of the page when the database is empty."""
    options = data.filter_options()
    if not options.tools:
        stop_with_info(EMPTY_DATABASE)
    return options


def analysis_page(title: str, caption: str, *, hidden: tuple[str, ...] = ()) -> PageContext:
    """Title, caption and shared sidebar filters of a page that analyses a window of calls.

    The filters named in `hidden` (sidebar keys, e.g. "tool") do not apply on this page: they have
    no widget there and are left out of its `filters` (the other pages keep them)."""
    st.title(title)
    st.caption(caption)
    data = current_data()
    options = require_data(data)
    state = sidebar_filters(options, hidden=hidden)
    shown = replace(state, **dict.fromkeys(hidden))
    return PageContext(data=data, options=options, state=state, filters=shown.to_filters())


def workflow_link(adw_id: str, label: str | None = None) -> None:
    """A link to the drill-down of `adw_id` (the label is shown as plain text, never Markdown)."""
    text = md(label or f"Open workflow {adw_id}")
    st.page_link(WORKFLOW_PAGE, label=text, icon=":material/search:", query_params={"adw_id": adw_id})
