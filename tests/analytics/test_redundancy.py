"""Redundancy on hand-made runs whose answers are worked out by hand, on both databases."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from tooltrack.analytics import AnalyticsService, Filters
from tooltrack.models import TaskLogCreate, ToolCallRecord
from tooltrack.store import TaskLogRepository


def call(tool: str, turn: str, ms: int | None = 10, **fields: Any) -> ToolCallRecord:
    return ToolCallRecord(tool_name=tool, duration_ms=ms, success=fields.pop("success", True), turn_id=turn, **fields)


BUILD = [
    call("Read", "t1", 11, file_path="a.py"),
    call("Read", "t1", 12, file_path="a.py"),  # same turn as the first read: parallel, not redundant
    call("Read", "t2", 13, file_path="a.py"),  # redundant
    call("Read", "t3", 14, file_path="a.py", offset=10, limit=5),  # another key: not redundant
    call("Read", "t4", 15, file_path="a.py", offset=10, limit=5),  # redundant (the offset/limit key)
    call("Edit", "t5", 20, file_path="a.py"),  # changes a.py: the next read is needed
    call("Read", "t6", 16, file_path="a.py"),
    call("Read", "t7", 17, file_path="a.py"),  # redundant
    call("Read", "t8", 30, file_path="missing.py", success=False),  # a failed read tells nothing
    call("Read", "t9", 31, file_path="missing.py"),  # so this one is not redundant
    call("Bash", "t10", 1000, command="pytest -x"),
    call("Grep", "t11", 5, pattern="x"),  # reading does not change anything
    call("Bash", "t12", 1100, command="pytest -x"),  # redundant re-run
    call("Bash", "t12", 1200, command="pytest -x"),  # parallel with the previous one: not counted
    call("Write", "t13", 7, file_path="b.py"),  # a change
    call("Bash", "t14", 900, command="pytest -x"),  # needed after the change
    call("Bash", "t15", 40, command="git status"),
    call("Bash", "t16", 950, command="pytest -x"),  # another command ran between: not redundant
    call("Edit", "t17", 50, file_path="c.py"),
    call("Edit", "t18", 60, file_path="c.py"),  # consecutive edits of c.py (1)
    call("MultiEdit", "t19", None, file_path="c.py"),  # (2), unknown duration counts 0
    call("Edit", "t20", 70, file_path="d.py"),  # another file: the run ends
    call("Edit", "t21", 80, file_path="d.py"),  # d.py run (1)
    call("Read", "t22", 5, file_path="e.py"),
    call("Edit", "t23", 90, file_path="d.py"),  # not consecutive (a Read between)
]

# The same file read again in a later phase: a new agent, a new context, not redundant.
TEST = [call("Read", "u1", 11, file_path="a.py"), call("Read", "u2", 19, file_path="a.py")]


def _store(engine: Engine) -> None:
    repository = TaskLogRepository(engine)
    for number, (phase, calls) in enumerate((("Build", BUILD), ("Test", TEST)), start=1):
        repository.create(
            TaskLogCreate(
                adw_id="adw-r1",
                workflow_template="adw_sdlc",
                phase_name=phase,
                phase_number=number,
                phase_status="completed",
                tool_calls=calls,
            )
        )
    repository.create(
        TaskLogCreate(adw_id="adw-clean", phase_name="Build", phase_status="completed", tool_calls=BUILD[:2])
    )


def test_findings_worked_out_by_hand(engine: Engine) -> None:
    _store(engine)
    report = AnalyticsService(engine).redundancy("adw-r1")
    found = {(f.kind, f.target): (f.count, f.occurrences, f.wasted_duration_ms, f.phases) for f in report.redundancies}
    assert found == {
        ("repeated_read", "a.py"): (2 + 1, 5 + 2, 13 + 17 + 19, ["Build", "Test"]),
        ("repeated_read", "a.py (offset=10, limit=5)"): (1, 2, 15, ["Build"]),
        ("repeated_command", "pytest -x"): (1, 5, 1100, ["Build"]),
        ("consecutive_edits", "c.py"): (2, 3, 60, ["Build"]),
        ("consecutive_edits", "d.py"): (1, 2, 80, ["Build"]),
    }
    assert report.task_logs == 2 and report.tool_calls == len(BUILD) + len(TEST)
    assert report.redundant_calls == 3 + 1 + 1 + 2 + 1
    assert report.wasted_duration_ms == 49 + 15 + 1100 + 60 + 80
    first = report.redundancies[0]
    assert first.kind == "repeated_command" and first.pattern == "Same command re-run with nothing changed"
    assert first.total_duration_ms == first.wasted_duration_ms and first.suggestion
    assert [f.wasted_duration_ms for f in report.redundancies] == sorted(
        (f.wasted_duration_ms for f in report.redundancies), reverse=True
    )


def test_alerts_rank_runs_by_wasted_time(engine: Engine) -> None:
    _store(engine)
    alerts = AnalyticsService(engine).redundancy_alerts(Filters(days=1))
    assert [(a.adw_id, a.redundant_calls, a.wasted_duration_ms, a.task_logs) for a in alerts] == [
        ("adw-r1", 8, 49 + 15 + 1100 + 60 + 80, 2)
    ]
    assert alerts[0].workflow_template == "adw_sdlc"
    assert AnalyticsService(engine).redundancy_alerts(Filters(days=1, phase="Test"))[0].wasted_duration_ms == 19


def test_unknown_run_has_no_findings(engine: Engine) -> None:
    report = AnalyticsService(engine).redundancy("nothing-here")
    assert report.redundancies == [] and report.task_logs == 0
