"""Failures: which calls fail, how, how often per tool over time; a link from each to its workflow.

Every narrowing (error kind, message text, run) and the sort order are the service's, over every
matching failure: the counts and the pages are of all of them, never of the rows loaded.
"""

from __future__ import annotations

import math
from typing import Final

import pandas as pd
import streamlit as st

from tooltrack.dashboard import charts
from tooltrack.dashboard.formatting import percent, utc_time, workflow_href
from tooltrack.dashboard.page import NO_MATCH, analysis_page, stop_with_info, workflow_link
from tooltrack.dashboard.recovery import recovery_section
from tooltrack.dashboard.text import shorten
from tooltrack.models import MAX_NAME

PAGE_SIZES: Final = (100, 250, 1000)
#: Streamlit's grid row height, and the most error kinds shown without the table's own scrolling.
ROW_PX: Final = 35
KINDS_SHOWN: Final = 40
ALL_KINDS: Final = "All error kinds"
#: The service's sort orders, as the sort box names them.
SORTS: Final = {
    "newest": "Newest first",
    "oldest": "Oldest first",
    "tool": "Tool (A–Z), newest first",
    "kind": "Error kind (A–Z), newest first",
    "duration": "Slowest first",
}
KEYS: Final = {
    "size": "failures_page_size",
    "page": "failures_page",
    "kind": "failures_kind",
    "search": "failures_search",
    "adw_id": "failures_adw_id",
    "sort": "failures_sort",
}
WHEN: Final = st.column_config.DatetimeColumn("When (UTC)", format="YYYY-MM-DD HH:mm:ss")


def kind_label(tool: str, kind: str) -> str:
    return f"{tool}: {kind}"


page = analysis_page("Failures", "Failing calls (cancelled parallel siblings are not failures of their own).")
summary = page.data.summary(page.filters)
if summary.total_tool_calls == 0:
    stop_with_info(NO_MATCH)

overall = summary.overall
kpis = st.columns(3)
kpis[0].metric("Failed calls", f"{summary.total_failures:,}")
kpis[1].metric("Failure rate", percent(None if overall.success_rate is None else 1 - overall.success_rate))
kpis[2].metric("Cancelled (sibling failed)", f"{summary.total_cancelled:,}")

st.plotly_chart(charts.failure_rate_over_time(page.data.failure_rate_over_time(page.filters)), width="stretch")

# The narrowing and paging widgets sit by the table below; their values are read first, to ask
# the service for the kinds and the page they select.
search = (st.session_state.get(KEYS["search"]) or "").strip() or None
run = (st.session_state.get(KEYS["adw_id"]) or "").strip() or None
sort: str = st.session_state.get(KEYS["sort"], "newest")
size: int = st.session_state.get(KEYS["size"], PAGE_SIZES[0])
number: int = st.session_state.get(KEYS["page"], 1)
# Every kind among the failures the other narrowings match (the kind box picks from these).
base = page.data.failures(page.filters, limit=1, contains=search, adw_id=run)
kinds = {kind_label(k.tool_name, k.error_kind): k for k in base.kinds}
chosen_label: str = st.session_state.get(KEYS["kind"], ALL_KINDS)
chosen = kinds.get(chosen_label)
if chosen is None:
    chosen_label = ALL_KINDS
# One kind is a tool and a message shape: the tool narrows the service's filters.
narrowed = page.filters if chosen is None else page.filters.model_copy(update={"tool": chosen.tool_name})
kind = None if chosen is None else chosen.error_kind


report = page.data.failures(narrowed, limit=size, offset=(number - 1) * size, error_kind=kind, contains=search,
                            adw_id=run, sort=sort)  # fmt: skip
pages = max(1, math.ceil(report.total / size))
if number > pages:  # the narrowing changed under a later page: start again from the first
    number = 1
    report = page.data.failures(narrowed, limit=size, offset=0, error_kind=kind, contains=search, adw_id=run,
                                sort=sort)  # fmt: skip

st.subheader("Error kinds")
if not base.kinds:
    st.info("No failing calls match these filters.")
else:
    st.plotly_chart(charts.error_kinds(base.kinds), width="stretch")
    # Full width, counts before the example text: the counts are read without scrolling.
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Failures": k.count,
                    "Tool": k.tool_name,
                    "Kind": k.error_kind,
                    "Last seen (UTC)": utc_time(k.last_seen),
                    "Example": shorten(k.example, 160),
                }
                for k in base.kinds
            ],
            columns=["Failures", "Tool", "Kind", "Last seen (UTC)", "Example"],
        ),
        hide_index=True,
        width="stretch",
        # Tall enough for every kind (up to KINDS_SHOWN rows): their counts read without scrolling.
        height=ROW_PX * (min(len(base.kinds), KINDS_SHOWN) + 1) + 3,
        column_config={
            "Failures": st.column_config.NumberColumn(width="small"),
            "Last seen (UTC)": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss"),
            "Kind": st.column_config.TextColumn(width=180),
            "Example": st.column_config.TextColumn(width=380),
        },
    )
    st.caption(f"{len(base.kinds):,} error kinds, {base.total:,} failing calls in all.")

st.subheader("Failing calls")
narrow = st.columns([2, 2, 2])
labels = [ALL_KINDS, *kinds]
st.session_state[KEYS["kind"]] = chosen_label
narrow[0].selectbox("Error kind", labels, key=KEYS["kind"])
narrow[1].text_input("Message contains", key=KEYS["search"], max_chars=200, help="Case-insensitive, over every failure")
narrow[2].text_input("adw_id", key=KEYS["adw_id"], max_chars=MAX_NAME, help="Only this run's failures")
paging = st.columns([2, 1, 1])
paging[0].selectbox("Sort by", list(SORTS), format_func=SORTS.__getitem__, key=KEYS["sort"])
paging[1].selectbox("Rows per page", PAGE_SIZES, key=KEYS["size"])
st.session_state[KEYS["page"]] = number
paging[2].number_input(f"Page (of {pages:,})", min_value=1, max_value=pages, key=KEYS["page"])

if report.total == 0:
    stop_with_info("No failing calls match these filters.")
table = pd.DataFrame(
    [
        {
            "When (UTC)": utc_time(row.occurred_at),
            "Tool": row.tool_name,
            "Error kind": row.error_kind,
            "Workflow": row.adw_id,
            "Drill-down": workflow_href(row.adw_id),
            "Duration (ms)": row.duration_ms,
            "Message": shorten(row.error_message, 200),
            "Phase": row.phase_name,
        }
        for row in report.rows
    ],
    columns=["When (UTC)", "Tool", "Error kind", "Workflow", "Drill-down", "Duration (ms)", "Message", "Phase"],
)  # fmt: skip
first = report.offset + 1
st.caption(
    f"{first:,}–{report.offset + len(report.rows):,} of {report.total:,} matching failures, "
    f"{SORTS[sort].lower()} (sorted over all of them; a click on a column header sorts only this page)."
)
st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    column_config={
        "When (UTC)": WHEN,
        "Drill-down": st.column_config.LinkColumn(display_text="Open", width="small"),
        "Duration (ms)": st.column_config.NumberColumn(format="%d"),
        # Bounded, so that the whole row fits 1440 px (the full message is in the run's drill-down).
        "Message": st.column_config.TextColumn(width=220),
        "Error kind": st.column_config.TextColumn(width=150),
        "Workflow": st.column_config.TextColumn(width=130),
    },
)

workflows = list(dict.fromkeys(row.adw_id for row in report.rows))
picked = st.selectbox("Workflow to open", workflows, key="failures_open")
if picked is not None:
    workflow_link(picked)

# What agents did after each failure (tooltrack/dashboard/recovery.py), over every matching failure.
recovery_section(page.data, page.filters)
