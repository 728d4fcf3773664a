"""Live: calls of the last minutes as they arrive, the sessions running now, failures as they happen.

Only the fragment below reruns every few seconds (`st.fragment(run_every=...)`), not the page: the
choice of minutes stays put and nothing else is recomputed.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

import pandas as pd
import streamlit as st

from tooltrack.analytics import LiveCall, LiveView
from tooltrack.dashboard.formatting import duration, workflow_href
from tooltrack.dashboard.loaders import live_view
from tooltrack.dashboard.text import md, shorten

#: Seconds between two refreshes of the live part of the page.
REFRESH_SECONDS: Final = 3
MINUTES: Final = (5, 10, 30, 60)
#: A session is running when it made a call in the last this many minutes (at most the minutes shown).
ACTIVE_MINUTES: Final = 5
CALL_COLUMNS: Final = ["When (UTC)", "Tool", "Target", "Outcome", "Duration", "Phase", "Workflow", "Drill-down"]


def _outcome(call: LiveCall) -> str:
    return "cancelled" if call.cancelled else ("failed" if call.failed else "ok")


def _calls_table(calls: list[LiveCall], *, errors: bool = False) -> pd.DataFrame:
    columns = [*CALL_COLUMNS[:3], "Error kind", "Message", *CALL_COLUMNS[4:]] if errors else CALL_COLUMNS
    rows = [
        {
            "When (UTC)": call.occurred_at.strftime("%H:%M:%S"),
            "Tool": call.tool_name,
            "Target": shorten(call.target, 80),
            "Outcome": _outcome(call),
            "Error kind": call.error_kind,
            "Message": shorten(call.error_message, 160),
            "Duration": duration(call.duration_ms),
            "Phase": call.phase_name,
            "Workflow": call.adw_id,
            "Drill-down": workflow_href(call.adw_id),
        }
        for call in calls
    ]
    return pd.DataFrame(rows, columns=columns)


def _sessions_table(view: LiveView) -> pd.DataFrame:
    rows = [
        {
            "Workflow": s.adw_id,
            "Phase": s.phase_name,
            "Current tool": s.current_tool,
            "On": shorten(s.current_target, 80),
            "Last call (UTC)": s.last_call_at.strftime("%H:%M:%S"),
            "Running for": str(timedelta(seconds=round(s.elapsed_seconds))),
            "Calls": s.calls,
            "Failures": s.failures,
            "Drill-down": workflow_href(s.adw_id),
        }
        for s in view.sessions
    ]
    columns = ["Workflow", "Phase", "Current tool", "On", "Last call (UTC)", "Running for", "Calls", "Failures"]
    return pd.DataFrame(rows, columns=[*columns, "Drill-down"])


LINKS = {"Drill-down": st.column_config.LinkColumn(display_text="Open")}

st.title("Live")
st.caption(f"Tool calls as they are stored, refreshed in place every {REFRESH_SECONDS} s.")
minutes: int = (
    st.segmented_control("Minutes shown", MINUTES, default=10, key="live_minutes", format_func=lambda m: f"{m} min")
    or 10
)


@st.fragment(run_every=timedelta(seconds=REFRESH_SECONDS))
def live_panel(minutes: int) -> None:
    """What the last `minutes` hold, read afresh on every run of the fragment."""
    view = live_view(minutes, min(ACTIVE_MINUTES, minutes))
    kpis = st.columns(3)
    kpis[0].metric(f"Calls, last {minutes} min", f"{view.total_calls:,}")
    kpis[1].metric("Failures", f"{view.total_failures:,}")
    kpis[2].metric("Sessions running", f"{len(view.sessions):,}")
    latest = view.calls[0] if view.calls else None
    said = (
        f" Latest call: {md(latest.tool_name)} in {md(latest.adw_id)} at {latest.occurred_at:%H:%M:%S}."
        if latest
        else ""
    )
    st.caption(f"As of {view.until:%H:%M:%S} UTC.{said}")

    st.subheader("Running now")
    if view.sessions:
        st.dataframe(_sessions_table(view), hide_index=True, width="stretch", column_config=LINKS)
    else:
        st.info(f"No session made a call in the last {min(ACTIVE_MINUTES, minutes)} minutes.")

    st.subheader("Failures as they happen")
    if view.failures:
        st.dataframe(_calls_table(view.failures, errors=True), hide_index=True, width="stretch", column_config=LINKS)
    else:
        st.info(f"No failed call in the last {minutes} minutes.")

    st.subheader("Calls")
    if view.calls:
        shown = f"the newest {len(view.calls):,} of {view.total_calls:,}" if view.total_calls > len(view.calls) else ""
        st.caption(f"Newest first{', ' + shown if shown else ''}.")
        st.dataframe(_calls_table(view.calls), hide_index=True, width="stretch", column_config=LINKS)
    else:
        st.info(f"No call stored in the last {minutes} minutes. New calls appear here as they are stored.")


live_panel(minutes)
