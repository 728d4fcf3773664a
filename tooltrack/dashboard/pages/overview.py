"""Overview: how many calls, how many workflows, how often they succeed, how much time the tools take."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from tooltrack.analytics import CostGroup, GroupStats, Summary
from tooltrack.dashboard import charts
from tooltrack.dashboard.formatting import count_change, duration, duration_change, percent, share_change
from tooltrack.dashboard.page import NO_MATCH, analysis_page, stop_with_info

#: How the service's cost answer names the group of calls without a template.
NONE = "(none)"

page = analysis_page("Overview", "Tool calls of every workflow run in the period, against the period before it.")
summary: Summary = page.data.summary(page.filters)
# "All time" has no period before it: no deltas then.
earlier = page.filters.previous_period()
previous: Summary | None = page.data.summary(earlier) if earlier is not None else None

if summary.total_tool_calls == 0:
    stop_with_info(NO_MATCH)

now = summary.overall
before = previous.overall if previous is not None else None
against = f", against {previous.window.start} to {previous.window.end}" if previous is not None else ""
st.caption(f"{summary.window.start} to {summary.window.end} (UTC){against}")
kpis = iter(st.columns(4))
next(kpis).metric(
    "Tool calls",
    f"{summary.total_tool_calls:,}",
    count_change(summary.total_tool_calls, previous.total_tool_calls) if previous else None,
)
# Workflows: the runs with activity in the window.
next(kpis).metric(
    "Workflows", f"{summary.workflows:,}", count_change(summary.workflows, previous.workflows) if previous else None
)
next(kpis).metric(
    "Success rate", percent(now.success_rate), share_change(now.success_rate, before.success_rate) if before else None
)
next(kpis).metric(
    "Total tool time",
    duration(now.total_duration_ms),
    duration_change(now.total_duration_ms, before.total_duration_ms) if before else None,
    delta_color="inverse",
)
if previous is not None:
    st.caption(f"{summary.task_logs:,} task logs (phases) in the period, {previous.task_logs:,} in the one before.")
else:
    st.caption(f"{summary.task_logs:,} task logs (phases) in all.")

st.plotly_chart(charts.calls_over_time(page.data.calls_over_time(page.filters)), width="stretch")


#: Attributed cost per template and per phase, from the service's cost answer.
cost = page.data.cost_report(page.filters)


def known_cost(groups: list[CostGroup], name: str) -> float | None:
    """The group's attributed dollars; None (unknown, not zero) when none of its calls has a cost."""
    found = next((g for g in groups if g.name == name), None)
    return None if found is None or found.costed_calls == 0 else found.cost_usd


def group_frame(groups: list[GroupStats], label: str, costs: list[CostGroup]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                label: g.name or NONE,
                "Calls": g.count,
                "Failures": g.failures,
                "Success rate": g.success_rate,
                "Total time (s)": round(g.total_duration_ms / 1000, 1),
                "Mean (ms)": g.avg_duration_ms,
                "Cost ($)": known_cost(costs, g.name or NONE),
            }
            for g in groups
        ],
        columns=[label, "Calls", "Failures", "Success rate", "Total time (s)", "Mean (ms)", "Cost ($)"],
    )


share = st.column_config.ProgressColumn(
    "Success rate", format="percent", min_value=0, max_value=1, color=charts.SUCCESS_COLOUR
)
mean = st.column_config.NumberColumn("Mean (ms)", format="%.0f")
dollars_column = st.column_config.NumberColumn(
    "Cost ($)", format="%.4f", help="Dollars attributed to the calls; empty where no call has a known cost."
)
columns = {"Success rate": share, "Mean (ms)": mean, "Cost ($)": dollars_column}
# One above the other, at the page's full width: side by side, their columns were cut at 1440 px.
st.subheader("By workflow template")
st.dataframe(
    group_frame(summary.by_workflow_template, "Template", cost.by_workflow_template),
    hide_index=True,
    width="stretch",
    column_config=columns,
)
st.subheader("By phase")
st.dataframe(
    group_frame(summary.by_phase, "Phase", cost.by_phase),
    hide_index=True,
    width="stretch",
    column_config=columns,
)
