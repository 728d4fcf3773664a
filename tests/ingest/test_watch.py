"""`tooltrack watch`: appended lines are picked up, a line being written waits for its line break,
truncated and rotated files are read whole, and a watcher killed with SIGKILL and started again
stores every call once (a real subprocess).

Real files: `real/case1-resume/aistrad-vibelife/e882830e-….jsonl` (Claude Code 2.1.19) and the
transcripts of tests/fixtures/claude-transcripts, their timestamps moved so that they look just
written (as a session being followed is).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from tests.helpers.claude_files import minutes_ago, newest_time, read_lines, shift_times, write_lines
from tests.helpers.db import stored_calls, stored_logs, url_of
from tests.helpers.paths import ROOT
from tooltrack.ingest import Watcher
from tooltrack.ingest.items import IngestOptions, LogPart
from tooltrack.ingest.lines import LineReader
from tooltrack.ingest.transcript import parse as parse_transcript

VIBELIFE = "real/case1-resume/aistrad-vibelife/e882830e-9e5b-4305-aca5-df6a745a1c48.jsonl"
ASK_LINE = 36  # the AskUserQuestion call; answered on the next line


def _recent(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The lines with their times moved so that the last one was written a minute ago."""
    return shift_times(lines, minutes_ago(1) - newest_time(lines))


def _calls(engine: Engine) -> dict[str, str | None]:
    calls = stored_calls(engine)
    ids = [c.call_id for c in calls]
    assert len(ids) == len(set(ids)), "a call was stored twice"
    return {c.call_id or "": c.outcome for c in calls}


def _reference(path: Path) -> dict[str, str | None]:
    """The calls the transcript parser gives for the file read whole, at once."""
    with path.open("rb") as handle:
        items = list(parse_transcript(iter(LineReader(handle)), IngestOptions(name=str(path))))  # type: ignore[arg-type]
    return {c.call_id or "": c.outcome for i in items if isinstance(i, LogPart) for c in i.log.tool_calls}


def _append(path: Path, values: list[dict[str, Any]]) -> None:
    import json

    with path.open("a", encoding="utf-8") as handle:
        handle.write("".join(json.dumps(v, ensure_ascii=False) + "\n" for v in values))


def test_appended_lines_and_a_line_being_written(engine: Engine, fixtures_dir: Path, tmp_path: Path) -> None:
    lines = _recent(read_lines(fixtures_dir / VIBELIFE))
    folder = tmp_path / "projects" / "-home-u-vibelife"
    path = write_lines(folder / "e882830e-9e5b-4305-aca5-df6a745a1c48.jsonl", lines[: ASK_LINE + 1])
    watcher = Watcher(engine, [tmp_path / "projects"], settle=3600)
    [first] = watcher.poll()
    assert first.calls_pending == 1 and first.tool_calls_stored == len(_calls(engine)) > 0
    assert watcher.poll() == []  # nothing changed: not even opened

    # The answer is being written: half of its line, no line break yet. Nothing is rejected.
    import json

    answer = json.dumps(lines[ASK_LINE + 1], ensure_ascii=False).encode()
    with path.open("ab") as handle:
        handle.write(answer[: len(answer) // 2])
    [held] = watcher.poll()
    assert held.rejected_count == 0 and held.held_bytes == len(answer) // 2 and held.tool_calls_stored == 0
    with path.open("ab") as handle:
        handle.write(answer[len(answer) // 2 :] + b"\n")
    [answered] = watcher.poll()
    assert answered.tool_calls_stored == 1 and _calls(engine)["toolu_01TwRgkzMmjz9GhzzmxwFFM2"] == "ok"

    _append(path, lines[ASK_LINE + 2 :])
    [rest] = watcher.poll()
    assert rest.rejected_count == 0
    assert _calls(engine) == _reference(path)


def test_a_last_line_without_line_break_is_read_once_the_file_is_quiet(
    engine: Engine, fixtures_dir: Path, tmp_path: Path
) -> None:
    # A real transcript whose last line has no line break (as the file was saved).
    source = fixtures_dir / "claude-transcripts" / "representative_messages.jsonl"
    assert not source.read_bytes().endswith(b"\n")
    path = tmp_path / "session.jsonl"
    path.write_bytes(source.read_bytes())
    now = [1000.0]
    watcher = Watcher(engine, [tmp_path], settle=5, clock=lambda: now[0])
    [first] = watcher.poll()
    assert first.held_bytes > 0 and first.rejected_count == 0
    now[0] += 6
    [settled] = watcher.poll()
    assert settled.held_bytes == 0 and settled.read_from == first.resume_offset
    assert _calls(engine) == _reference(path)
    now[0] += 6
    assert watcher.poll() == []


def test_truncated_and_rotated_files(engine: Engine, fixtures_dir: Path, tmp_path: Path) -> None:
    one, two, three = (
        fixtures_dir / "claude-transcripts" / name
        for name in ("spotter-tool_heavy-v2.1.38.jsonl", "viewer-sample-v1.0.108.jsonl", "sidechain_integrated.jsonl")
    )
    path = tmp_path / "session.jsonl"
    path.write_bytes(one.read_bytes())
    watcher = Watcher(engine, [tmp_path])
    watcher.poll()
    expected = _reference(one)
    assert _calls(engine) == expected

    with path.open("r+b") as handle:  # truncated in place and written again, shorter
        handle.truncate(0)
        handle.write(two.read_bytes())
    [truncated] = watcher.poll()
    assert any("truncated" in n.message for n in truncated.notes)
    expected |= _reference(two)
    assert _calls(engine) == expected

    path.rename(tmp_path / "session.jsonl.1")  # rotated: a new file at the path
    path.write_bytes(two.read_bytes() + three.read_bytes())
    [rotated] = watcher.poll()
    assert any("rotated" in n.message for n in rotated.notes)
    assert rotated.duplicate_tool_calls == len(_reference(two))
    expected |= _reference(three)
    assert _calls(engine) == expected


def _start_watch(engine: Engine, folder: Path, log: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, TOOLTRACK_DATABASE_URL=url_of(engine))
    command = [sys.executable, "-m", "tooltrack.cli", "watch", str(folder), "--interval", "0.2"]
    with log.open("ab") as out:  # the child keeps its own descriptor
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def _wait_for(
    engine: Engine, wanted: set[str], process: subprocess.Popen[bytes], log: Path, seconds: float = 120
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if wanted <= set(_calls(engine)):
            return
        assert process.poll() is None, log.read_text()
        time.sleep(0.2)
    raise AssertionError(f"not stored in {seconds} s: {sorted(wanted - set(_calls(engine)))[:5]}")


def test_a_watcher_killed_and_started_again_stores_every_call_once(
    engine: Engine, fixtures_dir: Path, tmp_path: Path
) -> None:
    lines = _recent(read_lines(fixtures_dir / VIBELIFE))
    other = _recent(read_lines(fixtures_dir / "claude-transcripts" / "spotter-tool_heavy-v2.1.38.jsonl"))
    folder = tmp_path / "projects"
    path = write_lines(folder / "p" / "e882830e-9e5b-4305-aca5-df6a745a1c48.jsonl", lines[:20])
    log = tmp_path / "watch.log"
    watch = _start_watch(engine, folder, log)
    try:
        _wait_for(engine, set(_reference(path)), watch, log)
        _append(path, lines[20:30])
        _wait_for(engine, set(_reference(path)), watch, log)
        _append(path, lines[30:34])
        watch.send_signal(signal.SIGKILL)  # at once, wherever it is: before or after its read of these
        watch.wait(timeout=30)
        _append(path, lines[34:])  # written while no watcher runs
        second = write_lines(folder / "p" / "second-session.jsonl", other)
        watch = _start_watch(engine, folder, log)
        _wait_for(engine, set(_reference(path)) | set(_reference(second)), watch, log)
        time.sleep(1)  # a few more polls: nothing more, nothing twice
        assert _calls(engine) == _reference(path) | _reference(second)
    finally:
        watch.send_signal(signal.SIGTERM)
        try:
            watch.wait(timeout=30)
        except subprocess.TimeoutExpired:
            watch.kill()


def test_lines_written_while_a_file_is_read_are_read_at_the_next_poll(
    engine: Engine, fixtures_dir: Path, tmp_path: Path, monkeypatch: Any
) -> None:
    # The race that lost lines: the file grows between the stat the read starts from and the end
    # of the read. Here lines are appended the moment the file is opened for reading.
    from tooltrack.ingest import checkpoints

    lines = _recent(read_lines(fixtures_dir / VIBELIFE))
    path = write_lines(tmp_path / "projects" / "session.jsonl", lines[:30])
    real_open = checkpoints.open_file
    late = [lines[30:]]

    def open_and_grow(target: Path) -> Any:
        if late:
            _append(target, late.pop())
        return real_open(target)

    monkeypatch.setattr(checkpoints, "open_file", open_and_grow)
    watcher = Watcher(engine, [tmp_path / "projects"])
    watcher.poll()
    watcher.poll()
    assert _calls(engine) == _reference(path)


def test_an_adw_agents_folder_of_stream_json(engine: Engine, fixtures_dir: Path, tmp_path: Path) -> None:
    # A real ADW run's stream-json: the file committed 4 s before the run ended (its Bash call
    # still running), then the final file (the earlier one is a byte prefix of it).
    from tooltrack.ingest.stream_json import parse as parse_stream_json

    source = fixtures_dir / "real/case6-stream-json-adw/2048-adw-1be417b6-v2.1.42/sdlc_planner_committer"
    earlier, final = (
        (source / "raw_output.EARLIER-COMMIT.jsonl").read_bytes(),
        (source / "raw_output.jsonl").read_bytes(),
    )
    assert final.startswith(earlier)
    path = tmp_path / "agents" / "1be417b6" / "sdlc_planner_committer" / "raw_output.jsonl"
    path.parent.mkdir(parents=True)
    path.write_bytes(earlier)
    watcher = Watcher(engine, [tmp_path / "agents"])
    [first] = watcher.poll()
    assert first.calls_pending == 1 and "toolu_01K56RmoUegYsd5twus4yjgf" not in _calls(engine)
    with path.open("ab") as handle:
        handle.write(final[len(earlier) :])
    [second] = watcher.poll()
    assert second.read_from == first.resume_offset > 0 and second.calls_pending == 0
    with path.open("rb") as handle:
        items = list(parse_stream_json(iter(LineReader(handle)), IngestOptions(name=str(path))))  # type: ignore[arg-type]
    expected = {c.call_id or "": c.outcome for i in items if isinstance(i, LogPart) for c in i.log.tool_calls}
    assert _calls(engine) == expected and expected["toolu_01K56RmoUegYsd5twus4yjgf"] == "ok"
    assert {log.adw_id for log in stored_logs(engine)} == {"1be417b6"}
