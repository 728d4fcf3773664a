"""Redundancy: which workflow runs waste most time on repeated reads and re-runs, and what to do."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from tooltrack.dashboard import charts, tables
from tooltrack.dashboard.formatting import duration, workflow_href
from tooltrack.dashboard.page import analysis_page, stop_with_info, workflow_link
from tooltrack.dashboard.text import md

ALERTS = 20

page = analysis_page(
    "Redundancy",
    "Files read again with no change in between, commands re-run with nothing changed, runs of edits "
    "of one file. Calls made in parallel in one turn are not counted. The tool filter does not apply here.",
)
alerts = page.data.redundancy_alerts(page.filters, limit=ALERTS)
if not alerts:
    stop_with_info("No repeated work found in the workflow runs that match these filters.")

kpis = st.columns(3)
kpis[0].metric("Workflows with repeated work (top)", f"{len(alerts):,}")
kpis[1].metric("Redundant calls in them", f"{sum(a.redundant_calls for a in alerts):,}")
kpis[2].metric("Time wasted in them", duration(sum(a.wasted_duration_ms for a in alerts)))

left, right = st.columns([3, 2])
with left:
    st.plotly_chart(charts.wasted_time(alerts), width="stretch")
with right:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Workflow": a.adw_id,
                    "Template": a.workflow_template,
                    "Redundant calls": a.redundant_calls,
                    "Wasted (s)": round(a.wasted_duration_ms / 1000, 1),
                    "Phases": a.task_logs,
                    "Last day": a.last_day,
                    "Drill-down": workflow_href(a.adw_id),
                }
                for a in alerts
            ]
        ),
        hide_index=True,
        width="stretch",
        column_config={"Drill-down": st.column_config.LinkColumn(display_text="Open")},
    )

st.subheader("One workflow run")
ids = [a.adw_id for a in alerts]
asked = st.query_params.get("adw_id")
chosen = st.selectbox(
    "Workflow", ids, index=ids.index(asked) if asked in ids else 0, key="redundancy_adw_id", help="worst first"
)
report = page.data.redundancy(chosen)
cols = st.columns(4)
cols[0].metric("Tool calls", f"{report.tool_calls:,}")
cols[1].metric("Redundant calls", f"{report.redundant_calls:,}")
cols[2].metric("Time wasted", duration(report.wasted_duration_ms))
cols[3].metric("Phases", f"{report.task_logs:,}")
if not report.redundancies:
    st.info("No repeated work in this run.")
else:
    st.dataframe(tables.redundancy_findings(report.redundancies), hide_index=True, width="stretch")
    st.markdown("**Suggestions**")
    for suggestion in dict.fromkeys(f.suggestion for f in report.redundancies):
        st.markdown(f"- {md(suggestion)}")
workflow_link(chosen)
