"""Each real sample in tests/fixtures ingests with the counts stated here, read by hand from the file."""

from __future__ import annotations

import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.helpers.claude_files import copy_written
from tests.helpers.db import stored_calls, stored_logs, tool_counts
from tooltrack.ingest import ingest_file
from tooltrack.store.schema import task_logs


@dataclass(frozen=True)
class Expected:
    format: str
    tools: dict[str, int]
    outcomes: dict[str, int]
    task_logs: int = 1
    rejected_lines: tuple[int, ...] = ()
    note_lines: tuple[int, ...] = ()
    extra: dict[str, object] = field(default_factory=dict)


# Counted by reading each file (see SOURCES.md for what each exercises).
EXPECTED: dict[str, Expected] = {
    # init, Bash ok, then two parallel Bash calls: one fails (exit 1), its sibling is cancelled.
    # No line has a timestamp: the note at the first call's line says the log is dated by the
    # file's modification time (so are the two below).
    "claude-stream-json/adw-2048-sdlc_implementor.jsonl": Expected(
        "claude-stream-json", {"Bash": 3}, {"ok": 1, "error": 1, "cancelled": 1}, note_lines=(2,)
    ),
    # One Glob whose only timing is tool_use_result.durationMs = 162.
    "claude-stream-json/adw-2048-sdlc_planner.jsonl": Expected(
        "claude-stream-json", {"Glob": 1}, {"ok": 1}, note_lines=(1,)
    ),
    # A Task call cut off before its result (the file is long finished: interrupted), and its
    # sub-agent's Bash call (which got a result).
    "claude-stream-json/adw-2048-task-subagent-truncated.jsonl": Expected(
        "claude-stream-json", {"Task": 1, "Bash": 1}, {"interrupted": 1, "ok": 1}, note_lines=(1,)
    ),
    # Skill ok, Bash failing with exit 127; line 12 answers a call that is not in the excerpt.
    "claude-stream-json/review-node.jsonl": Expected(
        "claude-stream-json", {"Skill": 1, "Bash": 1}, {"ok": 1, "error": 1}, note_lines=(12,)
    ),
    # Task in the main chain (answered), a Grep in its sidechain (never answered); line 5 answers
    # a Read whose call was trimmed away. The Grep's line (4) lost its agentId in the trimming and
    # its chain's first line is not the prompt: its Task is guessed (the one running), and noted.
    "claude-transcripts/sidechain_integrated.jsonl": Expected(
        "claude-transcript", {"Task": 1, "Grep": 1}, {"ok": 1, "interrupted": 1}, note_lines=(5, 4)
    ),
    "claude-transcripts/representative_messages.jsonl": Expected(
        "claude-transcript", {"Edit": 1, "Bash": 1}, {"ok": 2}
    ),
    "claude-transcripts/todowrite_examples.jsonl": Expected("claude-transcript", {"TodoWrite": 3}, {"ok": 3}),
    # FailingTool fails; MultiEdit's result line misspells "content" (line 10, rejected) so the call
    # is never answered; line 17 is a TodoWrite of another session (todowrite_session), unanswered.
    # Lines 11 (message is a string), 13 ("massive error"), 14 ({"silly": "this"}), 15 (42) and
    # 16 ([1]) are rejected.
    "claude-transcripts/edge_cases.jsonl": Expected(
        "claude-transcript",
        {"FailingTool": 1, "MultiEdit": 1, "TodoWrite": 1},
        {"error": 1, "interrupted": 2},
        task_logs=2,
        rejected_lines=(10, 11, 13, 14, 15, 16),
    ),
    # Bash in the background, WebSearch + Glob in parallel, WebFetch (200, 274387 bytes).
    "claude-transcripts/spotter-tool_heavy-v2.1.38.jsonl": Expected(
        "claude-transcript", {"Bash": 1, "WebSearch": 1, "Glob": 1, "WebFetch": 1}, {"ok": 4}
    ),
    # TaskOutput rejected by the user, git push failing (exit 128), two parallel Greps, a Read of a
    # missing file.
    "claude-transcripts/spotter-errors-hooks-v2.1.39.jsonl": Expected(
        "claude-transcript",
        {"TaskOutput": 1, "Bash": 1, "Grep": 2, "Read": 1},
        {"rejected": 1, "error": 2, "ok": 2},
    ),
    # Two parallel Globs, a Task failing input validation, a sidechain Bash, an Edit refused. The
    # sidechain Bash (line 7) ran after that Task had failed and no Task matches it: a note says
    # it is stored without parent.
    "claude-transcripts/viewer-sample-v1.0.108.jsonl": Expected(
        "claude-transcript", {"Glob": 2, "Task": 1, "Bash": 1, "Edit": 1}, {"ok": 3, "error": 2}, note_lines=(7,)
    ),
    # Hook payload logs: a JSON array of two PostToolUse payloads (Bash, Read), and the examples of
    # the hooks documentation (pretty-printed single payloads; PreToolUse has no result).
    "claude-hooks/post_tool_use_log.json": Expected("claude-hooks", {"Bash": 1, "Read": 1}, {"ok": 2}),
    "claude-hooks/docs_PostToolUse.json": Expected("claude-hooks", {"Write": 1}, {"ok": 1}),
    "claude-hooks/docs_PostToolUseFailure.json": Expected("claude-hooks", {"Bash": 1}, {"error": 1}),
    "claude-hooks/docs_PreToolUse.json": Expected("claude-hooks", {}, {}, task_logs=0, note_lines=(1,)),
    # One claude_code.tool_result (Read, success, 2 ms); two api_request events give the cost.
    "claude-otel/otlp_logs_v2.1.226.json": Expected("claude-otel", {"Read": 1}, {"ok": 1}),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_counts(engine: Engine, fixtures_dir: Path, tmp_path: Path, name: str) -> None:
    expected = EXPECTED[name]
    # A copy with the time its author wrote it, not the checkout's: a file without timestamps is
    # dated (and, cut off, judged finished) by its modification time.
    path = copy_written(fixtures_dir / name, tmp_path / name)
    report = ingest_file(engine, path)
    assert report.error is None
    assert report.format == expected.format
    assert [r.line for r in report.rejected] == list(expected.rejected_lines)
    assert [n.line for n in report.notes] == list(expected.note_lines)
    assert report.ok == (not expected.rejected_lines)
    assert tool_counts(engine) == Counter(expected.tools)
    calls = stored_calls(engine)
    assert Counter(call.outcome for call in calls) == Counter(expected.outcomes)
    assert all(call.success == (call.outcome == "ok") for call in calls)
    assert report.tool_calls_stored == sum(expected.tools.values())
    assert report.task_logs_stored == expected.task_logs == len(stored_logs(engine))

    again = ingest_file(engine, path)
    assert (again.task_logs_stored, again.tool_calls_stored) == (0, 0)
    assert again.duplicate_tool_calls == sum(expected.tools.values())
    assert len(stored_calls(engine)) == len(calls)


def _by_id(engine: Engine) -> dict[str, object]:
    return {call.call_id: call for call in stored_calls(engine)}


def test_stream_json_in_adw_layout(engine: Engine, fixtures_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "agents" / "051a26d5" / "sdlc_implementor" / "raw_output.jsonl"
    path.parent.mkdir(parents=True)
    shutil.copy(fixtures_dir / "claude-stream-json/adw-2048-sdlc_implementor.jsonl", path)
    ingest_file(engine, path, workflow_template="adw_sdlc")
    [log] = stored_logs(engine)
    assert (log.adw_id, log.phase_name, log.workflow_template) == ("051a26d5", "sdlc_implementor", "adw_sdlc")
    # The result line: cost, duration, status, and every token of the run's usage.
    assert log.cost_usd == pytest.approx(0.5296735)
    assert log.duration_seconds == pytest.approx(128.94)
    assert log.phase_status == "completed"
    assert log.tokens_used == 22 + 20442 + 578728 + 4194
    assert log.log_message is not None and "27 turns" in log.log_message
    calls = {c.call_id: c for c in log.tool_calls}
    ok = calls["toolu_011zYPsp3Y7yiw82SDZZKM6q"]
    failed = calls["toolu_01A3MfEh4w5L5J1Wd2Xttrok"]
    sibling = calls["toolu_01Xfr7Lpam64vPki9pmJyPrG"]
    assert (ok.exit_code, ok.stdout_lines, ok.command) == (0, 6, "ls /home/luciano/agentic/.claude/commands/e2e/")
    assert (failed.exit_code, failed.success, failed.outcome) == (1, False, "error")
    assert failed.error_message is not None and failed.error_message.startswith("Exit code 1")
    assert (sibling.outcome, sibling.success) == ("cancelled", False)
    # Parallel calls share their assistant message's id.
    assert failed.turn_id == sibling.turn_id == "msg_01KZs97LhNKroA6FWd36WvuN" != ok.turn_id
    # No timestamps and no tool timing in this output: the duration is unknown, not 0.
    assert all(c.duration_ms is None and c.duration_source is None for c in log.tool_calls)


def test_stream_json_durations_and_parents(engine: Engine, fixtures_dir: Path, tmp_path: Path) -> None:
    for name in ("adw-2048-sdlc_planner.jsonl", "review-node.jsonl", "adw-2048-task-subagent-truncated.jsonl"):
        path = copy_written(fixtures_dir / "claude-stream-json" / name, tmp_path / name)  # finished long ago
        ingest_file(engine, path, adw_id="run-1")
    calls = _by_id(engine)
    glob = calls["toolu_01D4SDT3ZxQKYp2zZ5ayYCZc"]
    assert (glob.duration_ms, glob.duration_source, glob.files_matched) == (162, "tool_reported", 5)
    skill = calls["toolu_01WDU8z61jyUZdGDcu8fa1s1"]
    assert (skill.duration_ms, skill.duration_source) == (21, "timestamps")  # 11.541 - 11.520
    bash = calls["toolu_01MpZuAEpNbxLxPJ9f7RKNWh"]
    assert (bash.exit_code, bash.duration_ms, bash.outcome) == (127, 175, "error")  # 15.098 - 14.923
    task = calls["toolu_015ZtygvNJYBoJVzsA4MhvtU"]
    assert (task.outcome, task.duration_ms, task.subagent_type) == ("interrupted", None, "general-purpose")
    child = calls["toolu_01VC6sFLS1yup9A1WJUnCUAA"]
    assert child.parent_call_id == "toolu_015ZtygvNJYBoJVzsA4MhvtU"
    # The run with a result line keeps its own figure; the others carry their cost computed from usage.
    review = next(log for log in stored_logs(engine) if ":result:" in (log.log_key or ""))
    assert review.cost_usd == pytest.approx(0.50669945)


def test_transcript_details(engine: Engine, fixtures_dir: Path) -> None:
    for name in (
        "sidechain_integrated.jsonl",
        "spotter-tool_heavy-v2.1.38.jsonl",
        "spotter-errors-hooks-v2.1.39.jsonl",
    ):
        ingest_file(engine, fixtures_dir / "claude-transcripts" / name)
    calls = _by_id(engine)
    task = calls["toolu_01JA2mLseQCAW3MdwPE4qWEk"]
    # 22:53:34.908 -> 22:55:34.463, measured between timestamps (includes any permission wait).
    assert (task.duration_ms, task.duration_source, task.agent_result) == (119_555, "timestamps", "success")
    grep = calls["toolu_01BWgwmyj8gGuqFNHMPqqtN2"]
    assert (grep.parent_call_id, grep.outcome, grep.pattern) == (task.call_id, "interrupted", "data-border-color")
    fetch = calls["toolu_017Q5Sr8KaSgowYhbKXBnfV2"]
    assert (fetch.http_status, fetch.response_size_bytes) == (200, 274_387)
    assert fetch.url == "https://github.com/xtermjs/xterm.js/issues/1343"
    push = calls["toolu_01CLY7LZY81zMjsfM27ZmeTa"]
    assert (push.exit_code, push.command, push.outcome) == (128, "git push 2>&1", "error")
    assert calls["toolu_011NXYeWWxrZPLNNT8pFAZPi"].outcome == "rejected"
    logs = {log.adw_id: log for log in stored_logs(engine)}
    spotter = logs["258c7280-ae70-4798-800f-63464d01a85d"]  # default adw_id: the session id
    assert spotter.log_message is not None and "branch spotter-gqc" in spotter.log_message


def test_otel_details(engine: Engine, fixtures_dir: Path) -> None:
    ingest_file(engine, fixtures_dir / "claude-otel/otlp_logs_v2.1.226.json", phase="Build")
    [log] = stored_logs(engine)
    assert (log.adw_id, log.phase_name, log.source) == ("11111111-2222-3333-4444-555555555555", "Build", "claude-otel")
    # Two api_request events: 0.213915 + 0.074085 USD; 2+93+0+35419 + 6+308+117147+5722 tokens.
    assert log.cost_usd == pytest.approx(0.288)
    assert log.tokens_used == 158_697
    [read] = log.tool_calls
    assert (read.duration_ms, read.duration_source, read.call_id) == (2, "tool_reported", "toolu_000000000000000000000")
    assert read.parameters == {"tool_input_size_bytes": 72, "tool_result_size_bytes": 43}


def test_hook_payload_details(engine: Engine, fixtures_dir: Path) -> None:
    ingest_file(engine, fixtures_dir / "claude-hooks/docs_PostToolUseFailure.json", adw_id="hooks-1")
    [failed] = stored_calls(engine)
    # duration_ms of the payload (CLI 2.1.119+, leaves out permission prompts).
    assert (failed.duration_ms, failed.duration_source, failed.exit_code) == (4187, "hook", 1)
    assert failed.error_message == "Exit code 1\nError: Cannot find module 'express'"
    # The documentation's examples share session abc123 and tool_use_id "toolu_01ABC123...": the
    # same call of the same session, so it is not stored again (even under another adw_id).
    again = ingest_file(engine, fixtures_dir / "claude-hooks/docs_PostToolUse.json", adw_id="hooks-2")
    assert (again.tool_calls_stored, again.duplicate_tool_calls) == (0, 1)
    with engine.begin() as connection:
        connection.execute(task_logs.delete())
    ingest_file(engine, fixtures_dir / "claude-hooks/docs_PostToolUse.json")
    [written] = stored_calls(engine)
    assert (written.duration_ms, written.bytes_written, written.file_path) == (
        12,
        len("file content"),
        "/path/to/file.txt",
    )
