"""Re-ingesting, a file that grew, and overlapping files of one session store no call twice."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import orjson
from sqlalchemy import Engine

from tests.helpers.db import stored_calls, stored_logs
from tooltrack.ingest import ingest_file


def _lines(path: Path) -> list[bytes]:
    return [line for line in path.read_bytes().splitlines() if line.strip()]


def _as_transcript(line: bytes) -> bytes:
    """The same message as a session transcript line spells it."""
    value = orjson.loads(line)
    if "session_id" in value:
        value["sessionId"] = value.pop("session_id")
    if "tool_use_result" in value:
        value["toolUseResult"] = value.pop("tool_use_result")
    return orjson.dumps(value)


def test_grown_stream_json_file_stores_only_new_calls(engine: Engine, fixtures_dir: Path, write_lines) -> None:  # type: ignore[no-untyped-def]
    lines = _lines(fixtures_dir / "claude-stream-json/adw-2048-sdlc_implementor.jsonl")
    # lines: 1 init, 2 Bash use, 3 its result, 4-5 two parallel uses, 6-7 their results, 8 result.
    early = write_lines("agents/051a26d5/sdlc_implementor/raw_output.jsonl", lines[:3])
    first = ingest_file(engine, early)
    assert (first.task_logs_stored, first.tool_calls_stored) == (1, 1)

    write_lines("agents/051a26d5/sdlc_implementor/raw_output.jsonl", lines)
    grown = ingest_file(engine, early)
    assert (grown.task_logs_stored, grown.tool_calls_stored, grown.duplicate_tool_calls) == (1, 2, 1)
    assert Counter(c.call_id for c in stored_calls(engine)) == Counter(
        {"toolu_011zYPsp3Y7yiw82SDZZKM6q": 1, "toolu_01A3MfEh4w5L5J1Wd2Xttrok": 1, "toolu_01Xfr7Lpam64vPki9pmJyPrG": 1}
    )
    # The run's cost is stored once, on the log that carries the result line.
    assert sum(log.cost_usd or 0 for log in stored_logs(engine)) == 0.5296735

    again = ingest_file(engine, early)
    assert (again.task_logs_stored, again.tool_calls_stored) == (0, 0)
    # Counted in their own units: the three calls, and the summary's task log.
    assert (again.duplicate_tool_calls, again.duplicate_task_logs) == (3, 1)
    assert len(stored_calls(engine)) == 3


def test_calls_added_after_the_result_line_are_kept(engine: Engine, fixtures_dir: Path, write_lines) -> None:  # type: ignore[no-untyped-def]
    lines = _lines(fixtures_dir / "claude-stream-json/adw-2048-sdlc_implementor.jsonl")
    path = write_lines("run.jsonl", lines[:3] + lines[-1:])
    ingest_file(engine, path)
    # A resumed session appends more calls after the result line it already had.
    write_lines("run.jsonl", lines[:3] + lines[-1:] + lines[3:7])
    grown = ingest_file(engine, path)
    assert grown.tool_calls_stored == 2
    assert len(stored_calls(engine)) == 3
    assert sum(log.cost_usd or 0 for log in stored_logs(engine)) == 0.5296735


def test_transcript_and_stream_json_of_one_session_overlap(engine: Engine, fixtures_dir: Path, write_lines) -> None:  # type: ignore[no-untyped-def]
    lines = _lines(fixtures_dir / "claude-stream-json/review-node.jsonl")
    stream = write_lines("agents/abc12345/reviewer/raw_output.jsonl", lines)
    transcript = write_lines("projects/p/ce38714c.jsonl", [_as_transcript(line) for line in lines[:-1]])
    first = ingest_file(engine, transcript)
    assert (first.format, first.tool_calls_stored) == ("claude-transcript", 2)
    second = ingest_file(engine, stream)
    assert (second.format, second.tool_calls_stored, second.duplicate_tool_calls) == ("claude-stream-json", 0, 2)
    # The stream-json run adds its summary (cost), not its calls again.
    assert len(stored_calls(engine)) == 2
    assert [log.cost_usd for log in stored_logs(engine)][-1] is not None


def test_same_content_under_two_names_is_stored_once(engine: Engine, fixtures_dir: Path, tmp_path: Path) -> None:
    source = fixtures_dir / "claude-transcripts/viewer-sample-v1.0.108.jsonl"
    copy = tmp_path / "elsewhere" / "copy.jsonl"
    copy.parent.mkdir()
    copy.write_bytes(source.read_bytes())
    ingest_file(engine, source)
    report = ingest_file(engine, copy)
    assert (report.tool_calls_stored, report.duplicate_tool_calls) == (0, 5)
