"""Overview: how many calls, which tools, how fast, how often they fail."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from tooltrack.analytics.overview import Overview, overview
from tooltrack.dashboard.data import data_version, get_engine

st.title("Overview")

engine = get_engine()


@st.cache_data(ttl=300, max_entries=16, show_spinner=False)
def load_overview(version: tuple[int, int], url: str) -> Overview:
    return overview(get_engine(url))


url = engine.url.render_as_string(hide_password=False)
summary = load_overview(data_version(engine), url)

if summary.task_logs == 0:
    st.info("No task logs yet. Run `tooltrack demo` for demo data, or ingest your agent logs on the Ingest page.")
    st.stop()

columns = st.columns(4)
columns[0].metric("Tool calls", f"{summary.tool_calls:,}")
columns[1].metric("Workflows", f"{summary.workflows:,}")
columns[2].metric("Task logs", f"{summary.task_logs:,}")
successes = sum(t.calls * t.success_rate for t in summary.tools)
columns[3].metric("Success rate", f"{successes / summary.tool_calls:.1%}" if summary.tool_calls else "–")

frame = pd.DataFrame(
    [
        {
            "Tool": t.tool_name,
            "Calls": t.calls,
            "Mean duration (ms)": round(t.mean_duration_ms, 1) if t.mean_duration_ms is not None else None,
            "Success rate": t.success_rate,
        }
        for t in summary.tools
    ]
)
st.plotly_chart(px.bar(frame, x="Tool", y="Calls", title="Calls per tool"), width="stretch")
st.dataframe(
    frame,
    hide_index=True,
    width="stretch",
    column_config={"Success rate": st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1)},
)
