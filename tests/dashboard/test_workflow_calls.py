"""The workflow drill-down's calls (issue 18, item 8): numbered once for the whole run, failed and
cancelled calls marked on the timeline, errors whole and without terminal escapes, each call's
stored record on request, sub-agent calls under their Task, tokens and cost per call, blank cells.

Every expectation is computed from the service's drill-down (or the stored logs), on both databases.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from tests.helpers.app_pages import chart_titled, table_with
from tests.helpers.dashboard import OpenPage
from tooltrack.analytics import AnalyticsService, Filters
from tooltrack.dashboard.text import shorten
from tooltrack.models import TaskLogCreate, ToolCallRecord
from tooltrack.store import TaskLogRepository

WHEN = datetime(2026, 11, 2, 10, tzinfo=UTC)
#: What a test runner prints in colour, and what a reader must see of it.
COLOURED = "\x1b[41m\x1b[1m FAIL \x1b[0m tests/test_export.py::test_csv\r\n" + "\x1b[31mE   AssertionError\x1b[0m " * 30
PLAIN = " FAIL  tests/test_export.py::test_csv\n" + "E   AssertionError " * 30


def _demo_run_with_a_task(service: AnalyticsService) -> str:
    """A demo run with failures and a Task whose sub-agent made calls."""
    for run in service.runs(Filters(days=3650), sort="failed_calls", limit=100).runs:
        drill = service.drilldown(run.adw_id)
        calls = [c for log in drill.task_logs for c in log.calls]
        if any(c.failed for c in calls) and any(c.details.get("parent_call_id") for c in calls):
            return run.adw_id
    raise AssertionError("the demo data has a run with failures and sub-agent calls")


def _numbered(service: AnalyticsService, adw_id: str) -> list[tuple[int, Any, Any]]:
    drill = service.drilldown(adw_id)
    calls = [(log, call) for log in drill.task_logs for call in log.calls]
    return [(number, log, call) for number, (log, call) in enumerate(calls, start=1)]


def test_calls_are_numbered_once_for_the_run_and_nested_under_their_task(demo_env: Engine, open_page: OpenPage) -> None:
    service = AnalyticsService(demo_env)
    adw_id = _demo_run_with_a_task(service)
    numbered = _numbered(service, adw_id)
    at = open_page("workflow", {"adw_id": adw_id})
    assert not at.exception, [e.message for e in at.exception]

    columns, rows = table_with(at, "Agent", "Error")
    assert columns == ["#", "Phase", "Agent", "Tool", "Target", "Error", "When (UTC)"]
    failed = [(n, log, call) for n, log, call in numbered if call.failed]
    assert [(r["#"], r["Phase"], r["Tool"], r["Error"]) for r in rows] == [
        (n, log.phase_name, call.tool_name, call.error_message) for n, log, call in failed
    ]

    columns, rows = table_with(at, "Agent", "Tokens")
    assert columns == [
        "#",
        "Phase",
        "Agent",
        "Tool",
        "Target",
        "Outcome",
        "Duration (ms)",
        "Tokens",
        "Cost ($)",
        "When (UTC)",
    ]
    assert sorted(r["#"] for r in rows) == list(range(1, len(numbered) + 1))
    by_number = {r["#"]: r for r in rows}
    task_numbers = {
        call.details["call_id"]: n
        for n, _, call in numbered
        if call.details.get("call_id") and call.tool_name == "Task"
    }
    for n, log, call in numbered:
        row = by_number[n]
        assert (row["Phase"], row["Tool"], row["Target"]) == (log.phase_name, call.tool_name, shorten(call.target))
        assert row["Duration (ms)"] == call.duration_ms
        assert row["Tokens"] == call.details.get("cost_tokens")
        assert row["Cost ($)"] == call.details.get("cost_usd")
        parent = call.details.get("parent_call_id")
        if parent in task_numbers:
            task = task_numbers[parent]
            assert row["Agent"].endswith(f"(#{task})"), row
            # Nested: after its Task, and only sub-agent calls of that Task in between.
            order = [r["#"] for r in rows]
            between = order[order.index(task) + 1 : order.index(n)]
            assert all(by_number[m]["Agent"] == row["Agent"] for m in between), (task, n, between)
        else:
            assert row["Agent"] == "main"

    # The timeline has a lane per sub-agent and marks each failed (timed) call with a cross.
    timeline = chart_titled(at, "Timeline of tool calls")
    marks = [trace for trace in timeline["data"] if trace.get("name") == "Failed call"]
    assert len(marks) == 1 and len(marks[0]["x"]) == sum(1 for _, _, c in failed if c.timestamp is not None)
    lanes = timeline["layout"]["yaxis"]["categoryarray"]
    assert any(" › #" in lane for lane in lanes), lanes
    growth = chart_titled(at, "Context size growth")
    assert growth["layout"]["xaxis"]["title"]["text"] == "Call #"


def _store(engine: Engine) -> str:
    """A run whose failed call prints in colour and at length, with a cancelled sibling."""
    calls = [
        ToolCallRecord(tool_name="Read", success=True, timestamp=WHEN, duration_ms=40, file_path="a.py"),
        ToolCallRecord(
            tool_name="Bash", success=False, timestamp=WHEN + timedelta(seconds=1), duration_ms=6_000,
            command="uv run pytest", exit_code=1, error_message=COLOURED, turn_id="t1", outcome="error",
        ),
        ToolCallRecord(
            tool_name="Grep", success=False, timestamp=WHEN + timedelta(seconds=1), duration_ms=5, pattern="x",
            turn_id="t1", outcome="cancelled", error_message="Cancelled: parallel tool call errored",
        ),
    ]  # fmt: skip
    TaskLogRepository(engine).create(
        TaskLogCreate(
            adw_id="colour-run-1", phase_name="Test", phase_status="failed", started_at=WHEN, tool_calls=calls
        )
    )
    return "colour-run-1"


def test_errors_are_whole_without_escapes_and_cancelled_calls_are_marked(app_env: Engine, open_page: OpenPage) -> None:
    adw_id = _store(app_env)
    at = open_page("workflow", {"adw_id": adw_id})
    assert not at.exception, [e.message for e in at.exception]
    _, rows = table_with(at, "Agent", "Error")
    assert [(r["#"], r["Error"]) for r in rows] == [(2, PLAIN)]
    assert len(PLAIN) > 300  # what the page cut at before
    timeline = chart_titled(at, "Timeline of tool calls")
    names = {trace.get("name"): len(trace["x"]) for trace in timeline["data"] if trace.get("mode") == "markers"}
    assert names == {"Failed call": 1, "Cancelled call": 1}
    # Missing values stay missing (shown blank), never the text "None".
    _, rows = table_with(at, "Agent", "Tokens")
    assert all(r["Tokens"] is None and r["Cost ($)"] is None for r in rows)
    assert not any(value == "None" for r in rows for value in r.values())
    # The failed call's record is open by default, its error without escapes above it.
    assert at.selectbox(key="workflow_record").value == 2
    assert [c.value for c in at.code] == [PLAIN]
    assert at.json[0].value is not None


def test_a_link_opens_a_calls_full_record(demo_env: Engine, open_page: OpenPage) -> None:
    service = AnalyticsService(demo_env)
    adw_id = _demo_run_with_a_task(service)
    numbered = _numbered(service, adw_id)
    number, log, call = numbered[len(numbered) // 2]
    at = open_page("workflow", {"adw_id": adw_id, "call": str(number)})
    assert not at.exception
    assert at.selectbox(key="workflow_record").value == number
    assert json.loads(at.json[0].proto.body) == call.details
    # The Cost page links by task log and index: the same call.
    at = open_page("workflow", {"adw_id": adw_id, "log": str(log.id), "index": str(call.index)})
    assert at.selectbox(key="workflow_record").value == number
    assert "log" not in at.query_params and at.query_params["adw_id"] == adw_id
