"""The Live page: what the last minutes hold, and a call stored after the page opened appears when
its fragment reruns (without the page running again), on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from tests.helpers.dashboard import OpenPage, rerun_fragments
from tooltrack.analytics import AnalyticsService, Filters
from tooltrack.models import TaskLogCreate, ToolCallRecord
from tooltrack.store import TaskLogRepository


def _log(adw_id: str, tool: str, *, ok: bool = True, seconds_ago: int = 20, target: str = "make test") -> TaskLogCreate:
    now = datetime.now(UTC)
    return TaskLogCreate(
        adw_id=adw_id,
        phase_name="build",
        phase_status="completed",
        started_at=now - timedelta(minutes=2),
        tool_calls=[
            ToolCallRecord(tool_name="Read", success=True, timestamp=now - timedelta(minutes=2), file_path="a.py"),
            ToolCallRecord(
                tool_name=tool,
                success=ok,
                error_message=None if ok else "Exit code 2",
                timestamp=now - timedelta(seconds=seconds_ago),
                command=target,
            ),
        ],
    )


def _metrics(at: object) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}  # type: ignore[attr-defined]


def test_the_live_page_shows_the_last_minutes(app_env: Engine, open_page: OpenPage) -> None:
    repository = TaskLogRepository(app_env)
    repository.create(_log("live-run-1", "Bash"))
    old = _log("live-old", "Bash", seconds_ago=3 * 3600)
    repository.create(old.model_copy(update={"tool_calls": old.tool_calls[1:]}))
    at = open_page("live")
    assert not at.exception, [e.message for e in at.exception]
    view = AnalyticsService(app_env).live_view(Filters(), minutes=10)
    assert view.total_calls == 2  # the old log's call is not of the last minutes
    shown = _metrics(at)
    assert shown["Calls, last 10 min"] == "2" and shown["Failures"] == "0" and shown["Sessions running"] == "1"
    sessions = at.dataframe[0].value
    assert list(sessions["Workflow"]) == ["live-run-1"] and list(sessions["Current tool"]) == ["Bash"]
    calls = at.dataframe[1].value
    assert list(calls["Tool"]) == ["Bash", "Read"]  # newest first


def test_a_call_stored_after_the_page_opened_appears_when_the_fragment_reruns(
    app_env: Engine, open_page: OpenPage
) -> None:
    at = open_page("live")
    assert not at.exception, [e.message for e in at.exception]
    assert _metrics(at)["Calls, last 10 min"] == "0"
    assert at.title[0].value == "Live"
    TaskLogRepository(app_env).create(_log("live-run-2", "Bash", ok=False, target="pytest -x", seconds_ago=1))
    at = rerun_fragments(at)
    assert not at.exception, [e.message for e in at.exception]
    assert len(at.title) == 0, "the fragment ran alone, not the page"
    shown = _metrics(at)
    assert shown["Calls, last 10 min"] == "2" and shown["Failures"] == "1" and shown["Sessions running"] == "1"
    failures = at.dataframe[1].value
    assert list(failures["Tool"]) == ["Bash"] and list(failures["Error kind"]) == ["Exit code 2"]
    assert list(failures["Target"]) == ["pytest -x"]
    assert list(at.dataframe[0].value["Current tool"]) == ["Bash"]
