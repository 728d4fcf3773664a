"""Tables that more than one page shows, as the DataFrames the pages hand to `st.dataframe`."""

from __future__ import annotations

import pandas as pd

from tooltrack.analytics import RedundancyFinding


def redundancy_findings(findings: list[RedundancyFinding], *, occurrences: bool = True) -> pd.DataFrame:
    """One run's repeated work, a row per finding in the service's order (the Redundancy page and
    the workflow drill-down). `occurrences` adds "Of calls": how many calls the pattern had in all."""
    columns = ["Pattern", "Target", "Redundant calls", "Of calls", "Wasted (ms)", "Phases", "Suggestion"]
    if not occurrences:
        columns.remove("Of calls")
    rows = [
        {
            "Pattern": f.pattern,
            "Target": f.target,
            "Redundant calls": f.count,
            "Of calls": f.occurrences,
            "Wasted (ms)": f.wasted_duration_ms,
            "Phases": ", ".join(f.phases),
            "Suggestion": f.suggestion,
        }
        for f in findings
    ]
    return pd.DataFrame(rows, columns=columns)
