"""Percentile estimates that never contradict the observed maximum, and p50/p95 per day per tool.

The percentiles come from log-scale buckets, so each is an estimate within ALPHA of the exact
nearest-rank value; but an estimate must not read above the slowest call that was measured (a
tool whose every call took 1000 ms showed "p50 1019 ms, max 1000 ms"). Checked on both databases
against plain-Python nearest-rank percentiles over the stored logs.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine

from tests.helpers.known_data import TODAY, log_day, nearest_rank
from tooltrack.analytics import AnalyticsService, Filters
from tooltrack.core.histogram import ALPHA, bucket_of, bucket_value, percentiles
from tooltrack.models import TaskLogCreate, ToolCallRecord
from tooltrack.store import TaskLogRepository

ALL = Filters(days=3650)


def _log(adw_id: str, day: date, calls: list[tuple[str, int | None]]) -> TaskLogCreate:
    return TaskLogCreate(
        adw_id=adw_id,
        workflow_template="adw_sdlc",
        phase_name="Build",
        phase_status="completed",
        started_at=datetime(day.year, day.month, day.day, 12, tzinfo=UTC),
        tool_calls=[ToolCallRecord(tool_name=tool, duration_ms=ms, success=True) for tool, ms in calls],
    )


# -- the pure clamp ---------------------------------------------------------------------------


def test_a_bucket_estimate_is_held_to_the_observed_ceiling() -> None:
    bucket = bucket_of(1000)
    # The bucket's representative lies above 1000 ms: this is the case the dashboard showed.
    assert bucket_value(bucket) > 1000
    assert percentiles([(bucket, 5)], [0.5, 0.95]) == [pytest.approx(bucket_value(bucket))] * 2
    assert percentiles([(bucket, 5)], [0.5, 0.95], ceiling=1000) == [1000, 1000]
    # A ceiling above the estimate changes nothing; an empty histogram stays unknown.
    assert percentiles([(bucket, 5)], [0.5], ceiling=5000) == [pytest.approx(bucket_value(bucket))]
    assert percentiles([], [0.5], ceiling=1000) == [None]
    # A floor holds an estimate up to it (the observed minimum, when a caller knows it).
    low = bucket_of(1040)
    assert bucket_value(low) < 1040
    assert percentiles([(low, 3)], [0.5], floor=1040) == [1040]


# -- the service ------------------------------------------------------------------------------


def test_percentiles_never_read_above_the_maximum(engine: Engine) -> None:
    day = TODAY - timedelta(days=1)
    TaskLogRepository(engine).create_many(
        [
            _log("flat-1", day, [("Flat", 1000)] * 6),
            _log("flat-2", day, [("Flat", 1000)] * 4 + [("Grep", 120), ("Grep", 119)]),
        ]
    )
    service = AnalyticsService(engine)
    summary = service.summary(ALL)
    flat = summary.by_tool["Flat"]
    assert flat.max_duration_ms == 1000
    assert flat.p50_duration_ms == 1000 and flat.p95_duration_ms == 1000
    for stats in [*summary.by_tool.values(), summary.overall]:
        assert stats.max_duration_ms is not None
        assert stats.p50_duration_ms is not None and stats.p50_duration_ms <= stats.max_duration_ms
        assert stats.p95_duration_ms is not None and stats.p95_duration_ms <= stats.max_duration_ms
    histogram = service.latency_histogram(ALL, "Flat")
    assert (histogram.p50_duration_ms, histogram.p95_duration_ms, histogram.p99_duration_ms) == (1000, 1000, 1000)
    grep = service.latency_histogram(ALL, "Grep")
    assert grep.p99_duration_ms is not None and grep.p99_duration_ms <= 120


def test_summary_percentiles_stay_within_alpha_and_under_the_max(stored: Engine, logs: list[TaskLogCreate]) -> None:
    summary = AnalyticsService(stored).summary(ALL)
    durations: dict[str, list[int]] = defaultdict(list)
    for log in logs:
        for call in log.tool_calls:
            if call.duration_ms is not None:
                durations[call.tool_name].append(call.duration_ms)
    for tool, values in durations.items():
        got = summary.by_tool[tool]
        assert got.max_duration_ms == max(values)
        for mine, q in ((got.p50_duration_ms, 0.5), (got.p95_duration_ms, 0.95)):
            exact = nearest_rank(values, q)
            assert mine is not None and exact is not None
            assert mine <= max(values)
            assert abs(mine - exact) <= ALPHA * exact + 1e-9, (tool, q, mine, exact)


# -- p50 / p95 per day and tool -----------------------------------------------------------------


def _reference(logs: list[TaskLogCreate], filters: Filters) -> dict[tuple[date, str], list[int]]:
    first, last = filters.window()
    found: dict[tuple[date, str], list[int]] = defaultdict(list)
    for log in logs:
        day = log_day(log)
        if not first <= day <= last:
            continue
        if filters.workflow_template is not None and (log.workflow_template or "") != filters.workflow_template:
            continue
        for call in log.tool_calls:
            if call.duration_ms is None or (filters.tool is not None and call.tool_name != filters.tool):
                continue
            found[(day, call.tool_name)].append(call.duration_ms)
    return found


@pytest.mark.parametrize(
    "filters",
    [ALL, Filters(days=10), Filters(days=3650, tool="Bash"), Filters(days=30, workflow_template="adw_patch")],
    ids=lambda f: f.model_dump_json(exclude_defaults=True),
)
def test_latency_over_time_matches_nearest_rank_per_day_and_tool(
    stored: Engine, logs: list[TaskLogCreate], filters: Filters
) -> None:
    points = AnalyticsService(stored).latency_over_time(filters)
    expected = _reference(logs, filters)
    assert {(p.day, p.tool_name) for p in points} == set(expected)
    # Ordered by day, then tool: a chart can draw the lines as they come.
    assert [(p.day, p.tool_name) for p in points] == sorted((p.day, p.tool_name) for p in points)
    for point in points:
        values = expected[(point.day, point.tool_name)]
        assert point.timed_calls == len(values)
        assert point.max_duration_ms == max(values)
        for mine, q in ((point.p50_duration_ms, 0.5), (point.p95_duration_ms, 0.95)):
            exact = nearest_rank(values, q)
            assert mine is not None and exact is not None
            assert mine <= max(values)
            assert abs(mine - exact) <= ALPHA * exact + 1e-9, (point, q, exact)


def test_latency_over_time_is_empty_without_timed_calls(engine: Engine) -> None:
    day = TODAY - timedelta(days=2)
    TaskLogRepository(engine).create_many([_log("untimed", day, [("Read", None), ("Read", None)])])
    assert AnalyticsService(engine).latency_over_time(ALL) == []
    assert AnalyticsService(engine).latency_over_time(Filters(days=3650, tool="Nope")) == []
