"""Workflow drill-down: one `adw_id`, phase by phase and call by call; what failed, what was repeated."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from pydantic import TypeAdapter, ValidationError

from tooltrack.analytics import DrillDown, DrillDownCall, DrillDownLog, Filters
from tooltrack.dashboard import charts, tables
from tooltrack.dashboard.formatting import duration
from tooltrack.dashboard.loaders import DRILLDOWN_MAX_CALLS, current_data
from tooltrack.dashboard.page import require_data, stop_with_info
from tooltrack.dashboard.text import md, shorten
from tooltrack.models import MAX_NAME, TIME_SOURCE_LABELS, TaskLogCreate, field_type

INPUT_KEY = "workflow_adw_id"
PICK_KEY = "workflow_pick"
SYNCED_KEY = "workflow_adw_id_from_url"
PICKS = 50

st.title("Workflow drill-down")
st.caption("Every phase and call of one workflow run, what failed and what was done twice.")
data = current_data()
require_data(data)


_ADW_ID = TypeAdapter(field_type(TaskLogCreate, "adw_id"))


def _problem(adw_id: str, what: str) -> str | None:
    """Why `adw_id` cannot be any stored run's id (the model's rule, checked before it reaches SQL)."""
    if len(adw_id) > MAX_NAME:  # said with the length, which the model's message leaves out
        return f"{what} is {len(adw_id):,} characters long; ids are at most {MAX_NAME}."
    try:
        _ADW_ID.validate_python(adw_id)
    except ValidationError as exc:  # e.g. a NUL, which PostgreSQL refuses in a query parameter
        return f"{what} cannot be an adw_id: {exc.errors()[0]['msg']}."
    return None


def time_mark(log: DrillDownLog) -> str | None:
    """The short mark of a log whose time is not its own (its source had no timestamps), else None."""
    if log.time_source is None:
        return None
    if log.time_source == "unknown":
        return "time unknown (shown when it was stored)"
    return f"time approximate (from {TIME_SOURCE_LABELS.get(log.time_source, log.time_source)})"


def _call_row(log: DrillDownLog, call: DrillDownCall, more: dict[str, object]) -> dict[str, object]:
    """A row of a call table: the columns that say which call it is, then `more`."""
    return {"Phase": log.phase_name, "Call": call.index, "Tool": call.tool_name, "Target": shorten(call.target), **more}


# A link (?adw_id=...) fills the box once; after that the box is the source, and the URL follows it.
asked = st.query_params.get("adw_id")
if asked is not None and asked != st.session_state.get(SYNCED_KEY):
    st.session_state[SYNCED_KEY] = asked
    if problem := _problem(asked, "The adw_id in the link"):
        st.warning(problem)
    else:
        st.session_state[INPUT_KEY] = asked


def _picked() -> None:
    st.session_state[INPUT_KEY] = st.session_state[PICK_KEY]


recent = [alert.adw_id for alert in data.redundancy_alerts(Filters(), limit=PICKS)]
left, right = st.columns(2)
left.text_input("Paste an adw_id", key=INPUT_KEY, placeholder="e.g. a1b2c3d4")
if recent:
    right.selectbox(
        "…or pick a recent run (most time wasted first)",
        recent,
        index=None,
        key=PICK_KEY,
        on_change=_picked,
        placeholder="Pick a run",
    )

adw_id = st.session_state.get(INPUT_KEY, "").strip()
if not adw_id:
    st.query_params.pop("adw_id", None)
    stop_with_info("Pick a workflow run or paste its adw_id.")
if problem := _problem(adw_id, "That adw_id"):
    st.warning(problem)
    st.stop()
st.query_params["adw_id"] = adw_id
st.session_state[SYNCED_KEY] = adw_id

drill: DrillDown = data.drilldown(adw_id)
if not drill.task_logs:
    st.warning(f"No workflow run has adw_id {md(adw_id)}.")
    st.stop()
if drill.truncated:
    st.warning(
        f"This run has more than {DRILLDOWN_MAX_CALLS:,} tool calls: only the first {DRILLDOWN_MAX_CALLS:,} are shown."
    )

calls = [(log, call) for log in drill.task_logs for call in log.calls]
timed = [call.duration_ms for _, call in calls if call.duration_ms is not None]
costs = [log.cost_usd for log in drill.task_logs if log.cost_usd is not None]
st.subheader(md(f"Run {adw_id}"))
template = next((log.workflow_template for log in drill.task_logs if log.workflow_template), None)
if template:
    st.caption(md(f"Template: {template}"))
kpis = st.columns(5)
kpis[0].metric("Phases", f"{len(drill.task_logs):,}")
kpis[1].metric("Tool calls", f"{drill.tool_calls:,}")
kpis[2].metric("Failed calls", f"{drill.failures:,}")
kpis[3].metric("Tool time", duration(sum(timed)) if timed else "–")
kpis[4].metric("Cost", f"${sum(costs):,.2f}" if costs else "–")

st.dataframe(
    pd.DataFrame(
        [
            {
                "#": log.phase_number,
                "Phase": log.phase_name,
                "Status": log.phase_status,
                "Started (UTC)": log.started_at,
                "Time": time_mark(log),
                "Duration (s)": log.duration_seconds,
                "Tool calls": log.tool_call_count,
                "Tokens": log.tokens_used,
                "Cost ($)": log.cost_usd,
                "Error": shorten(log.error_message),
            }
            for log in drill.task_logs
        ]
    ),
    hide_index=True,
    width="stretch",
)
approximate = [log for log in drill.task_logs if log.time_source is not None]
if approximate:
    # Never the ingest time dressed as a real one: say which phases are dated by other evidence.
    st.caption(
        md(
            f"{len(approximate)} of {len(drill.task_logs)} phases had no timestamps of their own: "
            + "; ".join(sorted({f"{log.phase_name}: {time_mark(log)}" for log in approximate}))
        )
    )

gantt = charts.timeline(drill)
if gantt is None:
    st.info("No call of this run has a timestamp, so there is no timeline.")
else:
    st.plotly_chart(gantt, width="stretch")
growth = charts.context_growth(drill)
if growth is None:
    st.info("This run's calls do not record their context size.")
else:
    st.plotly_chart(growth, width="stretch")

st.subheader("Failures")
failed = [(log, call) for log, call in calls if call.failed]
if not failed:
    st.success("No call failed in this run.")
else:
    st.dataframe(
        pd.DataFrame(
            [
                _call_row(log, call, {"Error": shorten(call.error_message, 300), "When (UTC)": call.timestamp})
                for log, call in failed
            ]
        ),
        hide_index=True,
        width="stretch",
    )

st.subheader("Repeated work")
report = data.redundancy(adw_id)
if not report.redundancies:
    st.success("No repeated reads, re-runs or runs of edits in this run.")
else:
    st.caption(f"{report.redundant_calls:,} redundant calls, {duration(report.wasted_duration_ms)} wasted.")
    st.dataframe(tables.redundancy_findings(report.redundancies, occurrences=False), hide_index=True, width="stretch")

with st.expander(f"All {len(calls):,} calls in order"):
    st.dataframe(
        pd.DataFrame(
            [
                _call_row(
                    log,
                    call,
                    {
                        "Duration (ms)": call.duration_ms,
                        "Outcome": call.outcome or ("ok" if call.success else "error"),
                        "Turn": call.turn_id,
                        "When (UTC)": call.timestamp,
                    },
                )
                for log, call in calls
            ]
        ),
        hide_index=True,
        width="stretch",
    )
