"""Failures, sequences, slowest calls and drill-down against the plain-Python reference, on both databases."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import Engine

from tests.helpers.known_data import failed, ngrams, select
from tooltrack.analytics import AnalyticsService, Filters
from tooltrack.core.error_kinds import error_kind
from tooltrack.models import TaskLogCreate
from tooltrack.store import TaskLogRepository


def _failing(logs: list[TaskLogCreate], filters: Filters) -> list[tuple[str, str, str | None]]:
    first, last = filters.window()
    return [
        (log.adw_id, call.tool_name, call.error_message)
        for log in select(logs, first, last, filters.workflow_template, filters.phase)
        for call in log.tool_calls
        if failed(call) and (filters.tool is None or call.tool_name == filters.tool)
    ]


@pytest.mark.parametrize("filters", [Filters(days=3650), Filters(days=10, tool="Bash"), Filters(phase="Test")])
def test_failures_and_error_kinds(stored: Engine, logs: list[TaskLogCreate], filters: Filters) -> None:
    expected = _failing(logs, filters)
    report = AnalyticsService(stored).failures(filters, limit=1000)
    assert report.total == len(expected)
    assert Counter((r.adw_id, r.tool_name, r.error_message) for r in report.rows) == Counter(expected)
    assert {(k.tool_name, k.error_kind): k.count for k in report.kinds} == Counter(
        (tool, error_kind(message)) for _, tool, message in expected
    )
    times = [r.occurred_at for r in report.rows]
    assert times == sorted(times, reverse=True)  # newest first


def test_failures_page_through_without_gaps(stored: Engine) -> None:
    service = AnalyticsService(stored)
    everything = service.failures(Filters(days=3650), limit=1000).rows
    pages = [service.failures(Filters(days=3650), limit=7, offset=o).rows for o in range(0, len(everything), 7)]
    assert [r for page in pages for r in page] == everything


def test_limits_are_bounded(stored: Engine) -> None:
    service = AnalyticsService(stored)
    with pytest.raises(ValueError, match="limit"):
        service.failures(Filters(), limit=0)
    with pytest.raises(ValueError, match="limit"):
        service.failures(Filters(), limit=10**6)
    with pytest.raises(ValueError, match="n must be"):
        service.sequences(Filters(), n=5)
    with pytest.raises(ValueError):
        Filters(days=0)
    with pytest.raises(ValueError):
        Filters(days=3651)


@pytest.mark.parametrize("n", [2, 3])
@pytest.mark.parametrize("filters", [Filters(days=3650), Filters(days=15, workflow_template="adw_patch")])
def test_sequences_match_the_reference(stored: Engine, logs: list[TaskLogCreate], n: int, filters: Filters) -> None:
    first, last = filters.window()
    expected = ngrams(select(logs, first, last, filters.workflow_template, filters.phase), n)
    report = AnalyticsService(stored).sequences(filters, n=n, min_count=3, limit=1000)
    wanted = {gram: e for gram, e in expected.items() if e["count"] >= 3}
    assert {tuple(s.tools) for s in report.sequences} == set(wanted)
    for sequence in report.sequences:
        want = wanted[tuple(sequence.tools)]
        assert sequence.count == want["count"]
        assert sequence.sequence == "→".join(sequence.tools)
        assert sequence.success_rate == pytest.approx(want["successes"] / want["count"])
        assert sequence.avg_duration_ms == (pytest.approx(want["total"] / want["timed"]) if want["timed"] else None)
    counts = [s.count for s in report.sequences]
    assert counts == sorted(counts, reverse=True)
    pairs = ngrams(select(logs, first, last, filters.workflow_template, filters.phase), 2)
    assert {(t.source, t.target): t.count for t in report.transitions} == {
        gram: e["count"] for gram, e in pairs.items() if e["count"] >= 3
    }


def test_sequences_with_a_tool_filter_contain_the_tool(stored: Engine, logs: list[TaskLogCreate]) -> None:
    report = AnalyticsService(stored).sequences(Filters(days=3650, tool="Edit"), n=3, min_count=1, limit=1000)
    expected = {gram: e for gram, e in ngrams(logs, 3).items() if "Edit" in gram}
    assert {tuple(s.tools): s.count for s in report.sequences} == {g: e["count"] for g, e in expected.items()}


def test_slowest_calls_match_the_reference(stored: Engine, logs: list[TaskLogCreate]) -> None:
    service = AnalyticsService(stored)
    timed = [c.duration_ms for log in logs for c in log.tool_calls if c.duration_ms is not None]
    durations = sorted(timed, reverse=True)
    # The rows kept for slow calls answer the first; the fallback over task_logs answers the second.
    for limit in (3, 200):
        got = service.slowest_calls(Filters(days=3650), limit=limit)
        assert [c.duration_ms for c in got] == durations[:limit]
    bash = service.slowest_calls(Filters(days=3650, tool="Bash"), limit=5)
    assert all(c.tool_name == "Bash" for c in bash)
    assert [c.duration_ms for c in bash] == sorted(
        (c.duration_ms for log in logs for c in log.tool_calls if c.tool_name == "Bash" and c.duration_ms is not None),
        reverse=True,
    )[:5]


def test_drilldown_has_every_log_and_call_in_order(stored: Engine, logs: list[TaskLogCreate]) -> None:
    run = [log for log in logs if log.adw_id == "run-004"]
    drill = AnalyticsService(stored).drilldown("run-004")
    assert [log.phase_name for log in drill.task_logs] == [log.phase_name for log in run]
    for got, sent in zip(drill.task_logs, run, strict=True):
        assert [c.tool_name for c in got.calls] == [c.tool_name for c in sent.tool_calls]
        assert [c.duration_ms for c in got.calls] == [c.duration_ms for c in sent.tool_calls]
        assert [c.failed for c in got.calls] == [failed(c) for c in sent.tool_calls]
        assert [c.index for c in got.calls] == list(range(len(sent.tool_calls)))
    assert drill.tool_calls == sum(len(log.tool_calls) for log in run)
    assert not drill.truncated
    bounded = AnalyticsService(stored).drilldown("run-004", max_calls=5)
    assert bounded.truncated and bounded.tool_calls == 5
    assert AnalyticsService(stored).drilldown("no-such-run").task_logs == []


def test_drilldown_orders_phases_by_number(engine: Engine) -> None:
    repository = TaskLogRepository(engine)
    for number, phase in ((3, "Test"), (1, "Plan"), (2, "Build")):
        repository.create(TaskLogCreate(adw_id="r", phase_name=phase, phase_number=number, phase_status="completed"))
    assert [log.phase_name for log in AnalyticsService(engine).drilldown("r").task_logs] == ["Plan", "Build", "Test"]
