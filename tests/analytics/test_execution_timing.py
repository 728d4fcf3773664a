"""Execution-only durations (`Filters.timing == "exec"`): latency figures that leave out waits.

A transcript's call duration is the time between its `tool_use` and `tool_result` lines, which
includes permission prompts and user idle time ("timestamps"); a duration the tool, the hook or the
tracker measured does not (`EXECUTION_SOURCES`). Real transcripts hold both kinds; the figures of
each kind are checked against a plain count of the stored calls, on both databases.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from tests.helpers.timing_sessions import reference_timing, store_real_sessions, stored_logs
from tooltrack.analytics import AnalyticsService, Filters
from tooltrack.core import EXECUTION_SOURCES
from tooltrack.models import TaskLogCreate, ToolCallRecord
from tooltrack.store import TaskLogRepository


def test_execution_only_figures_leave_out_line_timestamp_durations(engine: Engine, fixtures_dir: Path) -> None:
    calls = store_real_sessions(engine, fixtures_dir)
    service = AnalyticsService(engine)
    every = service.summary(Filters(all_time=True))
    executed = service.summary(Filters(all_time=True, timing="exec"))

    for execution_only, summary in ((False, every), (True, executed)):
        want = reference_timing(calls, execution_only=execution_only)
        got = {
            name: (stats.timed_count, stats.total_duration_ms)
            for name, stats in summary.by_tool.items()
            if stats.timed_count
        }
        assert got == want, execution_only
    # Counts and failures do not depend on the timing; the timed base does.
    assert {n: s.count for n, s in every.by_tool.items()} == {n: s.count for n, s in executed.by_tool.items()}
    assert executed.overall.timed_count < every.overall.timed_count
    for name, stats in executed.by_tool.items():
        durations = sorted(
            c.duration_ms
            for c in calls
            if c.tool_name == name and c.duration_ms is not None and c.duration_source in EXECUTION_SOURCES
        )
        if not durations:
            assert stats.p50_duration_ms is None and stats.avg_duration_ms is None, name
            continue
        # Bucket estimates (±2.5 %) of execution-only durations, never above the tool's largest duration.
        assert durations[0] * 0.97 <= stats.p50_duration_ms <= durations[-1] * 1.03, (name, stats)
        assert stats.p95_duration_ms is not None and stats.p95_duration_ms <= (stats.max_duration_ms or 0)


def test_a_long_wait_moves_the_wall_clock_figures_only(engine: Engine, fixtures_dir: Path) -> None:
    store_real_sessions(engine, fixtures_dir)
    service = AnalyticsService(engine)
    before = service.summary(Filters(all_time=True, timing="exec")).by_tool["Bash"]
    # One Bash call that "took" 17 minutes between its lines: a permission prompt left open.
    waited = ToolCallRecord(tool_name="Bash", duration_ms=17 * 60 * 1000, duration_source="timestamps", success=True)
    TaskLogRepository(engine).create(
        TaskLogCreate(
            adw_id="waited",
            phase_name="session",
            phase_status="completed",
            started_at=_latest_start(engine),
            tool_calls=[waited],
        )
    )
    after_exec = service.summary(Filters(all_time=True, timing="exec")).by_tool["Bash"]
    after_all = service.summary(Filters(all_time=True)).by_tool["Bash"]
    assert (after_exec.timed_count, after_exec.total_duration_ms) == (before.timed_count, before.total_duration_ms)
    assert after_exec.count == before.count + 1
    assert after_all.max_duration_ms == 17 * 60 * 1000
    histogram = service.latency_histogram(Filters(all_time=True, timing="exec"), tool="Bash")
    assert sum(bucket.count for bucket in histogram.buckets) == before.timed_count
    points = service.latency_over_time(Filters(all_time=True, timing="exec", tool="Bash"))
    assert sum(point.timed_calls for point in points) == before.timed_count


def _latest_start(engine: Engine) -> Any:
    return max(log.started_at for log in stored_logs(engine) if log.started_at)
