"""Failures: which calls fail, how, how often per tool over time; a link from each to its workflow."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from tooltrack.dashboard import charts
from tooltrack.dashboard.formatting import percent, workflow_href
from tooltrack.dashboard.page import NO_MATCH, analysis_page, stop_with_info, workflow_link
from tooltrack.dashboard.recovery import recovery_section
from tooltrack.dashboard.text import shorten

PAGE_SIZES = (100, 250, 1000)
ALL_KINDS = "All error kinds"

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

# The paging widgets sit by the table below; their values are read first, to load that page.
size: int = st.session_state.get("failures_page_size", PAGE_SIZES[0])
number: int = st.session_state.get("failures_page", 1)
report = page.data.failures(page.filters, limit=size, offset=(number - 1) * size)
if report.total == 0:
    stop_with_info("No failing calls match these filters.")
pages = max(1, math.ceil(report.total / size))
if number > pages:  # the filters changed under a later page: start again from the first
    number = 1
    report = page.data.failures(page.filters, limit=size, offset=0)

st.subheader("Error kinds")
left, right = st.columns([3, 2])
with left:
    st.plotly_chart(charts.error_kinds(report.kinds), width="stretch")
with right:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Tool": k.tool_name,
                    "Kind": k.error_kind,
                    "Failures": k.count,
                    "Example": shorten(k.example),
                    "Last seen (UTC)": k.last_seen,
                }
                for k in report.kinds
            ],
            columns=["Tool", "Kind", "Failures", "Example", "Last seen (UTC)"],
        ),
        hide_index=True,
        width="stretch",
    )

st.subheader("Failing calls")
paging = st.columns([1, 1, 2])
paging[0].selectbox("Rows per page", PAGE_SIZES, key="failures_page_size")
paging[1].number_input(f"Page (of {pages})", min_value=1, max_value=pages, value=number, key="failures_page")
kind_labels = sorted({f"{row.tool_name}: {row.error_kind}" for row in report.rows})
narrow = st.columns([2, 3])
kind = narrow[0].selectbox("Error kind", [ALL_KINDS, *kind_labels], key="failures_kind")
search = narrow[1].text_input("Message contains", key="failures_search", max_chars=200)
rows = [
    row
    for row in report.rows
    if (kind == ALL_KINDS or f"{row.tool_name}: {row.error_kind}" == kind)
    and (not search or search.lower() in (row.error_message or "").lower())
]
table = pd.DataFrame(
    [
        {
            "When (UTC)": row.occurred_at,
            "Tool": row.tool_name,
            "Error kind": row.error_kind,
            "Message": shorten(row.error_message, 200),
            "Duration (ms)": row.duration_ms,
            "Phase": row.phase_name,
            "Template": row.workflow_template,
            "Workflow": row.adw_id,
            "Drill-down": workflow_href(row.adw_id),
        }
        for row in rows
    ],
    columns=[
        "When (UTC)", "Tool", "Error kind", "Message", "Duration (ms)", "Phase", "Template", "Workflow", "Drill-down",
    ],
)  # fmt: skip
st.caption(
    f"Showing {len(rows):,} of the {len(report.rows):,} failures on page {number} "
    f"({report.total:,} in all, newest first). Click a column header to sort."
)
st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    column_config={"Drill-down": st.column_config.LinkColumn(display_text="Open")},
)

if rows:
    workflows = list(dict.fromkeys(row.adw_id for row in rows))
    chosen = st.selectbox("Workflow to open", workflows, key="failures_open")
    workflow_link(chosen)

# What agents did after each failure (tooltrack/dashboard/recovery.py), over every matching failure.
recovery_section(page.data, page.filters)
