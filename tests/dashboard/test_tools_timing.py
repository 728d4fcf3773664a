"""The Tools page's "Durations" choice: wall clock or execution only, as the service counts them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from tests.helpers.dashboard import OpenPage
from tests.helpers.timing_sessions import store_real_sessions
from tooltrack.analytics import AnalyticsService, Filters


def test_execution_only_durations_on_the_tools_page(app_env: Engine, fixtures_dir: Path, open_page: OpenPage) -> None:
    store_real_sessions(app_env, fixtures_dir)
    service = AnalyticsService(app_env)
    at = open_page("tools", {"days": "all"})
    assert not at.exception, [e.message for e in at.exception]
    assert any("wall clock" in h.value for h in at.subheader)
    wall = at.dataframe[0].value
    every = service.summary(Filters(all_time=True))
    assert _column(wall, "Mean (ms)") == [t.avg_duration_ms for t in every.by_tool.values()]

    at.radio(key="tools_timing").set_value("exec").run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("execution only" in h.value for h in at.subheader)
    assert at.query_params.get("timing") == "exec"
    executed = service.summary(Filters(all_time=True, timing="exec"))
    frame = at.dataframe[0].value
    assert list(frame["Tool"]) == list(executed.by_tool)
    assert _column(frame, "Mean (ms)") == [t.avg_duration_ms for t in executed.by_tool.values()]
    assert _column(frame, "p95 (ms)") == [t.p95_duration_ms for t in executed.by_tool.values()]
    assert list(frame["Calls"]) == list(wall["Calls"])  # counts do not depend on the timing
    # The line-timestamp durations (waits included) are gone from the execution-only totals.
    assert sum(frame["Total time (s)"]) < sum(wall["Total time (s)"])


def _column(frame: pd.DataFrame, name: str) -> list[float | None]:
    """A column of the table with its empty cells as None (as the service gives them)."""
    return [None if pd.isna(value) else float(value) for value in frame[name]]
