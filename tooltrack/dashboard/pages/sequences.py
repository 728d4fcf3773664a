"""Sequences: which tool follows which (a Sankey), and the commonest n-grams with their success rates."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from tooltrack.dashboard import charts
from tooltrack.dashboard.page import analysis_page, stop_with_info
from tooltrack.store import SEQUENCE_LENGTHS

LIMIT = 100

page = analysis_page(
    "Sequences",
    "Tool names in call order within each task log (phase). With a tool filter, only sequences that "
    "contain that tool are counted.",
)
controls = st.columns(2)
n = controls[0].select_slider("Sequence length (n)", options=list(SEQUENCE_LENGTHS), value=3, key="sequences_n")
min_count = int(
    controls[1].number_input("Seen at least", min_value=1, max_value=1_000_000, value=5, key="sequences_min_count")
)

report = page.data.sequences(page.filters, n=n, min_count=min_count, limit=LIMIT)
if not report.transitions and not report.sequences:
    stop_with_info("No tool sequences match these filters. Widen the period or lower “Seen at least”.")

if report.transitions:
    st.plotly_chart(charts.transitions_sankey(report.transitions), width="stretch")
else:
    st.info("No transitions between tools in the period.")

st.subheader(f"Commonest {n}-grams")
if not report.sequences:
    st.info(f"No {n}-gram is seen {min_count:,} times or more. Lower “Seen at least”.")
else:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Sequence": s.sequence,
                    "Count": s.count,
                    "Success rate": s.success_rate,
                    "Mean duration (ms)": s.avg_duration_ms,
                }
                for s in report.sequences
            ]
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "Success rate": st.column_config.ProgressColumn(
                format="percent", min_value=0, max_value=1, color=charts.SUCCESS_COLOUR
            ),
            "Mean duration (ms)": st.column_config.NumberColumn(format="%.0f"),
        },
    )
