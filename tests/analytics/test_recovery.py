"""Recovery after failures: each outcome planted, real Claude Code sessions, on both databases."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from tooltrack.analytics import AnalyticsService, Filters
from tooltrack.analytics.recovery import OUTCOMES, recovery_of
from tooltrack.core.error_kinds import error_kind
from tooltrack.ingest import ingest_file
from tooltrack.models import TaskLogCreate, ToolCallRecord
from tooltrack.store import TaskLogRepository, task_logs

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
EVERYTHING = Filters(all_time=True)


def _call(tool: str, second: float, *, ok: bool = True, error: str = "Exit code 1", **fields: Any) -> dict[str, Any]:
    call: dict[str, Any] = {"tool_name": tool, "success": ok, "timestamp": T0 + timedelta(seconds=second), **fields}
    if not ok:
        call["error_message"] = error
    return call


def _log(adw_id: str, calls: list[dict[str, Any]]) -> TaskLogCreate:
    return TaskLogCreate(
        adw_id=adw_id,
        phase_name="build",
        phase_status="completed",
        started_at=T0,
        tool_calls=[ToolCallRecord(**call) for call in calls],
    )


#: One planted session per outcome: (calls, index of the failure, outcome, calls and seconds to recovery).
PLANTED: dict[str, tuple[list[dict[str, Any]], int, str, int | None, float | None]] = {
    "retried": (
        [
            _call("Bash", 0, ok=False, command="pytest -q"),
            _call("Bash", 5, ok=False, command="pytest -q"),
            _call("Bash", 12, command="pytest -q"),
        ],
        0,
        "retried",
        2,
        12.0,
    ),
    "changed_input": (
        [
            _call("Read", 0, ok=False, error="File does not exist.", file_path="/a/missing.py"),
            _call("Read", 3, file_path="/a/found.py"),
        ],
        0,
        "changed_input",
        1,
        3.0,
    ),
    "switched_tool": (
        [
            _call("Edit", 0, ok=False, error="String to replace not found in file.", file_path="/a/x.py"),
            _call("Write", 4, file_path="/a/x.py"),
        ],
        0,
        "switched_tool",
        1,
        4.0,
    ),
    "gave_up": (
        [_call("Read", 0, file_path="/a/x.py"), _call("WebFetch", 2, ok=False, error="HTTP 404", url="https://x/y")],
        1,
        "gave_up",
        None,
        None,
    ),
}


@pytest.mark.parametrize("name", list(PLANTED))
def test_each_outcome_in_plain_python(name: str) -> None:
    calls, index, outcome, calls_to, seconds = PLANTED[name]
    found = recovery_of([ToolCallRecord(**c).model_dump(mode="json") for c in calls], index)
    assert (found.outcome, found.calls_to_recovery, found.seconds_to_recovery) == (outcome, calls_to, seconds)
    assert found.recovered is (calls_to is not None)


def test_parallel_siblings_cancelled_calls_and_other_agents_are_passed_over() -> None:
    calls = [
        _call("Bash", 0, ok=False, command="make", turn_id="t1"),
        _call("Read", 0, file_path="a", turn_id="t1"),  # issued with the failure: not a reaction
        {**_call("Grep", 1, ok=False, pattern="x"), "outcome": "cancelled"},
        _call("Bash", 2, command="make", parent_call_id="task-1"),  # a sub-agent's call
        _call("Bash", 9, command="make -j2"),
    ]
    stored = [ToolCallRecord(**c).model_dump(mode="json") for c in calls]
    found = recovery_of(stored, 0)
    assert (found.outcome, found.calls_to_recovery, found.seconds_to_recovery) == ("changed_input", 1, 9.0)


def test_a_switch_recovers_when_the_new_tool_works_and_not_before() -> None:
    calls = [
        _call("Edit", 0, ok=False, file_path="a"),
        _call("Read", 1, ok=False, file_path="a"),  # the switch, failing too
        _call("Grep", 2, pattern="p"),  # works, but is neither Edit nor Read
        _call("Read", 3, file_path="a"),  # recovery
    ]
    found = recovery_of([ToolCallRecord(**c).model_dump(mode="json") for c in calls], 0)
    assert (found.outcome, found.recovered, found.calls_to_recovery) == ("switched_tool", True, 3)


def test_planted_outcomes_on_the_database(engine: Engine) -> None:
    repository = TaskLogRepository(engine)
    repository.create_many([_log(f"plant-{name}", calls) for name, (calls, *_) in PLANTED.items()])
    report = AnalyticsService(engine).recovery(EVERYTHING)
    # Five failures: the retried session has two (the second is retried too, and works at once).
    assert report.overall.failures == 5
    assert report.overall.outcomes == {"retried": 2, "changed_input": 1, "switched_tool": 1, "gave_up": 1}
    assert report.overall.recovered == 4
    assert report.overall.recovered_by_outcome == {"retried": 2, "changed_input": 1, "switched_tool": 1, "gave_up": 0}
    groups = {(g.tool_name, g.error_kind): g for g in report.groups}
    bash = groups[("Bash", "Exit code 1")]
    assert (bash.failures, bash.outcomes["retried"], bash.median_calls_to_recovery) == (2, 2, 1.5)
    assert bash.median_seconds_to_recovery == pytest.approx((12 + 7) / 2)
    assert groups[("WebFetch", error_kind("HTTP 404"))].outcomes["gave_up"] == 1
    assert groups[("WebFetch", error_kind("HTTP 404"))].recovery_rate == 0.0
    assert report.total_groups == len(report.groups) == 4
    # The filters narrow it as they narrow the failures.
    only_read = AnalyticsService(engine).recovery(Filters(all_time=True, tool="Read"))
    assert only_read.overall.failures == 1 and only_read.overall.outcomes["changed_input"] == 1
    assert AnalyticsService(engine).recovery(Filters(phase="nope")).overall.failures == 0


REAL_SESSIONS = (
    "claude-transcripts/spotter-errors-hooks-v2.1.39.jsonl",
    "claude-transcripts/viewer-sample-v1.0.108.jsonl",
    "claude-stream-json/adw-2048-sdlc_implementor.jsonl",
    "real/case2-inline-sidechains/city-of-perla-chat-2.0.26-five-parallel-tasks.json",
    "real/case5-chat-json/skogai-claude-backup-v1.0.119-chat.json",
    "real/case1-resume/sniffly-ai-music/d3ad4cdc-5657-435d-98fa-0035d53e383d.jsonl",
)


def _reference(engine: Engine) -> Counter[tuple[str, str, str]]:
    """Per (tool, error kind, outcome) from the stored logs, with the next-call rule written out again."""
    tally: Counter[tuple[str, str, str]] = Counter()
    with engine.connect() as connection:
        rows = connection.execute(select(task_logs.c.tool_calls)).all()
    for (calls,) in rows:
        calls = calls or []
        for i, call in enumerate(calls):
            if call.get("success") or call.get("outcome") == "cancelled":
                continue
            nexts = [
                c
                for c in calls[i + 1 :]
                if c.get("parent_call_id") == call.get("parent_call_id")
                and c.get("outcome") != "cancelled"
                and (call.get("turn_id") is None or c.get("turn_id") != call.get("turn_id"))
            ]
            if not nexts:
                outcome = "gave_up"
            elif nexts[0]["tool_name"] != call["tool_name"]:
                outcome = "switched_tool"
            else:
                same = all(
                    nexts[0].get(k) == call.get(k)
                    for k in ("command", "file_path", "offset", "limit", "pattern", "url", "parameters")
                )
                outcome = "retried" if same else "changed_input"
            tally[(call["tool_name"], error_kind(call.get("error_message")), outcome)] += 1
    return tally


def test_real_sessions_match_the_reference(engine: Engine, fixtures_dir: Path) -> None:
    for name in REAL_SESSIONS:
        report = ingest_file(engine, fixtures_dir / name)
        assert report.error is None, report.error
    service = AnalyticsService(engine)
    recovery = service.recovery(EVERYTHING)
    expected = _reference(engine)
    assert sum(expected.values()) >= 15  # the sessions hold real failures
    assert recovery.overall.failures == sum(expected.values()) == service.failures(EVERYTHING).total
    found = Counter(
        {
            (g.tool_name, g.error_kind, outcome): count
            for g in recovery.groups
            for outcome, count in g.outcomes.items()
            if count
        }
    )
    assert found == expected
    assert sum(recovery.overall.outcomes.values()) == recovery.overall.failures
    assert set(recovery.overall.outcomes) == set(OUTCOMES)
    for group in recovery.groups:
        assert group.recovered == sum(group.recovered_by_outcome.values()) <= group.failures
        assert group.recovered_by_outcome["gave_up"] == 0
        if group.timed_recoveries:
            assert group.median_seconds_to_recovery is not None and group.median_seconds_to_recovery >= 0
