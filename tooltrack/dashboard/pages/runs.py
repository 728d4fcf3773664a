"""Runs: every run, newest first, the engineer's starting point; each row opens its drill-down.

Paged in the database (tooltrack.analytics.runs): only the rows of the page shown are fetched, and
the count is over every match, so 100,000 runs page as fast as 100. Sorting, the outcome filter
and the search (an id prefix, a word of the title, a project) run in the service too; clicking a
column header sorts only the page shown, which the caption says.
"""

from __future__ import annotations

import math
from typing import Final

import streamlit as st

from tooltrack.analytics import MAX_OFFSET
from tooltrack.dashboard import run_data, run_tables
from tooltrack.dashboard.page import analysis_page, stop_with_info
from tooltrack.dashboard.text import md

SORTS: Final = {
    "last_at": "Last activity",
    "first_at": "Start",
    "duration": "Duration",
    "calls": "Calls",
    "failed_calls": "Failed calls",
    "redundant_calls": "Redundant calls",
    "cost": "Cost",
    "adw_id": "Run id",
}
OUTCOMES: Final = {
    "": "All outcomes",
    "failed": "Failed runs",
    "interrupted": "Interrupted runs",
    "completed": "Completed runs",
}
ORDERS: Final = {"desc": "Newest / largest first", "asc": "Oldest / smallest first"}
SIZES: Final = (50, 100, 250)
MAX_SEARCH: Final = 200

#: Widget key -> (URL key, the values it may take or None for free text, default).
WIDGETS: Final[dict[str, tuple[str, tuple[str, ...] | None, str]]] = {
    "runs_search": ("q", None, ""),
    "runs_outcome": ("outcome", tuple(OUTCOMES), ""),
    "runs_sort": ("sort", tuple(SORTS), "last_at"),
    "runs_order": ("order", tuple(ORDERS), "desc"),
    "runs_size": ("size", tuple(map(str, SIZES)), str(SIZES[0])),
    "runs_page": ("page", None, "1"),
}
#: What this page last wrote to the URL: a URL that differs was given (a link), and wins once.
WRITTEN_KEY: Final = "runs_query_written"


def _from_url() -> None:
    """Set the widgets from the URL when it holds what this page did not write there itself."""
    query = {url: st.query_params[url] for url, _, _ in WIDGETS.values() if url in st.query_params}
    if not query or query == st.session_state.get(WRITTEN_KEY):
        return
    for key, (url, allowed, default) in WIDGETS.items():
        value = query.get(url, default)
        if allowed is not None and value not in allowed:
            st.warning(md(f"Ignored in the link: {url}={value!r}"))
            value = default
        if key == "runs_page":
            st.session_state[key] = int(value) if value.isdigit() and int(value) >= 1 else 1
        elif key == "runs_size":
            st.session_state[key] = int(value)
        else:
            st.session_state[key] = value[:MAX_SEARCH]


def _to_url(values: dict[str, str]) -> None:
    """Write the page's state to the URL (defaults left out), and remember what was written."""
    written: dict[str, str] = {}
    for key, (url, _, default) in WIDGETS.items():
        value = values[key]
        if value != default:
            written[url] = value
            if st.query_params.get(url) != value:
                st.query_params[url] = value
        elif url in st.query_params:
            del st.query_params[url]
    st.session_state[WRITTEN_KEY] = written


def _first_page() -> None:
    # A new search, filter, order or page size starts again from the first page.
    st.session_state["runs_page"] = 1


page = analysis_page(
    "Runs",
    "Every workflow run and agent session, newest first. Open a run for its drill-down. "
    "The period and the template, project, model and agent filters apply; phase and tool do not (they narrow calls).",
)
_from_url()

top = st.columns([3, 2, 2, 2, 1])
top[0].text_input(
    "Search",
    key="runs_search",
    max_chars=MAX_SEARCH,
    placeholder="an id prefix, a word of the title, a project",
    on_change=_first_page,
)
top[1].selectbox("Outcome", list(OUTCOMES), format_func=OUTCOMES.__getitem__, key="runs_outcome", on_change=_first_page)
top[2].selectbox("Sort by", list(SORTS), format_func=SORTS.__getitem__, key="runs_sort", on_change=_first_page)
top[3].selectbox("Order", list(ORDERS), format_func=ORDERS.__getitem__, key="runs_order", on_change=_first_page)
top[4].selectbox("Rows", SIZES, key="runs_size", on_change=_first_page)

search = str(st.session_state.get("runs_search", "")).strip()
outcome = st.session_state.get("runs_outcome") or None
sort = st.session_state.get("runs_sort", "last_at")
descending = st.session_state.get("runs_order", "desc") == "desc"
size = int(st.session_state.get("runs_size", SIZES[0]))
number = max(1, int(st.session_state.get("runs_page", 1)))
if "\x00" in search:
    st.warning("A search cannot hold a NUL character; it is ignored.")
    search = ""

offset = min((number - 1) * size, MAX_OFFSET)
result = run_data.runs(
    page.data, page.filters, outcome=outcome, search=search, sort=sort, descending=descending, limit=size, offset=offset
)
pages = max(1, math.ceil(result.total / size))
if number > pages:  # the filters changed under a later page: show the last one there is
    number = pages
    offset = (number - 1) * size
    result = run_data.runs(
        page.data, page.filters, outcome=outcome, search=search, sort=sort, descending=descending, limit=size,
        offset=offset,
    )  # fmt: skip
st.session_state["runs_page"] = number
_to_url(
    {
        "runs_search": search,
        "runs_outcome": outcome or "",
        "runs_sort": sort,
        "runs_order": "desc" if descending else "asc",
        "runs_size": str(size),
        "runs_page": str(number),
    }
)

if result.total == 0:
    stop_with_info(
        "No run matches this search and these filters. Clear the search, pick another outcome or widen the period."
    )

shown = f"runs {offset + 1:,}–{offset + len(result.runs):,} of {result.total:,}"
st.caption(
    md(
        f"{result.total:,} runs match ({result.window.start} to {result.window.end}, UTC). "
        f"Showing {shown}, sorted by {SORTS[sort].lower()} ({ORDERS['desc' if descending else 'asc'].lower()}). "
        "A click on a column header sorts only this page; use Sort by for all of them."
    )
)
height = run_tables.height_for(len(result.runs))
run_tables.show(run_tables.runs(result.runs), run_tables.RUN_CONFIG, key="runs_table", height=height)
st.columns(4)[0].number_input(f"Page (of {pages:,})", min_value=1, max_value=pages, step=1, key="runs_page")
