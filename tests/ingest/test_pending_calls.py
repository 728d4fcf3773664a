"""A call without a result at the end of a file that may still grow is pending, not interrupted.

Claude Code appends to a session's transcript as it goes, so a transcript ingested mid-session ends
with the call being made. Storing it as `interrupted` made it a failure for good: the next ingest,
with its result in the file, skipped it as stored (call identity). Now such a call is left out and
counted ("still running: not stored yet") while the file's last line (or, without timestamps, its
modification time) is less than `UNFINISHED_GRACE_SECONDS` (24 h, as the hook waits) old; after
that it is stored as interrupted. A stream-json `result` line ends its run: a call without a
result there is interrupted at once.

Real files: `real/case1-resume/aistrad-vibelife/e882830e-….jsonl` (Claude Code 2.1.19), cut after
its AskUserQuestion call (waiting on the user: 20 s until the answer in the real file) with every
timestamp moved by one offset so that the cut file's last line is two minutes old; and
`real/case6-stream-json-adw/.../sdlc_planner_committer/raw_output.EARLIER-COMMIT.jsonl`, the same
agent's stream-json committed 4 s before its run ended (no timestamps, no `result` line), beside
the final file.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.helpers.claude_files import (
    copy_written,
    minutes_ago,
    newest_time,
    read_lines,
    set_written,
    shift_times,
    write_lines,
)
from tests.helpers.db import stored_calls
from tooltrack.core import UNFINISHED_GRACE_SECONDS
from tooltrack.ingest import ingest_file

VIBELIFE = "real/case1-resume/aistrad-vibelife/e882830e-9e5b-4305-aca5-df6a745a1c48.jsonl"
#: Line 37 (index 36) of the real session: an AskUserQuestion call, answered on the next line.
ASK_LINE = 36
ASK_CALL = "toolu_01TwRgkzMmjz9GhzzmxwFFM2"
#: The session's last call (ExitPlanMode, line 46): the real file ends before its result.
LAST_CALL_SUFFIX = "jmNGV2"

PLANNER_COMMITTER = "real/case6-stream-json-adw/2048-adw-1be417b6-v2.1.42/sdlc_planner_committer"
#: The Bash call the earlier commit of the file ends with (its result is only in the final file).
OPEN_BASH = "toolu_01K56RmoUegYsd5twus4yjgf"


def _outcomes(engine: Engine) -> dict[str, str | None]:
    calls = stored_calls(engine)
    assert len(calls) == len({c.call_id for c in calls})
    return {c.call_id: c.outcome for c in calls}


def _session_lines(fixtures_dir: Path) -> list[dict[str, object]]:
    lines = read_lines(fixtures_dir / VIBELIFE)
    content = lines[ASK_LINE]["message"]["content"]  # type: ignore[index]
    assert [b["id"] for b in content if b["type"] == "tool_use"] == [ASK_CALL]  # type: ignore[index]
    return lines


def test_a_transcript_read_while_its_call_runs_stores_that_call_when_its_result_comes(
    engine: Engine, fixtures_dir: Path, tmp_path: Path
) -> None:
    lines = _session_lines(fixtures_dir)
    cut = lines[: ASK_LINE + 1]  # the file as it was while the user had not answered yet
    offset = minutes_ago(2) - newest_time(cut)
    path = write_lines(tmp_path / "e882830e-9e5b-4305-aca5-df6a745a1c48.jsonl", shift_times(cut, offset))

    first = ingest_file(engine, path)
    assert ASK_CALL not in _outcomes(engine)  # not stored, so not a failure
    assert first.ok and first.calls_pending == 1
    [note] = [n for n in first.notes if "still running" in n.message]
    assert note.message.startswith("1 call(s) still running: not stored yet") and note.line == ASK_LINE + 1
    stored_before = set(_outcomes(engine))
    assert len(stored_before) == 8 and all(outcome == "ok" for outcome in _outcomes(engine).values())

    # The session went on: the same file, grown (same offset: the same lines, more of them).
    write_lines(path, shift_times(lines, offset))
    second = ingest_file(engine, path)
    outcomes = _outcomes(engine)
    assert outcomes[ASK_CALL] == "ok"  # its real result, 20 s later
    assert second.tool_calls_stored == 3 and second.duplicate_tool_calls == len(stored_before)
    # The last call of the real file has no result yet either: pending in its turn.
    assert second.calls_pending == 1 and not [c for c in outcomes if c.endswith(LAST_CALL_SUFFIX)]


def test_after_the_grace_period_a_call_without_result_is_interrupted(
    engine: Engine, fixtures_dir: Path, tmp_path: Path
) -> None:
    lines = _session_lines(fixtures_dir)
    cut = lines[: ASK_LINE + 1]
    # Its last line just over 24 h old (the real times are older still): the session is over.
    offset = datetime.now(UTC) - timedelta(seconds=UNFINISHED_GRACE_SECONDS + 60) - newest_time(cut)
    report = ingest_file(engine, write_lines(tmp_path / "session.jsonl", shift_times(cut, offset)))
    assert report.calls_pending == 0 and _outcomes(engine)[ASK_CALL] == "interrupted"
    assert not [n for n in report.notes if "still running" in n.message]


@pytest.mark.parametrize("minutes", [1.0, UNFINISHED_GRACE_SECONDS / 60 + 1])
def test_stream_json_without_timestamps_is_judged_by_the_file_modification_time(
    engine: Engine, fixtures_dir: Path, tmp_path: Path, minutes: float
) -> None:
    agents = tmp_path / "agents" / "1be417b6" / "sdlc_planner_committer"
    earlier = copy_written(
        fixtures_dir / PLANNER_COMMITTER / "raw_output.EARLIER-COMMIT.jsonl", agents / "raw_output.jsonl"
    )
    set_written(earlier, minutes_ago(minutes))
    report = ingest_file(engine, earlier)
    still_running = minutes * 60 < UNFINISHED_GRACE_SECONDS
    assert _outcomes(engine).get(OPEN_BASH) == (None if still_running else "interrupted")
    assert report.calls_pending == (1 if still_running else 0)

    # The run ended: the final file (the earlier one is a byte prefix of it) has the result line.
    final = copy_written(fixtures_dir / PLANNER_COMMITTER / "raw_output.jsonl", agents / "raw_output.jsonl")
    set_written(final, minutes_ago(0.5))
    report = ingest_file(engine, final)
    assert report.calls_pending == 0
    # Still running at the first ingest: stored now with its outcome. Past the grace period it had
    # been stored as interrupted, and stays so (a call is stored once).
    assert _outcomes(engine)[OPEN_BASH] == ("ok" if still_running else "interrupted")


def test_a_stream_json_result_line_ends_the_run_at_once(engine: Engine, fixtures_dir: Path, tmp_path: Path) -> None:
    # The earlier file (cut while its Bash call ran) followed by the final file's real `result`
    # line: a run that ended with that call unanswered. Written a minute ago, yet not pending.
    earlier = read_lines(fixtures_dir / PLANNER_COMMITTER / "raw_output.EARLIER-COMMIT.jsonl")
    result = read_lines(fixtures_dir / PLANNER_COMMITTER / "raw_output.jsonl")[-1]
    assert result["type"] == "result"
    path = write_lines(tmp_path / "raw_output.jsonl", [*earlier, result])
    set_written(path, minutes_ago(1))
    report = ingest_file(engine, path)
    assert _outcomes(engine)[OPEN_BASH] == "interrupted" and report.calls_pending == 0


def test_the_ingest_waits_as_long_as_the_hook() -> None:
    # One figure for both (tooltrack.core); the hook's module keeps its own name for it.
    from tooltrack.capture import UNFINISHED_GRACE_SECONDS as HOOK_GRACE_SECONDS

    assert UNFINISHED_GRACE_SECONDS == HOOK_GRACE_SECONDS == 24 * 3600
