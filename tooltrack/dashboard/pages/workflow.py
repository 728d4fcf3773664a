"""Workflow drill-down: one run, phase by phase and call by call; what failed, what was repeated.

The run's id stays in the URL (`?adw_id=`) and in the session: a link opens it, the address bar
shares it, and coming back from another page shows it again. A unique prefix of an id is enough
(the service resolves it; an ambiguous one lists the runs it could be). Calls are numbered once
for the whole run (`drilldown_rows`), the same in every table and chart; each call opens to its
full stored record; a sub-agent's calls sit under their Task; error text is shown whole, without
terminal escapes.
"""

from __future__ import annotations

from typing import Final

import pandas as pd
import streamlit as st
from pydantic import TypeAdapter, ValidationError

from tooltrack.analytics import MAX_DAYS, DrillDown, DrillDownLog, Filters
from tooltrack.dashboard import run_charts, run_data, run_tables, tables
from tooltrack.dashboard.drilldown_rows import Numbered, nested, numbered
from tooltrack.dashboard.formatting import duration
from tooltrack.dashboard.loaders import DRILLDOWN_MAX_CALLS, current_data
from tooltrack.dashboard.page import WORKFLOW_PAGE, require_data, stop_with_info, workflow_link
from tooltrack.dashboard.text import md, shorten, strip_ansi
from tooltrack.models import MAX_NAME, TIME_SOURCE_LABELS, TaskLogCreate, field_type

INPUT_KEY: Final = "workflow_adw_id"
PICK_KEY: Final = "workflow_pick"
SYNCED_KEY: Final = "workflow_adw_id_from_url"
#: The run shown last in this session (not a widget's key: it outlives a visit to another page).
LAST_KEY: Final = "workflow_last_adw_id"
RECORD_KEY: Final = "workflow_record"
#: What the URL asked to open (?call=N, or ?log=&index= from the Cost page), applied once.
RECORD_SYNCED_KEY: Final = "workflow_record_from_url"
PICKS: Final = 50
#: Candidates listed for an ambiguous prefix (the service answers at most one more).
CANDIDATES: Final = 10

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


def _number(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


# A link (?adw_id=...) fills the box once; after that the box is the source, and the URL follows it.
# Back from another page (Streamlit dropped the box's state and the URL), the last run comes back.
asked = st.query_params.get("adw_id")
if asked is not None and asked != st.session_state.get(SYNCED_KEY):
    st.session_state[SYNCED_KEY] = asked
    if problem := _problem(asked, "The adw_id in the link"):
        st.warning(problem)
    else:
        st.session_state[INPUT_KEY] = asked
elif INPUT_KEY not in st.session_state and st.session_state.get(LAST_KEY):
    st.session_state[INPUT_KEY] = st.session_state[LAST_KEY]


def _picked() -> None:
    st.session_state[INPUT_KEY] = st.session_state[PICK_KEY]


recent = run_data.runs(data, Filters(days=MAX_DAYS), limit=PICKS).runs
titles = {run.adw_id: run.title or run.workflow_template or "" for run in recent}
left, right = st.columns(2)
left.text_input("Paste an adw_id (or the start of one)", key=INPUT_KEY, placeholder="e.g. a1b2c3d4")
if recent:
    right.selectbox(
        "…or pick a recent run (newest first)",
        list(titles),
        index=None,
        key=PICK_KEY,
        on_change=_picked,
        placeholder="Pick a run",
        format_func=lambda adw_id: f"{adw_id} · {shorten(titles[adw_id], 60)}" if titles[adw_id] else adw_id,
    )

typed = st.session_state.get(INPUT_KEY, "").strip()
if not typed:
    st.query_params.pop("adw_id", None)
    st.session_state.pop(LAST_KEY, None)
    stop_with_info("Pick a workflow run or paste its adw_id.")
if problem := _problem(typed, "That adw_id"):
    st.warning(problem)
    st.stop()

matches = run_data.resolve_run(data, typed)
if len(matches) > 1:
    count = f"more than {CANDIDATES}" if len(matches) > CANDIDATES else str(len(matches))
    st.warning(md(f"{typed} is the start of {count} runs' ids: pick one."))
    for candidate in matches[:CANDIDATES]:
        title = titles.get(candidate)
        workflow_link(candidate, f"{candidate} · {shorten(title, 60)}" if title else candidate)
    st.stop()
adw_id = matches[0] if matches else typed
st.query_params["adw_id"] = adw_id
st.session_state[SYNCED_KEY] = adw_id
st.session_state[LAST_KEY] = adw_id

drill: DrillDown = data.drilldown(adw_id)
if not drill.task_logs:
    st.warning(f"No workflow run has adw_id {md(typed)}.")
    st.stop()
if adw_id != typed:
    st.caption(md(f"{typed} is the start of one run's id only: {adw_id}."))
if drill.truncated:
    st.warning(
        f"This run has more than {DRILLDOWN_MAX_CALLS:,} tool calls: only the first {DRILLDOWN_MAX_CALLS:,} are shown."
    )

calls = numbered(drill)
timed = [item.call.duration_ms for item in calls if item.call.duration_ms is not None]
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

run_tables.show(
    pd.DataFrame(
        [
            {
                "#": log.phase_number,
                "Phase": log.phase_name,
                "Status": log.phase_status,
                "Started (UTC)": run_tables.utc(log.started_at),
                "Time": time_mark(log),
                "Duration (s)": log.duration_seconds,
                "Tool calls": log.tool_call_count,
                "Tokens": log.tokens_used,
                "Cost ($)": log.cost_usd,
                "Error": shorten(strip_ansi(log.error_message)) or None,
            }
            for log in drill.task_logs
        ]
    ),
    {
        "Started (UTC)": run_tables.WHEN,
        "Duration (s)": st.column_config.NumberColumn(format="%.1f"),
        "Tool calls": run_tables.COUNT,
        "Tokens": run_tables.COUNT,
        "Cost ($)": run_tables.USD,
    },
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

gantt = run_charts.timeline(calls)
if gantt is None:
    st.info("No call of this run has a timestamp, so there is no timeline.")
else:
    st.plotly_chart(gantt, width="stretch")
growth = run_charts.context_growth(calls)
if growth is None:
    st.info("This run's calls do not record their context size.")
else:
    st.plotly_chart(growth, width="stretch")

CALL_CONFIG: Final = {
    "#": st.column_config.NumberColumn(format="%d", help="The call's number in the whole run, from 1"),
    "Duration (ms)": run_tables.COUNT,
    "Tokens": st.column_config.NumberColumn(format="localized", help="Tokens attributed to the call"),
    "Cost ($)": st.column_config.NumberColumn(format="%.4f", help="What the call cost, attributed (docs/analytics.md)"),
    "When (UTC)": run_tables.WHEN,
}


def _row(item: Numbered, more: dict[str, object]) -> dict[str, object]:
    """A row of a call table: the columns that say which call it is, then `more`."""
    return {
        "#": item.number,
        "Phase": item.log.phase_name,
        "Agent": item.agent,
        "Tool": item.call.tool_name,
        "Target": shorten(item.call.target),
        **more,
    }


st.subheader("Failures")
failed = [item for item in calls if item.call.failed]
if not failed:
    st.success("No call failed in this run.")
else:
    run_tables.show(
        pd.DataFrame(
            [
                _row(item, {"Error": strip_ansi(item.call.error_message), "When (UTC)": run_tables.utc(when)})
                for item in failed
                for when in [item.call.timestamp]
            ]
        ),
        CALL_CONFIG | {"Error": st.column_config.TextColumn(width="large")},
    )
    st.caption("Each error is whole, without terminal colours; a call's record below shows it as it was stored.")

st.subheader("Repeated work")
report = data.redundancy(adw_id)
if not report.redundancies:
    st.success("No repeated reads, re-runs or runs of edits in this run.")
else:
    st.caption(f"{report.redundant_calls:,} redundant calls, {duration(report.wasted_duration_ms)} wasted.")
    findings = tables.redundancy_findings(report.redundancies, occurrences=False)
    run_tables.show(findings, {"Wasted (ms)": run_tables.COUNT})

st.subheader(f"All {len(calls):,} calls")
st.caption(
    "In call order, numbered from 1 over the whole run; a sub-agent's calls follow the Task that started them "
    "(Agent names the sub-agent and its Task's number). Select a row to open its record."
)
ordered = nested(calls)
selection = run_tables.show(
    pd.DataFrame(
        [
            _row(
                item,
                {
                    "Outcome": item.outcome,
                    "Duration (ms)": item.call.duration_ms,
                    "Tokens": _number(item.detail("cost_tokens")),
                    "Cost ($)": item.detail("cost_usd"),
                    "When (UTC)": run_tables.utc(item.call.timestamp),
                },
            )
            for item in ordered
        ]
    ),
    CALL_CONFIG,
    key="workflow_calls",
    on_select="rerun",
    selection_mode="single-row",
)

# The record to open: a row selected above, else what the URL asked for (once), else the first failure.
by_place = {(item.log.id, item.call.index): item.number for item in calls}
wanted = (st.query_params.get("call"), st.query_params.get("log"), st.query_params.get("index"))
if any(wanted) and wanted != st.session_state.get(RECORD_SYNCED_KEY):
    st.session_state[RECORD_SYNCED_KEY] = wanted
    number, log_id, index = wanted
    found = int(number) if number and number.isdigit() else None
    if log_id and index and log_id.isdigit() and index.isdigit():
        found = by_place.get((int(log_id), int(index)), found)
    if found is not None and 1 <= found <= len(calls):
        st.session_state[RECORD_KEY] = found
    # Applied: the address bar keeps only the run (a later link to the same call applies again).
    for key in ("call", "log", "index"):
        st.query_params.pop(key, None)
    st.session_state[RECORD_SYNCED_KEY] = None
rows = getattr(getattr(selection, "selection", None), "rows", None) or []
if rows:
    st.session_state[RECORD_KEY] = ordered[rows[0]].number
if RECORD_KEY not in st.session_state or not 1 <= int(st.session_state[RECORD_KEY]) <= max(1, len(calls)):
    st.session_state[RECORD_KEY] = failed[0].number if failed else 1
if calls:
    chosen = st.selectbox(
        "Call record",
        [item.number for item in calls],
        key=RECORD_KEY,
        format_func=lambda n: f"#{n} · {calls[n - 1].call.tool_name} · {shorten(calls[n - 1].call.target, 80)}",
    )
    item = calls[int(chosen) - 1]
    st.caption(
        md(
            f"#{item.number}: {item.call.tool_name} in phase {item.log.phase_name} ({item.agent}), "
            f"{item.outcome}, {duration(item.call.duration_ms)}. The record as stored:"
        )
    )
    if item.call.error_message:
        st.code(strip_ansi(item.call.error_message), language=None)
    st.json(item.call.details, expanded=True)
    st.page_link(
        WORKFLOW_PAGE,
        label="Link to this call",
        query_params={"adw_id": adw_id, "call": str(item.number)},
        icon=":material/link:",
    )
