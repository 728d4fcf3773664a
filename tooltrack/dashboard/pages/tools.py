"""Tools and latency: per-tool percentiles, a latency distribution, the slowest calls, top Bash commands."""

from __future__ import annotations

from typing import Final

import pandas as pd
import streamlit as st

from tooltrack.analytics import CostGroup
from tooltrack.core import PERCENTILE_ERROR
from tooltrack.dashboard import charts
from tooltrack.dashboard.formatting import utc_time, workflow_href
from tooltrack.dashboard.page import NO_MATCH, analysis_page, stop_with_info
from tooltrack.dashboard.text import md, shorten

SLOWEST: int = 25
MCP_COLUMNS: Final = [
    "Server", "Calls", "Failures", "Success rate", "p50 (ms)", "p95 (ms)", "Cost ($)", "Sessions loaded",
    "Sessions used", "Tools",
]  # fmt: skip
COST_COLUMNS: Final = {
    "Cost ($)": st.column_config.NumberColumn(
        format="%.4f", help="Dollars attributed to the calls; empty where no call of the row has a known cost."
    ),
}


def known_cost(group: CostGroup | None, field: str) -> float | int | None:
    """A cost group's tokens or dollars, None when none of its calls has a known cost."""
    if group is None or group.costed_calls == 0:
        return None
    return getattr(group, field)  # type: ignore[no-any-return]


page = analysis_page("Tools and latency", "How long each tool takes (calls of unknown length are left out).")
# Which durations the latency figures count (Filters.timing): transcripts time a call from its
# tool_use line to its result line, which includes permission prompts and idle time; "execution
# only" keeps the durations the tool, the hook or the tracker measured. Kept in the URL (?timing=exec).
TIMINGS: Final = {"all": "Every timed call (wall clock)", "exec": "Execution only"}
if st.session_state.get("tools_timing") is None:
    st.session_state["tools_timing"] = "exec" if st.query_params.get("timing") == "exec" else "all"
timing = st.radio(
    "Durations",
    list(TIMINGS),
    format_func=TIMINGS.__getitem__,
    horizontal=True,
    key="tools_timing",
    help="Wall clock: every known duration, transcript ones included (they contain waits for the user). "
    "Execution only: durations measured by the tool, the hook or the tracker.",
)
if timing == "exec":
    st.query_params["timing"] = "exec"
elif "timing" in st.query_params:
    del st.query_params["timing"]
filters = page.filters.model_copy(update={"timing": timing})
TIMING_NOTE: Final = "execution only" if timing == "exec" else "wall clock, waits included"
summary = page.data.summary(filters)
if summary.total_tool_calls == 0:
    stop_with_info(NO_MATCH)

tools = list(summary.by_tool.values())
# Tokens and dollars attributed to each tool's calls, from the service's cost answer (unknown, not
# zero, for a tool none of whose calls has a cost).
costs = {group.name: group for group in page.data.cost_report(page.filters).by_tool}
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
            "Cost ($)": known_cost(costs.get(t.tool_name), "cost_usd"),
        }
        for t in tools
    ]
)
st.subheader(f"Per tool (durations: {TIMING_NOTE})")
st.dataframe(
    per_tool,
    hide_index=True,
    width="stretch",
    column_config={
        "Tool": st.column_config.TextColumn(width=200),
        "Success rate": st.column_config.ProgressColumn(
            format="percent", min_value=0, max_value=1, color=charts.SUCCESS_COLOUR
        ),
        # Bucket estimates are marked "≈", with their error bound in the help, so that they never
        # pass for measured figures.
        "p50 (ms)": st.column_config.NumberColumn(format="≈ %.0f", help=charts.PERCENTILE_HELP),
        "p95 (ms)": st.column_config.NumberColumn(format="≈ %.0f", help=charts.PERCENTILE_HELP),
        "Max (ms)": st.column_config.NumberColumn(format="%d", help="The slowest call measured."),
        "Mean (ms)": st.column_config.NumberColumn(format="%.0f"),
        **COST_COLUMNS,
    },
)

left, right = st.columns(2)
with left:
    st.plotly_chart(charts.latency_percentiles(tools), width="stretch")
with right:
    names = [t.tool_name for t in tools]
    default = names.index(page.filters.tool) if page.filters.tool in names else 0
    chosen = st.selectbox("Distribution of", names, index=default, key="tools_histogram_tool")
    histogram = page.data.latency_histogram(filters, chosen)
    if histogram.count == 0:
        st.info("No timed calls of this tool in the period.")
    else:
        st.plotly_chart(charts.latency_distribution(histogram), width="stretch")
        st.caption(
            f"{histogram.count:,} timed calls · p50 {charts.estimate(histogram.p50_duration_ms)} · "
            f"p95 {charts.estimate(histogram.p95_duration_ms)} · p99 {charts.estimate(histogram.p99_duration_ms)} "
            f"(estimates within ±{PERCENTILE_ERROR * 100:g} %, never above the slowest call)"
        )

trend = page.data.latency_over_time(filters)
if trend:
    st.plotly_chart(charts.latency_trend(trend), width="stretch")

st.subheader("Slowest calls")
slowest = page.data.slowest_calls(page.filters, limit=SLOWEST)
st.dataframe(
    pd.DataFrame(
        [
            {
                "Duration (ms)": c.duration_ms,
                "Tool": c.tool_name,
                "Workflow": c.adw_id,
                "Drill-down": workflow_href(c.adw_id),
                "OK": c.success,
                "When (UTC)": utc_time(c.occurred_at),
                "Target": shorten(c.target, 80),
                "Phase": c.phase_name,
            }
            for c in slowest
        ],
        columns=["Duration (ms)", "Tool", "Workflow", "Drill-down", "OK", "When (UTC)", "Target", "Phase"],
    ),
    hide_index=True,
    width="stretch",
    column_config={
        "Duration (ms)": st.column_config.NumberColumn(format="%d"),
        "Drill-down": st.column_config.LinkColumn(display_text="Open", width="small"),
        "When (UTC)": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss"),
        "Target": st.column_config.TextColumn(width=240),
    },
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

st.subheader("MCP servers")
mcp = page.data.mcp_servers(page.filters)
if not mcp.servers:
    st.info("No MCP server was loaded or called in the period.")
else:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Server": server.server,
                    "Calls": server.calls,
                    "Failures": server.failures,
                    "Success rate": server.success_rate,
                    "p50 (ms)": server.p50_duration_ms,
                    "p95 (ms)": server.p95_duration_ms,
                    "Cost ($)": server.cost_usd,
                    "Sessions loaded": server.sessions_loaded,
                    "Sessions used": server.sessions_used,
                    "Tools": ", ".join(name.split("__", 2)[-1] for name in server.tools),
                }
                for server in mcp.servers
            ],
            columns=MCP_COLUMNS,
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "Success rate": st.column_config.ProgressColumn(
                format="percent", min_value=0, max_value=1, color=charts.SUCCESS_COLOUR
            ),
            "p50 (ms)": st.column_config.NumberColumn(format="≈ %.0f", help=charts.PERCENTILE_HELP),
            "p95 (ms)": st.column_config.NumberColumn(format="≈ %.0f", help=charts.PERCENTILE_HELP),
            "Cost ($)": COST_COLUMNS["Cost ($)"],
            "Tools": st.column_config.TextColumn(width=200),
            "Sessions loaded": st.column_config.NumberColumn(
                help="Task logs whose session listed the server as loaded (stream-json's init line)."
            ),
        },
    )
    if mcp.unused:
        unused = ", ".join(md(server) for server in mcp.unused)
        st.warning(
            f"Loaded but never called in the period: {unused}. "
            "Each loaded server's tool list takes context in every session."
        )
