"""Cost: where tokens and money went, attributed to tool calls, by every dimension.

Every figure comes from the analytics service (`cost`, over the rollups): this page computes none.
The attribution (issuing, result, context rent) is in docs/analytics.md. A model the price table
does not know keeps its tokens and has no cost: the page says "no price", never $0.
"""

from __future__ import annotations

import streamlit as st

from tooltrack.dashboard import cost_charts, run_data, run_tables
from tooltrack.dashboard.formatting import plural
from tooltrack.dashboard.page import NO_MATCH, analysis_page, stop_with_info
from tooltrack.dashboard.text import md

page = analysis_page(
    "Cost",
    "What the tool calls cost: each call's share of its session's tokens (the output that issued it, "
    "its result written to the context, and the cache reads it cost on every later turn), at the price "
    "table's rates. See docs/analytics.md for how a call's cost is attributed.",
)
report = run_data.cost(page.data, page.filters)
if report.calls == 0:
    stop_with_info(NO_MATCH)
if report.costed_calls == 0:
    stop_with_info(
        f"None of the {report.calls:,} calls that match has a cost: their sources recorded no token usage "
        "(tooltrack JSONL without cost fields, OpenTelemetry without usage). Transcripts and stream-json have it."
    )

kpis = st.columns(4)
kpis[0].metric("Attributed to calls", f"${report.total_cost_usd:,.2f}")
kpis[1].metric("Tokens", f"{report.total_tokens:,}")
kpis[2].metric("Calls with a cost", f"{report.costed_calls:,} of {report.calls:,}")
kpis[3].metric(
    "Runs' own cost",
    f"${report.runs_cost_usd:,.2f}",
    help="What the runs' own records say they cost (e.g. each stream-json result line), over the runs of the window.",
)
unpriced = {group.name for group in report.unpriced_models}
if report.unpriced_models:
    names = ", ".join(sorted(unpriced))
    st.warning(
        md(
            f"No price for {plural(len(unpriced), 'model')}: {names}. Their {report.unpriced_tokens:,} tokens are "
            "counted, their cost is not known and is left out of every dollar figure here. Add their prices "
            "with a price file (TOOLTRACK_PRICES)."
        )
    )

left, right = st.columns(2)
with left:
    st.plotly_chart(
        cost_charts.spend_per_day(report.by_day_and_tool, report.window, title="Spend per day by tool", what="Tool"),
        width="stretch",
    )
with right:
    if report.by_day_and_server:
        st.plotly_chart(
            cost_charts.spend_per_day(
                report.by_day_and_server, report.window, title="Spend per day by MCP server", what="Server"
            ),
            width="stretch",
        )
    else:
        st.info("No MCP server's tool was called in this window, so there is no spend by server.")

st.subheader("Most expensive calls")
st.caption(
    f"The {len(report.costliest_calls)} costliest calls of the window (each of at least one cent), "
    "each one click from its run's drill-down."
)
if report.costliest_calls:
    run_tables.show(run_tables.costly_calls(report.costliest_calls), run_tables.COSTLY_CALL_CONFIG)
else:
    st.info("No call of this window cost a cent or more.")

st.subheader("Costliest files to re-read")
st.caption(
    "Files read again with no change in between (and commands re-run), by what the repeats cost over "
    "the window. The tool filter does not apply here."
)
if report.costliest_repeats:
    run_tables.show(run_tables.costly_targets(report.costliest_repeats), run_tables.COSTLY_TARGET_CONFIG)
else:
    st.success("No repeated read or re-run in this window.")

st.subheader("Cost by")
tabs = st.tabs(["Tool", "MCP server", "Sub-agent", "Project", "Model", "Template", "Phase"])
breakdowns = [
    (report.by_tool, "Tool"),
    (report.by_mcp_server, "MCP server"),
    (report.by_subagent, "Sub-agent"),
    (report.by_project, "Project"),
    (report.by_model, "Model"),
    (report.by_workflow_template, "Template"),
    (report.by_phase, "Phase"),
]
for tab, (groups, name) in zip(tabs, breakdowns, strict=True):
    with tab:
        frame = run_tables.cost_groups(groups, name, unpriced=unpriced if name == "Model" else ())
        run_tables.show(frame, run_tables.COST_GROUP_CONFIG)
