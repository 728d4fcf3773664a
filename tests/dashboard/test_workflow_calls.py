"""The workflow drill-down's two call tables: the failed calls, and every call in order."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from tests.helpers.dashboard import OpenPage
from tooltrack.analytics import AnalyticsService, Filters
from tooltrack.dashboard.text import shorten


def _rows_of_table_with(at: AppTest, *columns: str) -> tuple[list[str], list[dict[str, Any]]]:
    """The columns and rows of the one table that has `columns`, with missing values as None."""
    [frame] = [table.value for table in at.dataframe if set(columns) <= set(table.value.columns)]
    plain = frame.astype(object).where(frame.notna(), None)
    return list(frame.columns), plain.to_dict("records")


def test_workflow_page_lists_the_failed_calls_and_every_call(demo_env: Engine, open_page: OpenPage) -> None:
    service = AnalyticsService(demo_env)
    adw_id = service.redundancy_alerts(Filters(days=3650), limit=1)[0].adw_id
    drill = service.drilldown(adw_id)
    calls = [(log, call) for log in drill.task_logs for call in log.calls]
    assert any(call.failed for _, call in calls), "the demo run has failures"
    at = open_page("workflow", {"adw_id": adw_id})
    assert not at.exception

    columns, rows = _rows_of_table_with(at, "Call", "Error")  # the phases table has an Error column too
    assert columns == ["Phase", "Call", "Tool", "Target", "Error", "When (UTC)"]
    assert rows == [
        {
            "Phase": log.phase_name,
            "Call": call.index,
            "Tool": call.tool_name,
            "Target": shorten(call.target),
            "Error": shorten(call.error_message, 300),
            "When (UTC)": call.timestamp,
        }
        for log, call in calls
        if call.failed
    ]

    columns, rows = _rows_of_table_with(at, "Turn")
    assert columns == ["Phase", "Call", "Tool", "Target", "Duration (ms)", "Outcome", "Turn", "When (UTC)"]
    assert rows == [
        {
            "Phase": log.phase_name,
            "Call": call.index,
            "Tool": call.tool_name,
            "Target": shorten(call.target),
            "Duration (ms)": call.duration_ms,
            "Outcome": call.outcome or ("ok" if call.success else "error"),
            "Turn": call.turn_id,
            "When (UTC)": call.timestamp,
        }
        for log, call in calls
    ]
