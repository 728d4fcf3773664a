"""Ingest: upload agent logs (any format `tooltrack ingest` reads) and see what each file gave."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from tooltrack.core import database_url
from tooltrack.dashboard.data import get_engine
from tooltrack.dashboard.filter_state import FilterState
from tooltrack.dashboard.formatting import utc_time, workflow_href
from tooltrack.dashboard.ingest_run import (
    IngestOutcome,
    Severity,
    StoredRun,
    ingest_uploads,
    last_task_log_id,
    overall_verdict,
    runs_stored_after,
)
from tooltrack.dashboard.sidebar import PERIOD_LABELS, SAVED_KEY
from tooltrack.dashboard.text import md
from tooltrack.models import MAX_NAME

RESULTS_KEY = "ingest_outcomes"
RUNS_KEY = "ingest_runs"
#: Each severity's box: green, blue, yellow, red.
BOXES = {"success": st.success, "info": st.info, "warning": st.warning, "error": st.error}
ICONS: dict[Severity, str] = {"success": "✅", "info": "ℹ️", "warning": "⚠️", "error": "❌"}


def show(severity: Severity, text: str) -> None:
    BOXES[severity](text)


def positions(items: list[tuple[int, int | None, str]], label: str) -> pd.DataFrame:
    """Rejections or notes as a table: the line, the element (in a file that is one JSON document), the text."""
    with_elements = any(element is not None for _, element, _ in items)
    frame = pd.DataFrame(
        [
            {"Line": line, **({"Element": element} if with_elements else {}), label: text}
            for line, element, text in items
        ]
    )
    return frame.astype({"Element": "Int64"}) if with_elements else frame


st.title("Ingest")
st.caption(
    "Drop log files: tooltrack task logs (JSONL), Claude Code `stream-json` output (`raw_output.jsonl`), "
    "session transcripts (also saved as one JSON array, `logs/chat.json`), hook payload logs "
    "(`logs/post_tool_use.json`) or OpenTelemetry (OTLP JSON) exports. The format is detected per file; "
    "good lines are stored even when others are rejected, and a file ingested twice is stored once."
)
max_mb = st.get_option("server.maxUploadSize")

with st.form("ingest_form", clear_on_submit=True):
    uploads = st.file_uploader(f"Log files (up to {max_mb} MB each)", accept_multiple_files=True, key="ingest_files")
    st.caption(
        "Optional: set on every task log of these files (Claude Code's own output has no adw_id, phase or "
        "template; values inside tooltrack JSONL are replaced)."
    )
    columns = st.columns(3)
    adw_id = columns[0].text_input("adw_id", max_chars=MAX_NAME)
    phase = columns[1].text_input("Phase", max_chars=MAX_NAME)
    template = columns[2].text_input("Workflow template", max_chars=MAX_NAME)
    submitted = st.form_submit_button("Ingest", type="primary")

if submitted:
    # A new submit starts from nothing: the last upload's results never stand beside this one's.
    st.session_state.pop(RESULTS_KEY, None)
    st.session_state.pop(RUNS_KEY, None)
    if not uploads:
        st.warning("Choose one or more files first.")
    else:
        bars = {upload.name: st.progress(0.0, text=md(upload.name)) for upload in uploads}

        def progress(name: str, share: float) -> None:
            bars[name].progress(min(max(share, 0.0), 1.0), text=md(f"{name}: {share:.0%}"))

        engine = get_engine(database_url())
        before = last_task_log_id(engine)
        st.session_state[RESULTS_KEY] = ingest_uploads(
            engine,
            uploads,
            adw_id=adw_id.strip() or None,
            phase=phase.strip() or None,
            workflow_template=template.strip() or None,
            progress=progress,
        )
        st.session_state[RUNS_KEY] = runs_stored_after(engine, before)
        for bar in bars.values():
            bar.empty()

outcomes: list[IngestOutcome] = st.session_state.get(RESULTS_KEY, [])
if not outcomes:
    st.info("No files ingested in this session yet.")
    st.stop()

# One verdict for the upload and one per file, in the colour of their severity; they agree, as
# both come from the same outcome (`IngestOutcome.severity`).
severity, summary = overall_verdict(outcomes)
stored = any(o.stored_anything for o in outcomes)
show(severity, md(summary + (" The other pages show them now (no restart needed)." if stored else "")))
if len(outcomes) > 1:
    for outcome in outcomes:
        show(outcome.severity, md(outcome.verdict))

st.subheader("Per file")
st.dataframe(
    pd.DataFrame(
        [
            {
                "File": o.name,
                "Format": o.format or "–",
                "Task logs stored": o.task_logs_stored,
                "Tool calls stored": o.tool_calls_stored,
                "Tool calls already stored": o.duplicate_tool_calls,
                "Task logs already stored": o.duplicate_task_logs,
                "Rejected lines": o.rejected_count,
                "Verdict": f"{ICONS[o.severity]} {o.status}",
            }
            for o in outcomes
        ]
    ),
    hide_index=True,
    width="stretch",
)
for outcome in outcomes:
    if outcome.error is None and not outcome.rejected and not outcome.notes:
        continue
    with st.expander(md(f"{outcome.name}: {outcome.status}"), expanded=outcome.error is not None):
        if outcome.error is not None:
            st.error(md(outcome.error))
        if outcome.rejected:
            st.markdown("**Rejected lines**")
            st.dataframe(positions(outcome.rejected, "Reason"), hide_index=True, width="stretch")
            if outcome.rejected_count > len(outcome.rejected):
                st.caption(f"… and {outcome.rejected_count - len(outcome.rejected):,} more rejected lines.")
        if outcome.notes:
            st.markdown("**Notes** (nothing lost)")
            st.dataframe(positions(outcome.notes, "Note"), hide_index=True, width="stretch")

runs: list[StoredRun] = st.session_state.get(RUNS_KEY, [])
if runs:
    st.subheader("Runs stored")
    state: FilterState = st.session_state.get(SAVED_KEY, FilterState())
    first_day, last_day = state.to_filters().window()
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Workflow": run.adw_id,
                    "Open": workflow_href(run.adw_id),
                    "From (UTC)": utc_time(run.first),
                    "To (UTC)": utc_time(run.last),
                    "Task logs": run.task_logs,
                    "In the period": not run.outside(first_day, last_day),
                }
                for run in runs
            ],
            columns=["Workflow", "Open", "From (UTC)", "To (UTC)", "Task logs", "In the period"],
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "Open": st.column_config.LinkColumn(display_text="Open", width="small"),
            "From (UTC)": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss"),
            "To (UTC)": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss"),
        },
    )
    outside = [run for run in runs if run.outside(first_day, last_day)]
    if outside:
        period = PERIOD_LABELS[state.period] if state.period != "custom" else f"{first_day} to {last_day}"
        st.warning(
            md(
                f"{len(outside):,} of these {len(runs):,} runs lie outside the period the analysis pages "
                f"show ({period}, {first_day} to {last_day} UTC): choose All time or a custom range in "
                "the sidebar to see them there. Their drill-down opens whatever the period."
            )
        )
