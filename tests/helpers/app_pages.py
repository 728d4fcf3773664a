"""Reading an AppTest run of a page: its tables, metrics and charts, as plain values."""

from __future__ import annotations

import json
from typing import Any

from streamlit.testing.v1 import AppTest


def table_with(at: AppTest, *columns: str) -> tuple[list[str], list[dict[str, Any]]]:
    """The columns and rows of the one table that has `columns`, with missing values as None."""
    found = [table.value for table in at.dataframe if set(columns) <= set(table.value.columns)]
    assert len(found) == 1, [list(table.value.columns) for table in at.dataframe]
    frame = found[0]
    plain = frame.astype(object).where(frame.notna(), None)
    return list(frame.columns), plain.to_dict("records")


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def chart_specs(at: AppTest) -> list[dict[str, Any]]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def chart_titled(at: AppTest, prefix: str) -> dict[str, Any]:
    """The one chart whose title starts with `prefix`."""
    found = [s for s in chart_specs(at) if str(s["layout"].get("title", {}).get("text", "")).startswith(prefix)]
    assert len(found) == 1, [s["layout"].get("title") for s in chart_specs(at)]
    return found[0]
