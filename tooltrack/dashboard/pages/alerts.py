"""Alerts: what the alert rules found (loops, failure spikes, slow days, new errors, secrets touched)."""

from __future__ import annotations

from typing import Final

import pandas as pd
import streamlit as st

from tooltrack.core import ALERT_RULES
from tooltrack.dashboard.formatting import workflow_href
from tooltrack.dashboard.page import analysis_page, stop_with_info

#: The most alerts the table lists (the counts above it are over all of them).
SHOWN: Final = 200
RULE_TITLES: Final = {
    "loop": "Loops",
    "failure_spike": "Failure-rate spikes",
    "latency_regression": "Latency regressions",
    "new_error_kind": "New error kinds",
    "sensitive_path": "Sensitive paths",
}
ALL: Final = "All rules"

page = analysis_page(
    "Alerts",
    "Found as calls are stored (loops, sensitive paths, new error kinds) and by `tooltrack alerts scan` "
    "(failure-rate spikes and latency regressions against each tool's own previous days). "
    "docs/analytics.md defines each rule and its defaults. The phase, model and agent filters do not apply here.",
)
choice = st.selectbox("Rule", [ALL, *ALERT_RULES], format_func=lambda r: RULE_TITLES.get(r, r), key="alerts_rule")
rule = None if choice == ALL else choice
report = page.data.alerts(page.filters, rule=rule, limit=SHOWN)

counts = {c.rule: c.alerts for c in report.by_rule}
columns = st.columns(len(ALERT_RULES))
for column, name in zip(columns, ALERT_RULES, strict=True):
    column.metric(RULE_TITLES[name], f"{counts[name]:,}")

if not report.alerts:
    stop_with_info(f"No alerts from {report.start} to {report.end} with these filters.")

if report.total > len(report.alerts):
    st.caption(f"The newest {len(report.alerts):,} of {report.total:,} alerts.")
else:
    st.caption(f"{report.total:,} alerts, newest first.")
st.dataframe(
    pd.DataFrame(
        [
            {
                "When (UTC)": a.occurred_at,
                "Severity": a.severity,
                "Rule": RULE_TITLES.get(a.rule, a.rule),
                "What": a.summary,
                "Tool": a.tool_name,
                "Workflow": workflow_href(a.adw_id) if a.adw_id else None,
                "Webhook": a.delivery or "not sent",
            }
            for a in report.alerts
        ]
    ),
    hide_index=True,
    width="stretch",
    column_config={
        "When (UTC)": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
        "Workflow": st.column_config.LinkColumn(display_text="Open"),
    },
)
