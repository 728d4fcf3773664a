"""The Failures page's "After a failure" section: what agents did next and how soon they recovered.

The answer reads the calls after every matching failure from `task_logs` (there is no rollup of
it), about 1 s per 10,000 failures on the 2-core machine: up to `AUTOMATIC_UP_TO` failures it is
shown at once, beyond that on request, so that the rest of the page never waits for it.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from tooltrack.analytics import Filters, RecoveryGroup
from tooltrack.dashboard.formatting import percent
from tooltrack.dashboard.loaders import DashboardData

#: Failures up to which the section is computed without asking (see the module).
AUTOMATIC_UP_TO = 20_000

#: Outcome -> column heading, in the service's order.
OUTCOME_LABELS = {
    "retried": "Retried same call",
    "changed_input": "Changed input",
    "switched_tool": "Switched tool",
    "gave_up": "Gave up",
}
COLUMNS = [
    "Tool",
    "Error kind",
    "Failures",
    *OUTCOME_LABELS.values(),
    "Recovered",
    "Median calls to recover",
    "Median seconds to recover",
]
#: Column widths (px) that keep the table's columns inside the page at 1440 px (the Failures page's
#: main column is about 980 px wide with the sidebar open); long headings wrap into their help.
WIDTHS = {
    "Tool": 140,
    "Error kind": 150,
    "Failures": 70,
    **dict.fromkeys(OUTCOME_LABELS.values(), 80),
    "Recovered": 75,
    "Median calls to recover": 75,
    "Median seconds to recover": 75,
}


def _seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:,.1f}"


def recovery_table(groups: list[RecoveryGroup]) -> pd.DataFrame:
    """A row per error kind and tool, in the service's order (most failures first)."""
    rows = [
        {
            "Tool": g.tool_name,
            "Error kind": g.error_kind,
            "Failures": g.failures,
            **{label: g.outcomes.get(outcome, 0) for outcome, label in OUTCOME_LABELS.items()},
            "Recovered": percent(g.recovery_rate),
            "Median calls to recover": g.median_calls_to_recovery,
            "Median seconds to recover": _seconds(g.median_seconds_to_recovery),
        }
        for g in groups
    ]
    return pd.DataFrame(rows, columns=COLUMNS)


def recovery_section(data: DashboardData, filters: Filters) -> None:
    """Overall outcome counts, then the table per error kind and tool (every matching failure)."""
    st.subheader("After a failure")
    st.caption(
        "What the agent did next in the same session (or sub-agent): retried the same call, changed its "
        "input, switched tool, or made no further call; recovered when a later call of the failed tool "
        "(or of the tool it switched to) worked."
    )
    failures = data.failures(filters, limit=1).total
    if failures > AUTOMATIC_UP_TO and not st.toggle(
        f"Work out what followed each of the {failures:,} failures (reads their runs' calls: may take a while)",
        key="failures_recovery",
    ):
        return
    report = data.recovery(filters)
    overall = report.overall
    kpis = st.columns(len(OUTCOME_LABELS) + 2)
    for column, (outcome, label) in zip(kpis, OUTCOME_LABELS.items(), strict=False):
        column.metric(label, f"{overall.outcomes.get(outcome, 0):,}")
    kpis[-2].metric("Recovered", percent(overall.recovery_rate))
    kpis[-1].metric("Median seconds to recover", _seconds(overall.median_seconds_to_recovery))
    config = {name: st.column_config.Column(width=px, help=name) for name, px in WIDTHS.items()}
    st.dataframe(recovery_table(report.groups), hide_index=True, width="stretch", column_config=config)
    if report.total_groups > len(report.groups):
        st.caption(f"The {len(report.groups):,} groups with most failures of {report.total_groups:,}.")
