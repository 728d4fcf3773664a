"""Runs, the new filters, cost, MCP servers, repeated work and failure filters, against the reference.

Every figure here is computed twice: by the service (SQL over the rollups and the runs table) and
in plain Python straight from the known task logs (tests/helpers/known_data.py), on both databases.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from tests.helpers.known_data import TODAY, failed, log_day, select
from tooltrack.analytics import AnalyticsService, Filters
from tooltrack.core import find_in_log
from tooltrack.models import TaskLogCreate

WINDOW = Filters(days=40)


def _window(logs: list[TaskLogCreate], filters: Filters = WINDOW) -> list[TaskLogCreate]:
    first, last = filters.window()
    return select(logs, first, last)


def _calls(logs: list[TaskLogCreate]):  # type: ignore[no-untyped-def]
    return [call for log in logs for call in log.tool_calls]


def test_runs_are_every_adw_id_of_the_window_paged_without_gaps(stored: Engine, logs: list[TaskLogCreate]) -> None:
    service = AnalyticsService(stored)
    expected = {log.adw_id for log in _window(logs)}
    seen: list[str] = []
    for offset in range(0, 100, 7):
        page = service.runs(WINDOW, limit=7, offset=offset)
        seen += [run.adw_id for run in page.runs]
        assert page.total == len(expected)
    assert sorted(seen) == sorted(expected) and len(seen) == len(set(seen))


def test_run_rows_count_their_logs_calls_and_failures(stored: Engine, logs: list[TaskLogCreate]) -> None:
    service = AnalyticsService(stored)
    by_run: dict[str, list[TaskLogCreate]] = defaultdict(list)
    for log in logs:
        by_run[log.adw_id].append(log)
    for run in service.runs(Filters(days=3650), limit=100).runs:
        mine = by_run[run.adw_id]
        assert run.task_logs == len(mine)
        assert run.calls == sum(len(log.tool_calls) for log in mine)
        assert run.failed_calls == sum(failed(c) for log in mine for c in log.tool_calls)
        assert run.redundant_calls == sum(t.count for log in mine for t in find_in_log(_dumped(log)))
        assert run.project == mine[0].project


def _dumped(log: TaskLogCreate) -> list[dict]:  # type: ignore[type-arg]
    return [call.model_dump(mode="json", exclude_none=True) for call in log.tool_calls]


def test_runs_sort_search_and_outcome(stored: Engine, logs: list[TaskLogCreate]) -> None:
    service = AnalyticsService(stored)
    everything = Filters(days=3650)
    by_calls = service.runs(everything, sort="calls", limit=100).runs
    assert [r.calls for r in by_calls] == sorted((r.calls for r in by_calls), reverse=True)
    prefix = service.runs(everything, search="run-01", limit=100)
    assert {r.adw_id for r in prefix.runs} == {log.adw_id for log in logs if log.adw_id.startswith("run-01")}
    assert service.runs(everything, outcome="failed").total == 0  # every known log completed
    assert service.runs(everything, outcome="completed").total == len({log.adw_id for log in logs})
    assert service.resolve_run("run-017") == ["run-017"]
    assert len(service.resolve_run("run-0")) > 1  # not unique
    with pytest.raises(ValueError, match="sort must be one of"):
        service.runs(everything, sort="nonsense")


@pytest.mark.parametrize(
    ("field", "value"),
    [("project", "alpha"), ("project", "beta"), ("model", "claude-haiku-4-5-20251001"), ("agent", "claude-code")],
)
def test_summary_narrowed_by_project_model_and_agent(
    stored: Engine, logs: list[TaskLogCreate], field: str, value: str
) -> None:
    summary = AnalyticsService(stored).summary(Filters(days=40, **{field: value}))
    expected: Counter[str] = Counter()
    for log in _window(logs):
        for call in log.tool_calls:
            own = call.model if field == "model" else getattr(log, field)
            if own == value:
                expected[call.tool_name] += 1
    assert {tool: stats.count for tool, stats in summary.by_tool.items()} == dict(expected)


def test_cost_adds_up_by_every_dimension(stored: Engine, logs: list[TaskLogCreate]) -> None:
    report = AnalyticsService(stored).cost(WINDOW)
    calls = _calls(_window(logs))
    total = sum(round(c.cost_usd * 10**12) for c in calls if c.cost_usd is not None)
    assert round(report.total_cost_usd * 10**12) == total
    assert report.costed_calls == sum(c.cost_usd is not None for c in calls)
    assert report.calls == len(calls)
    for groups in (report.by_tool, report.by_model, report.by_project, report.by_phase, report.by_mcp_server):
        assert sum(round(g.cost_usd * 10**12) for g in groups) == total
    by_model: Counter[str] = Counter()
    for c in calls:
        by_model[c.model or "(none)"] += round((c.cost_usd or 0) * 10**12)
    assert {g.name: round(g.cost_usd * 10**12) for g in report.by_model} == dict(by_model)
    expensive = sorted((c.cost_usd for c in calls if c.cost_usd is not None and c.cost_usd >= 0.01), reverse=True)
    assert [round(c.cost_usd, 6) for c in report.costliest_calls] == [round(x, 6) for x in expensive[:20]]


def test_mcp_servers_count_their_tools_calls(stored: Engine, logs: list[TaskLogCreate]) -> None:
    report = AnalyticsService(stored).mcp_servers(WINDOW)
    calls = [c for c in _calls(_window(logs)) if c.tool_name.startswith("mcp__")]
    assert {s.server: s.calls for s in report.servers} == {"x": len(calls)}
    assert report.servers[0].failures == sum(failed(c) for c in calls)


def test_repeated_work_totals_every_log_not_a_top_list(stored: Engine, logs: list[TaskLogCreate]) -> None:
    report = AnalyticsService(stored).repeated_work(WINDOW, top=1)
    tallies = {id(log): find_in_log(_dumped(log)) for log in _window(logs)}
    expected_calls = sum(t.count for found in tallies.values() for t in found)
    assert report.redundant_calls == expected_calls
    assert report.runs == len({log.adw_id for log in _window(logs) if tallies[id(log)]})
    assert sum(g.redundant_calls for g in report.by_pattern) == expected_calls
    assert sum(g.redundant_calls for g in report.by_week) == expected_calls
    assert len(report.top_targets) == 1  # the top list is cut, the totals are not


def test_failures_filtered_by_kind_text_and_run_over_all_of_them(stored: Engine, logs: list[TaskLogCreate]) -> None:
    service = AnalyticsService(stored)
    every = service.failures(WINDOW, limit=1)
    failing = [c for c in _calls(_window(logs)) if failed(c)]
    assert every.total == len(failing)
    kind = every.kinds[0]
    narrowed = service.failures(WINDOW, limit=1, error_kind=kind.error_kind)
    assert narrowed.total == sum(k.count for k in every.kinds if k.error_kind == kind.error_kind)
    assert service.failures(WINDOW, contains="NOT FOUND").total == sum(
        "not found" in (c.error_message or "").lower() for c in failing
    )
    run = next(log.adw_id for log in _window(logs) if any(failed(c) for c in log.tool_calls))
    assert service.failures(WINDOW, adw_id=run).total == sum(
        failed(c) for log in _window(logs) if log.adw_id == run for c in log.tool_calls
    )
    oldest = service.failures(WINDOW, sort="oldest", limit=1000).rows
    assert [r.occurred_at for r in oldest] == sorted(r.occurred_at for r in oldest)


def test_all_time_is_every_day_with_data_and_has_no_period_before(stored: Engine, logs: list[TaskLogCreate]) -> None:
    service = AnalyticsService(stored)
    everything = Filters(all_time=True)
    summary = service.summary(everything)
    assert summary.total_tool_calls == len(_calls(logs))
    assert summary.window.start == min(log_day(log) for log in logs)
    assert summary.window.end == max(log_day(log) for log in logs)
    assert everything.previous_period() is None


def test_long_windows_are_drawn_by_week(stored: Engine, logs: list[TaskLogCreate]) -> None:
    points = AnalyticsService(stored).calls_over_time(Filters(days=365))
    assert {p.interval_days for p in points} == {7}
    assert {p.day.weekday() for p in points} == {0}  # Mondays
    assert sum(p.calls for p in points) == len(_calls(select(logs, TODAY - timedelta(days=364), TODAY)))


@pytest.mark.parametrize("filters", [WINDOW, Filters(days=40, workflow_template="adw_sdlc")])
def test_costliest_repeats_count_the_task_logs_that_repeat_each_target(
    stored: Engine, logs: list[TaskLogCreate], filters: Filters
) -> None:
    report = AnalyticsService(stored).cost(filters, top=50)
    chosen = [log for log in _window(logs, filters) if filters.workflow_template in (None, log.workflow_template)]
    per_target: Counter[tuple[str, str]] = Counter()
    calls_of: Counter[tuple[str, str]] = Counter()
    for log in chosen:
        for tally in find_in_log(_dumped(log)):
            per_target[(tally.kind, tally.target)] += 1
            calls_of[(tally.kind, tally.target)] += tally.count
    assert report.costliest_repeats
    for target in report.costliest_repeats:
        key = (target.kind, target.target)
        assert (target.task_logs, target.redundant_calls) == (per_target[key], calls_of[key]), key
