"""Summary, over-time series and filter options against the plain-Python reference, on both databases."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from tests.helpers.known_data import PHASES, TODAY, failed, log_day, per_tool, select
from tooltrack.analytics import AnalyticsService, Filters
from tooltrack.core.commands import normalise_command
from tooltrack.models import TaskLogCreate

WINDOWS = [
    Filters(days=3650),
    Filters(days=7),
    Filters(days=30, workflow_template="adw_sdlc"),
    Filters(days=30, workflow_template=""),
    Filters(start=TODAY - timedelta(days=20), end=TODAY - timedelta(days=5), phase="Build"),
]


def _expected_window(filters: Filters, logs: list[TaskLogCreate]) -> list[TaskLogCreate]:
    first, last = filters.window()
    return select(logs, first, last, filters.workflow_template, filters.phase)


@pytest.mark.parametrize("filters", WINDOWS, ids=lambda f: f.model_dump_json(exclude_defaults=True))
def test_per_tool_figures_match_the_reference(stored: Engine, logs: list[TaskLogCreate], filters: Filters) -> None:
    summary = AnalyticsService(stored).summary(filters)
    expected = per_tool(_expected_window(filters, logs))
    assert set(summary.by_tool) == set(expected)
    assert summary.total_tool_calls == sum(e["count"] for e in expected.values())
    for tool, want in expected.items():
        got = summary.by_tool[tool]
        for field in ("count", "failures", "cancelled", "timed_count", "total_duration_ms", "max_duration_ms"):
            assert getattr(got, field) == want[field], (tool, field)
        assert got.success_rate == pytest.approx(want["success_rate"])
        assert got.avg_duration_ms == pytest.approx(want["avg_duration_ms"])
        for mine, exact in ((got.p50_duration_ms, want["p50"]), (got.p95_duration_ms, want["p95"])):
            if exact is None:
                assert mine is None
            elif exact == 0:
                assert mine == 0
            else:
                assert abs(mine - exact) / exact <= 0.05, (tool, mine, exact)
    # Most used first.
    counts = [t.count for t in summary.by_tool.values()]
    assert counts == sorted(counts, reverse=True)


def test_tool_filter_narrows_to_one_tool(stored: Engine, logs: list[TaskLogCreate]) -> None:
    summary = AnalyticsService(stored).summary(Filters(days=3650, tool="Bash"))
    assert list(summary.by_tool) == ["Bash"]
    assert summary.total_tool_calls == per_tool(logs)["Bash"]["count"]
    assert AnalyticsService(stored).summary(Filters(days=3650, tool="Read")).top_commands == []


def test_top_commands_by_program_and_subcommand(stored: Engine, logs: list[TaskLogCreate]) -> None:
    summary = AnalyticsService(stored).summary(Filters(days=3650))
    expected: dict[str, list[int | None]] = defaultdict(list)
    for log in logs:
        for call in log.tool_calls:
            if call.tool_name == "Bash":
                expected[normalise_command(call.command or "")].append(call.duration_ms)
    assert (
        {c.command for c in summary.top_commands}
        == set(expected)
        == {
            "pytest",
            "git commit",
            "npm run build",
            "git status",
            "ls",
        }
    )
    for command in summary.top_commands:
        durations = [d for d in expected[command.command] if d is not None]
        assert command.count == len(expected[command.command])
        assert command.avg_duration_ms == pytest.approx(sum(durations) / len(durations))
    assert [c.count for c in summary.top_commands] == sorted((c.count for c in summary.top_commands), reverse=True)


def test_breakdowns_by_template_and_phase(stored: Engine, logs: list[TaskLogCreate]) -> None:
    summary = AnalyticsService(stored).summary(Filters(days=3650))
    by_template: dict[str, int] = defaultdict(int)
    failures_by_phase: dict[str, int] = defaultdict(int)
    for log in logs:
        by_template[log.workflow_template or ""] += len(log.tool_calls)
        failures_by_phase[log.phase_name] += sum(failed(c) for c in log.tool_calls)
    assert {g.name: g.count for g in summary.by_workflow_template} == by_template
    assert {g.name: g.failures for g in summary.by_phase} == failures_by_phase
    assert sorted(g.name for g in summary.by_phase) == sorted(PHASES)


def test_calls_and_failure_rate_over_time(stored: Engine, logs: list[TaskLogCreate]) -> None:
    service = AnalyticsService(stored)
    filters = Filters(days=14)
    expected: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for log in _expected_window(filters, logs):
        for call in log.tool_calls:
            entry = expected[(log_day(log), call.tool_name)]
            entry[0] += 1
            entry[1] += failed(call)
            entry[2] += call.outcome == "cancelled"
            entry[3] += call.duration_ms or 0
    points = service.calls_over_time(filters)
    by_key = {(p.day, p.tool_name): [p.calls, p.failures, p.cancelled, p.total_duration_ms] for p in points}
    assert {k: v for k, v in by_key.items() if v[0]} == dict(expected)
    assert [(p.day, p.tool_name) for p in points] == sorted((p.day, p.tool_name) for p in points)
    # Quiet days are zero, not missing: every day of the window, every tool of the window.
    first, last = filters.window()
    days = {first + timedelta(days=n) for n in range((last - first).days + 1)}
    assert set(by_key) == {(day, tool) for day in days for tool in {t for _, t in expected}}
    for point in service.failure_rate_over_time(filters):
        calls, failures, cancelled, _ = expected[(point.day, point.tool_name)]
        assert point.failure_rate == (pytest.approx(failures / (calls - cancelled)) if calls > cancelled else None)


def test_previous_period_is_the_window_before(stored: Engine, logs: list[TaskLogCreate]) -> None:
    filters = Filters(days=10)
    before = filters.previous_period()
    assert before.window() == (TODAY - timedelta(days=19), TODAY - timedelta(days=10))
    summary = AnalyticsService(stored).summary(before)
    assert summary.total_tool_calls == sum(len(log.tool_calls) for log in _expected_window(before, logs))


def test_filter_options_list_what_is_present(stored: Engine, logs: list[TaskLogCreate]) -> None:
    options = AnalyticsService(stored).filter_options()
    assert options.workflow_templates == sorted({log.workflow_template or "" for log in logs})
    assert options.phases == sorted(PHASES)
    assert options.tools == sorted({c.tool_name for log in logs for c in log.tool_calls})
    assert options.first_day == min(log_day(log) for log in logs)
    assert options.last_day == max(log_day(log) for log in logs)


def test_empty_database_gives_empty_answers(engine: Engine) -> None:
    service = AnalyticsService(engine)
    summary = service.summary(Filters())
    assert summary.total_tool_calls == 0 and summary.by_tool == {} and summary.overall.p95_duration_ms is None
    assert service.filter_options().first_day is None
    assert service.sequences(Filters(), min_count=1).sequences == []
    assert service.failures(Filters()).total == 0


def test_latency_histogram_counts_timed_calls(stored: Engine, logs: list[TaskLogCreate]) -> None:
    histogram = AnalyticsService(stored).latency_histogram(Filters(days=3650), "Read")
    expected = per_tool(logs)["Read"]
    assert histogram.count == expected["timed_count"] == sum(b.count for b in histogram.buckets)
    assert abs(histogram.p95_duration_ms - expected["p95"]) / expected["p95"] <= 0.05
    assert all(b.lower_ms <= b.upper_ms for b in histogram.buckets)


@pytest.mark.parametrize("filters", WINDOWS, ids=lambda f: f.model_dump_json(exclude_defaults=True))
def test_workflow_and_task_log_counts_match_the_reference(
    stored: Engine, logs: list[TaskLogCreate], filters: Filters
) -> None:
    summary = AnalyticsService(stored).summary(filters)
    expected = _expected_window(filters, logs)
    assert summary.task_logs == len(expected)
    assert summary.workflows == len({log.adw_id for log in expected})
