"""Tools and latency: per-tool percentiles, a latency distribution, the slowest calls, top Bash commands."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from tooltrack.core import PERCENTILE_ERROR
from tooltrack.dashboard import charts
from tooltrack.dashboard.formatting import workflow_href
from tooltrack.dashboard.page import NO_MATCH, analysis_page, stop_with_info
from tooltrack.dashboard.text import shorten

SLOWEST: int = 25

page = analysis_page("Tools and latency", "How long each tool takes (calls of unknown length are left out).")
summary = page.data.summary(page.filters)
if summary.total_tool_calls == 0:
    stop_with_info(NO_MATCH)

tools = list(summary.by_tool.values())
per_tool = pd.DataFrame(
    [
        {
            "Tool": t.tool_name,
            "Calls": t.count,
            "Failures": t.failures,
            "Success rate": t.success_rate,
            "p50 (ms)": t.p50_duration_ms,
            "p95 (ms)": t.p95_duration_ms,
            "Max (ms)": t.max_duration_ms,
            "Mean (ms)": t.avg_duration_ms,
            "Total time (s)": round(t.total_duration_ms / 1000, 1),
            "Timed calls": t.timed_count,
        }
        for t in tools
    ]
)
st.subheader("Per tool")
st.dataframe(
    per_tool,
    hide_index=True,
    width="stretch",
    column_config={
        "Success rate": st.column_config.ProgressColumn(
            format="percent", min_value=0, max_value=1, color=charts.SUCCESS_COLOUR
        ),
        # Bucket estimates are marked "≈", with their error bound in the help, so that they never
        # pass for measured figures.
        "p50 (ms)": st.column_config.NumberColumn(format="≈ %.0f", help=charts.PERCENTILE_HELP),
        "p95 (ms)": st.column_config.NumberColumn(format="≈ %.0f", help=charts.PERCENTILE_HELP),
        "Max (ms)": st.column_config.NumberColumn(format="%d", help="The slowest call measured."),
        "Mean (ms)": st.column_config.NumberColumn(format="%.0f"),
    },
)

left, right = st.columns(2)
with left:
    st.plotly_chart(charts.latency_percentiles(tools), width="stretch")
with right:
    names = [t.tool_name for t in tools]
    default = names.index(page.filters.tool) if page.filters.tool in names else 0
    chosen = st.selectbox("Distribution of", names, index=default, key="tools_histogram_tool")
    histogram = page.data.latency_histogram(page.filters, chosen)
    if histogram.count == 0:
        st.info("No timed calls of this tool in the period.")
    else:
        st.plotly_chart(charts.latency_distribution(histogram), width="stretch")
        st.caption(
            f"{histogram.count:,} timed calls · p50 {charts.estimate(histogram.p50_duration_ms)} · "
            f"p95 {charts.estimate(histogram.p95_duration_ms)} · p99 {charts.estimate(histogram.p99_duration_ms)} "
            f"(estimates within ±{PERCENTILE_ERROR * 100:g} %, never above the slowest call)"
        )

trend = page.data.latency_over_time(page.filters)
if trend:
    st.plotly_chart(charts.latency_trend(trend), width="stretch")

st.subheader("Slowest calls")
slowest = page.data.slowest_calls(page.filters, limit=SLOWEST)
st.dataframe(
    pd.DataFrame(
        [
            {
                "Duration (s)": round(c.duration_ms / 1000, 2),
                "Tool": c.tool_name,
                "Target": shorten(c.target),
                "OK": c.success,
                "Phase": c.phase_name,
                "Template": c.workflow_template,
                "When (UTC)": c.occurred_at,
                "Workflow": c.adw_id,
                "Drill-down": workflow_href(c.adw_id),
            }
            for c in slowest
        ],
        columns=["Duration (s)", "Tool", "Target", "OK", "Phase", "Template", "When (UTC)", "Workflow", "Drill-down"],
    ),
    hide_index=True,
    width="stretch",
    column_config={"Drill-down": st.column_config.LinkColumn(display_text="Open")},
)

st.subheader("Top Bash commands")
if not summary.top_commands:
    st.info("No Bash commands in the period.")
else:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Command": c.command,
                    "Runs": c.count,
                    "Failures": c.failures,
                    "Success rate": c.success_rate,
                    "Mean (ms)": c.avg_duration_ms,
                    "Max (ms)": c.max_duration_ms,
                    "Total time (s)": round(c.total_duration_ms / 1000, 1),
                }
                for c in summary.top_commands
            ]
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "Success rate": st.column_config.ProgressColumn(
                format="percent", min_value=0, max_value=1, color=charts.SUCCESS_COLOUR
            ),
            "Mean (ms)": st.column_config.NumberColumn(format="%.0f"),
        },
    )
