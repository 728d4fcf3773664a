"""The tables of the Runs, drill-down and Cost pages, and how every one of them is shown.

Each table keeps numbers as numbers (the browser sorts them as numbers) and says its unit once, in
the column header; missing values are blank cells (`show`: Streamlit would print "None"); times
are UTC without a "+00:00" under a "(UTC)" header; tokens and counts have thousands separators.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from typing import Any, Final

import pandas as pd
import streamlit as st

from tooltrack.analytics import CostGroup, CostlyCall, CostlyTarget, RunRow
from tooltrack.dashboard.formatting import workflow_href

#: Column configurations the tables share.
COUNT: Final = st.column_config.NumberColumn(format="localized")
USD: Final = st.column_config.NumberColumn(format="%.4f")
USD_SHORT: Final = st.column_config.NumberColumn(format="%.2f")
WHEN: Final = st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss")
OPEN: Final = st.column_config.LinkColumn(display_text="Open")
#: What the Cost page's tables say of a model the price table does not know.
NO_PRICE: Final = "no price"


def utc(moment: datetime | None) -> datetime | None:
    """A time as naive UTC: the header says "(UTC)", so the cell need not say "+00:00"."""
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def show(frame: pd.DataFrame, config: Mapping[str, Any] | None = None, **options: Any) -> Any:
    """`frame` as a full-width table without its index, missing values left blank."""
    return st.dataframe(
        frame, hide_index=True, width="stretch", placeholder="", column_config=dict(config or {}), **options
    )


RUN_COLUMNS: Final = [
    "Run",
    "Title or template",
    "Project",
    "Outcome",
    "Started (UTC)",
    "Duration (min)",
    "Calls",
    "Failed",
    "Redundant",
    "Cost ($)",
]
#: Row height of Streamlit's tables, to show a whole page of runs without a scroll box inside it.
ROW_PX: Final = 35
RUN_CONFIG: Final = {
    # The run's id is the link to its drill-down (shown as the id, not as the URL; it opens a tab).
    "Run": st.column_config.LinkColumn(display_text=r"adw_id=([^&]*)", help="Opens the run's drill-down", width=110),
    # Widths that show every column at 1440 px beside the sidebar (a title is cut, its cell holds it whole).
    "Title or template": st.column_config.TextColumn(width=180),
    "Project": st.column_config.TextColumn(width=100),
    "Outcome": st.column_config.TextColumn(width=85),
    "Started (UTC)": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm", width=120),
    "Duration (min)": st.column_config.NumberColumn(format="%.1f", width=90),
    "Calls": st.column_config.NumberColumn(format="localized", width=60),
    "Failed": st.column_config.NumberColumn(format="localized", help="Failed calls", width=60),
    "Redundant": st.column_config.NumberColumn(format="localized", help="Redundant calls (repeated work)", width=80),
    "Cost ($)": st.column_config.NumberColumn(format="%.2f", width=70),
}


def runs(rows: list[RunRow]) -> pd.DataFrame:
    """One row per run, in the service's order; "Run" links to the run's drill-down."""
    return pd.DataFrame(
        [
            {
                "Run": workflow_href(run.adw_id),
                "Title or template": run.title or run.workflow_template or "",
                "Project": run.project or "",
                "Outcome": run.outcome,
                "Started (UTC)": utc(run.started_at),
                "Duration (min)": round(run.duration_seconds / 60, 1),
                "Calls": run.calls,
                "Failed": run.failed_calls,
                "Redundant": run.redundant_calls,
                "Cost ($)": run.cost_usd,
            }
            for run in rows
        ],
        columns=RUN_COLUMNS,
    )


def height_for(rows: int) -> int:
    """The height that shows `rows` rows and the header without a scroll box."""
    return (rows + 1) * ROW_PX + 3


COST_GROUP_CONFIG: Final = {"Calls": COUNT, "Calls with cost": COUNT, "Tokens": COUNT, "Cost ($)": USD}


def cost_groups(groups: list[CostGroup], name: str, *, unpriced: Collection[str] = ()) -> pd.DataFrame:
    """A cost breakdown, a row per group in the service's order (costliest first). A group in
    `unpriced` (a model without a price) has its tokens and a blank cost, marked "no price"."""
    columns = [name, "Calls", "Calls with cost", "Tokens", "Cost ($)"] + (["Price"] if unpriced else [])
    rows = []
    for group in groups:
        row: dict[str, object] = {
            name: group.name,
            "Calls": group.calls,
            "Calls with cost": group.costed_calls,
            "Tokens": group.tokens,
            "Cost ($)": None if group.name in unpriced else group.cost_usd,
        }
        if unpriced:
            row["Price"] = NO_PRICE if group.name in unpriced else ""
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)


COSTLY_CALL_CONFIG: Final = {"Cost ($)": USD, "Tokens": COUNT, "When (UTC)": WHEN, "Drill-down": OPEN}


def costly_call_href(call: CostlyCall) -> str:
    """The drill-down of the call's run, opened at that call's record."""
    return f"{workflow_href(call.adw_id)}&log={call.task_log_id}&index={call.call_index}"


def costly_calls(calls: list[CostlyCall]) -> pd.DataFrame:
    """The most expensive calls, costliest first, each one click from its run."""
    columns = ["Tool", "Target", "Cost ($)", "Tokens", "Run", "Phase", "Model", "When (UTC)", "Drill-down"]
    return pd.DataFrame(
        [
            {
                "Tool": call.tool_name,
                "Target": call.target or "",
                "Cost ($)": call.cost_usd,
                "Tokens": call.tokens,
                "Run": call.adw_id,
                "Phase": call.phase_name,
                "Model": call.model or "",
                "When (UTC)": utc(call.occurred_at),
                "Drill-down": costly_call_href(call),
            }
            for call in calls
        ],
        columns=columns,
    )


COSTLY_TARGET_CONFIG: Final = {
    "Runs": COUNT,
    "Repeats": COUNT,
    "Wasted tokens": COUNT,
    "Wasted ($)": USD,
    "Wasted (ms)": COUNT,
}


def costly_targets(targets: list[CostlyTarget]) -> pd.DataFrame:
    """The files re-read (and commands re-run) whose repeats cost most, costliest first."""
    columns = ["Target", "Pattern", "Task logs", "Repeats", "Wasted tokens", "Wasted ($)", "Wasted (ms)"]
    return pd.DataFrame(
        [
            {
                "Target": target.target,
                "Pattern": target.pattern,
                "Task logs": target.task_logs,
                "Repeats": target.redundant_calls,
                "Wasted tokens": target.wasted_tokens,
                "Wasted ($)": target.wasted_cost_usd,
                "Wasted (ms)": target.wasted_duration_ms,
            }
            for target in targets
        ],
        columns=columns,
    )
