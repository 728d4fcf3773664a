"""NUL (U+0000) in ingested logs: agent formats keep the call (NUL becomes U+FFFD), tooltrack JSONL rejects the line.

PostgreSQL's text and jsonb cannot hold U+0000, so `tooltrack.models` refuses it. A Claude Code
log on disk is what it is: one command with a NUL must not cost its session, so the agent-format
mappers replace it. A tooltrack JSONL line is a client's payload: it is rejected like any invalid
line, by number and field path, and the lines beside it are stored.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine

from tests.helpers.db import stored_calls, stored_logs
from tooltrack.capture.hook_mapping import input_fields
from tooltrack.core.storable import REPLACEMENT, replace_nul, replace_nul_parsed
from tooltrack.ingest import ingest_file
from tooltrack.models import ToolCallRecord

NUL_ESCAPE = "\\u0000"  # how a NUL is written inside JSON text


def _copy_with(fixtures_dir: Path, name: str, tmp_path: Path, old: str, new: str) -> Path:
    """A copy of a real fixture with `old` replaced by `new` (JSON text) on every line holding it."""
    text = (fixtures_dir / name).read_text()
    assert old in text, f"{old!r} is not in {name}"
    path = tmp_path / Path(name).name
    path.write_text(text.replace(old, new))
    return path


def test_stream_json_call_with_nul_in_its_command_is_stored(engine: Engine, fixtures_dir: Path, tmp_path: Path) -> None:
    command = "ls /home/luciano/agentic/.claude/commands/e2e/"
    path = _copy_with(
        fixtures_dir,
        "claude-stream-json/adw-2048-sdlc_implementor.jsonl",
        tmp_path,
        f'"command":"{command}"',
        f'"command":"{command}{NUL_ESCAPE}; echo hi"',
    )
    report = ingest_file(engine, path)
    assert (report.error, report.rejected, report.format) == (None, [], "claude-stream-json")
    assert report.tool_calls_stored == 3
    calls = {call.call_id: call for call in stored_calls(engine)}
    assert len(calls) == 3
    assert calls["toolu_011zYPsp3Y7yiw82SDZZKM6q"].command == f"{command}{REPLACEMENT}; echo hi"


def test_transcript_with_nul_in_a_command_and_the_cwd_is_stored(
    engine: Engine, fixtures_dir: Path, tmp_path: Path
) -> None:
    name = "claude-transcripts/representative_messages.jsonl"
    path = _copy_with(fixtures_dir, name, tmp_path, '"python /tmp/decorator_example.py"', '"python /tmp/a\\u0000.py"')
    # The cwd goes into the task log's log_message: a NUL there would have cost the whole log.
    path.write_text(path.read_text().replace('"cwd": "/tmp"', '"cwd": "/tm\\u0000p"'))
    report = ingest_file(engine, path)
    assert (report.error, report.rejected) == (None, [])
    [log] = stored_logs(engine)
    assert log.log_message is not None and f"cwd /tm{REPLACEMENT}p" in log.log_message
    [bash] = [call for call in log.tool_calls if call.tool_name == "Bash"]
    assert bash.command == f"python /tmp/a{REPLACEMENT}.py"
    assert sorted(call.tool_name for call in log.tool_calls) == ["Bash", "Edit"]


def test_hook_payload_with_nul_in_command_and_parameter_key_is_stored(
    engine: Engine, fixtures_dir: Path, tmp_path: Path
) -> None:
    path = _copy_with(
        fixtures_dir,
        "claude-hooks/docs_PostToolUseFailure.json",
        tmp_path,
        '"command": "npm test"',
        '"command": "npm\\u0000test", "odd\\u0000key": "v\\u0000"',
    )
    report = ingest_file(engine, path, adw_id="hooks-nul")
    assert (report.error, report.rejected) == (None, [])
    [call] = stored_calls(engine)
    assert call.command == f"npm{REPLACEMENT}test"
    assert call.parameters is not None and call.parameters[f"odd{REPLACEMENT}key"] == f"v{REPLACEMENT}"


def test_otel_event_with_nul_inside_its_json_encoded_parameters_is_stored(engine: Engine, tmp_path: Path) -> None:
    def attribute(key: str, value: str) -> dict[str, object]:
        return {"key": key, "value": {"stringValue": value}}

    # tool_parameters is JSON text inside a string attribute: the NUL is escaped twice.
    parameters = json.dumps({"full_command": "echo a\x00b", "note\x00": "x"})
    record = {
        "timeUnixNano": "1786407290277000000",
        "body": {"stringValue": "claude_code.tool_result"},
        "attributes": [
            attribute("session.id", "sess\x00ion"),
            attribute("tool_name", "Bash"),
            attribute("success", "true"),
            attribute("duration_ms", "12"),
            attribute("tool_use_id", "toolu_nul"),
            attribute("tool_parameters", parameters),
        ],
    }
    document = {"resourceLogs": [{"scopeLogs": [{"logRecords": [record]}]}]}
    path = tmp_path / "otel.json"
    path.write_text(json.dumps(document) + "\n")
    report = ingest_file(engine, path, format="claude-otel")
    assert (report.error, report.rejected) == (None, [])
    [log] = stored_logs(engine)
    assert log.adw_id == f"sess{REPLACEMENT}ion"
    [call] = log.tool_calls
    assert call.command == f"echo a{REPLACEMENT}b"
    assert call.parameters is not None and call.parameters[f"note{REPLACEMENT}"] == "x"


def test_tooltrack_jsonl_line_with_nul_is_rejected_by_line_and_field(engine: Engine, tmp_path: Path) -> None:
    def line(adw_id: str, **call: object) -> str:
        payload = {
            "adw_id": adw_id,
            "phase_name": "Build",
            "phase_status": "completed",
            "tool_calls": [{"tool_name": "Read", "success": True}, {"tool_name": "Bash", "success": True, **call}],
        }
        return json.dumps(payload)

    path = tmp_path / "logs.jsonl"
    path.write_text(
        "\n".join(
            [
                line("good-1", command="ls"),
                line("bad-command", command="ls\x00-la"),
                line("bad-key", parameters={"k\x00": 1}),
                line("good-2", command="pwd"),
            ]
        )
        + "\n"
    )
    report = ingest_file(engine, path)
    assert report.format == "tooltrack-jsonl"
    assert [(r.line, r.reason) for r in report.rejected] == [
        (2, "tool_calls[1].command: text must not contain a NUL character (U+0000)"),
        (
            3,
            "tool_calls[1].parameters: cannot be stored: at k\\x00: its key contains a NUL character (U+0000), "
            "which PostgreSQL cannot store",
        ),
    ]
    assert sorted(log.adw_id for log in stored_logs(engine)) == ["good-1", "good-2"]
    assert report.task_logs_stored == 2 and report.tool_calls_stored == 4


def test_live_hook_mapping_replaces_nul_in_what_it_keeps() -> None:
    bash = input_fields("Bash", {"command": "make\x00 all"})
    assert bash == {"command": f"make{REPLACEMENT} all"}
    other = input_fields("mcp__db__query", {"sql\x00": "select '\x00'", "nested": {"k\x00": ["\x00"]}})
    assert other == {
        "parameters": {
            f"sql{REPLACEMENT}": f"select '{REPLACEMENT}'",
            "nested": {f"k{REPLACEMENT}": [REPLACEMENT]},
        }
    }
    ToolCallRecord.model_validate({"tool_name": "X", "success": True, **other})  # storable as mapped


def test_replace_nul_leaves_clean_values_alone() -> None:
    clean = {"a": ["b", 1, None, {"c": "d"}]}
    assert replace_nul("plain") == "plain"
    assert replace_nul(clean) == clean
    # The parsed value is walked only when its JSON text has an escaped NUL.
    assert replace_nul_parsed(b'{"a":"b"}', clean) is clean
    assert replace_nul_parsed('{"a":"\\u0000"}', {"a": "\x00"}) == {"a": REPLACEMENT}
