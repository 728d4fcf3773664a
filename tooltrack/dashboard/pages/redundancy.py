"""Redundancy: how much repeated work the runs did, where, and which runs did most of it.

The headline figures and the breakdowns (by pattern, template and week) are the service's true
totals over every matching task log (`AnalyticsService.repeated_work`), not sums over the list of
runs below, which is a top list and says so. One run's detail takes the same filters, so its
figures are its row of that list. The tool filter does not apply (repeated work spans tools) and
is not offered here.
"""

from __future__ import annotations

from typing import Final

import pandas as pd
import streamlit as st

from tooltrack.analytics import RepeatedGroup
from tooltrack.dashboard import charts
from tooltrack.dashboard.formatting import dollars, duration, workflow_href
from tooltrack.dashboard.page import analysis_page, stop_with_info, workflow_link
from tooltrack.dashboard.text import md, shorten

TOP: Final = 20
MONEY: Final = st.column_config.NumberColumn("Wasted ($)", format="$%.4f")
#: Bounded, so that the tables fit 1440 px (the drill-down shows a target in full).
TARGET: Final = st.column_config.TextColumn(width=220)
PATTERN: Final = st.column_config.TextColumn(width=200)
DETAIL_COLUMNS: Final = [
    "Pattern", "Target", "Redundant calls", "Of calls", "Wasted (s)", "Wasted tokens", "Wasted ($)", "Phases",
]  # fmt: skip


def groups_frame(groups: list[RepeatedGroup], label: str) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                label: g.name,
                "Redundant calls": g.redundant_calls,
                "Runs": g.runs,
                "Wasted (s)": round(g.wasted_duration_ms / 1000, 1),
                "Wasted tokens": g.wasted_tokens,
                "Wasted ($)": g.wasted_cost_usd,
            }
            for g in groups
        ],
        columns=[label, "Redundant calls", "Runs", "Wasted (s)", "Wasted tokens", "Wasted ($)"],
    )


page = analysis_page(
    "Redundancy",
    "Files read again with no change in between, commands re-run with nothing changed, runs of edits "
    "of one file. Calls made in parallel in one turn are not counted.",
    hidden=("tool",),
)
work = page.data.repeated_work(page.filters, top=TOP)
if work.runs == 0:
    stop_with_info("No repeated work found in the workflow runs that match these filters.")

kpis = st.columns(5)
kpis[0].metric("Runs with repeated work", f"{work.runs:,}")
kpis[1].metric("Redundant calls (all runs)", f"{work.redundant_calls:,}")
kpis[2].metric("Time wasted (all runs)", duration(work.wasted_duration_ms))
kpis[3].metric("Tokens wasted (all runs)", f"{work.wasted_tokens:,}")
kpis[4].metric(
    "Cost wasted (all runs)",
    dollars(work.wasted_cost_usd),
    help="What the repeated calls cost (their attributed tokens at their model's price; docs/analytics.md).",
)
st.caption(f"{work.window.start} to {work.window.end} (UTC), {work.task_logs:,} task logs with repeated work.")

# Full width, one under the other: side by side, their columns were cut at 1440 px.
st.subheader("By pattern")
patterns = groups_frame(work.by_pattern, "Pattern")
st.dataframe(patterns, hide_index=True, width="stretch", column_config={"Wasted ($)": MONEY})
st.subheader("By workflow template")
templates = groups_frame(work.by_workflow_template, "Template")
st.dataframe(templates, hide_index=True, width="stretch", column_config={"Wasted ($)": MONEY})
st.subheader("By week")
st.dataframe(
    groups_frame(work.by_week, "Week of (Monday)"),
    hide_index=True,
    width="stretch",
    column_config={"Wasted ($)": MONEY},
)

alerts = page.data.redundancy_alerts(page.filters, limit=TOP)
st.subheader(f"Top {TOP} runs by time wasted")
st.caption(f"The {min(TOP, len(alerts))} of {work.runs:,} runs with repeated work that wasted the most time.")
st.plotly_chart(charts.wasted_time(alerts), width="stretch")
st.dataframe(
    pd.DataFrame(
        [
            {
                "Workflow": a.adw_id,
                "Drill-down": workflow_href(a.adw_id),
                "Redundant calls": a.redundant_calls,
                "Wasted (s)": round(a.wasted_duration_ms / 1000, 1),
                "Phases": a.task_logs,
                "Template": a.workflow_template,
                "Last day": a.last_day,
            }
            for a in alerts
        ],
        columns=["Workflow", "Drill-down", "Redundant calls", "Wasted (s)", "Phases", "Template", "Last day"],
    ),
    hide_index=True,
    width="stretch",
    column_config={"Drill-down": st.column_config.LinkColumn(display_text="Open", width="small")},
)

if work.top_targets:
    st.subheader(f"Top {TOP} repeated targets by cost")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Target": shorten(t.target, 100),
                    "Pattern": t.pattern,
                    "Redundant calls": t.redundant_calls,
                    "Task logs": t.task_logs,
                    "Wasted (s)": round(t.wasted_duration_ms / 1000, 1),
                    "Wasted tokens": t.wasted_tokens,
                    "Wasted ($)": t.wasted_cost_usd,
                }
                for t in work.top_targets
            ],
            columns=["Target", "Pattern", "Redundant calls", "Task logs", "Wasted (s)", "Wasted tokens", "Wasted ($)"],
        ),
        hide_index=True,
        width="stretch",
        column_config={"Wasted ($)": MONEY, "Target": TARGET, "Pattern": PATTERN},
    )

st.subheader("One workflow run")
ids = [a.adw_id for a in alerts]
asked = st.query_params.get("adw_id")
if asked and asked not in ids:
    ids.append(asked)  # a run named in the link, outside the top list, is still shown
chosen = st.selectbox(
    "Workflow", ids, index=ids.index(asked) if asked in ids else 0, key="redundancy_adw_id", help="worst first"
)
report = page.data.repeated_work_of_run(chosen, page.filters)
st.caption("Under the same period and filters as the figures above.")
cols = st.columns(5)
cols[0].metric("Redundant calls", f"{report.redundant_calls:,}")
cols[1].metric("Time wasted", duration(report.wasted_duration_ms))
cols[2].metric("Tokens wasted", f"{report.wasted_tokens:,}")
cols[3].metric("Cost wasted", dollars(report.wasted_cost_usd))
cols[4].metric("Phases with repeated work", f"{report.task_logs:,}")
if not report.targets:
    st.info("No repeated work in this run under these filters.")
else:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Pattern": t.pattern,
                    "Target": shorten(t.target, 100),
                    "Redundant calls": t.redundant_calls,
                    "Of calls": t.occurrences,
                    "Wasted (s)": round(t.wasted_duration_ms / 1000, 1),
                    "Wasted tokens": t.wasted_tokens,
                    "Wasted ($)": t.wasted_cost_usd,
                    "Phases": ", ".join(t.phases),
                }
                for t in report.targets
            ],
            columns=[
                "Pattern",
                "Target",
                "Redundant calls",
                "Of calls",
                "Wasted (s)",
                "Wasted tokens",
                "Wasted ($)",
                "Phases",
            ],
        ),
        hide_index=True,
        width="stretch",
        column_config={"Wasted ($)": MONEY, "Target": TARGET, "Pattern": PATTERN},
    )
    st.markdown("**Suggestions**")
    for suggestion in dict.fromkeys(t.suggestion for t in report.targets):
        st.markdown(f"- {md(suggestion)}")
workflow_link(chosen)
