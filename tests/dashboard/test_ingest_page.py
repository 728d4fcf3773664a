"""The Ingest page: several files at once, a per-file report, and the new data on the other pages at once."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from tests.helpers.dashboard import OpenPage
from tooltrack.dashboard.ingest_run import ingest_uploads
from tooltrack.models import TaskLogCreate, ToolCallRecord

STREAM_JSON = "claude-stream-json/adw-2048-sdlc_implementor.jsonl"


def tooltrack_logs(count: int = 2) -> list[TaskLogCreate]:
    start = datetime.now(UTC) - timedelta(hours=1)
    return [
        TaskLogCreate(
            adw_id=f"upload{n}",
            workflow_template="adw_upload",
            phase_name="Build",
            phase_status="completed",
            started_at=start,
            tool_calls=[
                ToolCallRecord(tool_name="Read", duration_ms=20 + i, success=True, timestamp=start, file_path=f"f{i}")
                for i in range(3 + n)
            ],
        )
        for n in range(count)
    ]


def jsonl(logs: list[TaskLogCreate], bad_line_at: int | None = None) -> bytes:
    lines = [log.model_dump_json(exclude_none=True) for log in logs]
    if bad_line_at is not None:
        lines.insert(bad_line_at - 1, '{"adw_id": "x", "phase_name": "Build", "phase_status": "ok", "tool_calls": 7}')
    return ("\n".join(lines) + "\n").encode()


def tool_uses(path: Path) -> int:
    """Tool calls in a stream-json file, counted by hand: tool_use blocks in assistant messages."""
    count = 0
    for line in path.read_text().splitlines():
        message = json.loads(line)
        if message.get("type") == "assistant":
            count += sum(1 for block in message["message"]["content"] if block.get("type") == "tool_use")
    return count


def per_file(at: AppTest) -> dict[str, dict[str, object]]:
    frame = at.dataframe[0].value
    return {row["File"]: row for row in frame.to_dict("records")}


def upload(at: AppTest, files: list[tuple[str, bytes]], adw_id: str = "") -> AppTest:
    at.file_uploader(key="ingest_files").set_value([(name, data, "application/jsonl") for name, data in files])
    at.text_input[0].input(adw_id)
    at.button[0].click()
    return at.run()


def test_upload_reports_each_file_and_new_data_shows_everywhere(
    app_env: Engine, open_page: OpenPage, fixtures_dir: Path
) -> None:
    logs = tooltrack_logs()
    good_calls = sum(len(log.tool_calls) for log in logs)
    stream_file = fixtures_dir / STREAM_JSON
    at = open_page("ingest")
    at = upload(
        at,
        [("mine.jsonl", jsonl(logs, bad_line_at=2)), ("raw_output.jsonl", stream_file.read_bytes())],
        adw_id="adw2048",
    )
    assert not at.exception, [e.message for e in at.exception]
    report = per_file(at)
    assert report["mine.jsonl"]["Format"] == "tooltrack-jsonl"
    assert report["mine.jsonl"]["Task logs stored"] == 2
    assert report["mine.jsonl"]["Tool calls stored"] == good_calls
    assert report["mine.jsonl"]["Rejected lines"] == 1
    assert report["raw_output.jsonl"]["Format"] == "claude-stream-json"
    assert report["raw_output.jsonl"]["Tool calls stored"] == tool_uses(stream_file)
    rejected = at.expander[0]
    assert rejected.dataframe[0].value.to_dict("records")[0]["Line"] == 2
    assert at.success, "a success message names what was stored"

    # The same session, another page: the new calls are there without clearing any cache.
    at.switch_page("tooltrack/dashboard/pages/overview.py")
    at.query_params.clear()
    at.query_params["days"] = "all"
    at.run()
    total = good_calls + tool_uses(stream_file)
    assert {m.label: m.value for m in at.metric}["Tool calls"] == f"{total:,}"

    # Uploading the same file again stores nothing twice.
    at.switch_page("tooltrack/dashboard/pages/ingest.py").run()
    at = upload(at, [("mine.jsonl", jsonl(logs))], adw_id="adw2048")
    again = per_file(at)["mine.jsonl"]
    assert again["Task logs stored"] == 0 and again["Tool calls stored"] == 0
    # What was stored before, in its two units (not one sum of calls and logs).
    assert (again["Tool calls already stored"], again["Task logs already stored"]) == (good_calls, len(logs))
    assert "Duplicates skipped" not in again


def test_a_hook_array_reports_each_element_at_its_line(app_env: Engine, open_page: OpenPage) -> None:
    def payload(event: str, command: str) -> dict[str, object]:
        return {
            "session_id": "page-session",
            "hook_event_name": event,
            "tool_name": "Bash",
            "tool_input": {"command": command},
            "tool_response": {"stdout": "", "stderr": "", "interrupted": False},
        }

    array = [payload("PostToolUse", "ls"), payload("PreToolUse", "pwd"), 7, payload("PostToolUse", "ls")]
    data = json.dumps(array, indent=2).encode()
    starts = [n for n, raw in enumerate(data.split(b"\n"), start=1) if raw in (b"  {", b"  7,")]
    at = upload(open_page("ingest"), [("post_tool_use.json", data)])
    assert not at.exception, [e.message for e in at.exception]
    row = per_file(at)["post_tool_use.json"]
    assert (row["Format"], row["Tool calls stored"], row["Rejected lines"]) == ("claude-hooks", 2, 1)
    rejected, notes = at.expander[0].dataframe[0].value, at.expander[0].dataframe[1].value
    assert rejected.to_dict("records") == [
        {"Line": starts[2], "Element": 3, "Reason": "not a Claude Code hook payload (no hook_event_name)"}
    ]
    assert [(r["Line"], r["Element"]) for r in notes.to_dict("records")] == [(starts[1], 2)]


def test_submit_without_files_warns(app_env: Engine, open_page: OpenPage) -> None:
    at = open_page("ingest")
    at.button[0].click().run()
    assert not at.exception
    assert at.warning[0].value == "Choose one or more files first."


class NamedBytes(io.BytesIO):
    def __init__(self, name: str, data: bytes) -> None:
        super().__init__(data)
        self.name = name
        self.size = len(data)


def test_a_bad_file_does_not_stop_the_next(app_env: Engine) -> None:
    shares: list[tuple[str, float]] = []
    outcomes = ingest_uploads(
        app_env,
        [NamedBytes("utf16.jsonl", "\ufeff{}".encode("utf-16")), NamedBytes("good.jsonl", jsonl(tooltrack_logs(1)))],
        progress=lambda name, share: shares.append((name, share)),
    )
    assert [o.status for o in outcomes] == ["failed", "stored"]
    assert "UTF-16" in (outcomes[0].error or "")
    assert outcomes[1].tool_calls_stored == 3
    assert ("good.jsonl", 1.0) in shares
