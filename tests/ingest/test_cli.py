"""`tooltrack ingest`, run as a real subprocess: files, folders, stdin, report and exit status."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine

from tests.helpers.db import stored_calls, stored_logs


def run_ingest(*args: str, engine: Engine, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ, TOOLTRACK_DATABASE_URL=engine.url.render_as_string(hide_password=False))
    return subprocess.run(
        [sys.executable, "-m", "tooltrack.cli", "ingest", *args],
        env=env,
        input=stdin,
        capture_output=True,
        timeout=300,
    )


def test_folder_is_searched_recursively(engine: Engine, fixtures_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "logs"
    for name in ("claude-stream-json/adw-2048-sdlc_planner.jsonl", "claude-transcripts/todowrite_examples.jsonl"):
        target = root / "deep" / "er" / Path(name).name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(fixtures_dir / name, target)
    (root / "notes.txt").write_text("not a log")  # not a log file name: not picked up
    result = run_ingest(str(root), engine=engine)
    out = result.stdout.decode()
    assert result.returncode == 0, out + result.stderr.decode()
    assert "adw-2048-sdlc_planner.jsonl" in out and "todowrite_examples.jsonl" in out
    assert "notes.txt" not in out
    assert "2 file(s): 2 task logs and 4 tool calls stored" in out
    assert len(stored_calls(engine)) == 4


def test_rejected_lines_give_exit_status_1_and_good_lines_are_stored(engine: Engine, fixtures_dir: Path) -> None:
    result = run_ingest(str(fixtures_dir / "claude-transcripts/edge_cases.jsonl"), engine=engine)
    out = result.stdout.decode()
    assert result.returncode == 1
    assert "line 13: expected a JSON object, got str" in out
    assert len(stored_calls(engine)) == 3


def test_stdin(engine: Engine, fixtures_dir: Path) -> None:
    data = (fixtures_dir / "claude-stream-json/review-node.jsonl").read_bytes()
    result = run_ingest("-", "--adw-id", "from-stdin", "--phase", "review", engine=engine, stdin=data)
    assert result.returncode == 0, result.stderr.decode()
    assert "claude-stream-json" in result.stdout.decode()
    [log] = stored_logs(engine)
    assert (log.adw_id, log.phase_name, len(log.tool_calls)) == ("from-stdin", "review", 2)


def test_missing_path_and_unknown_format_fail(engine: Engine, tmp_path: Path) -> None:
    other = tmp_path / "other.jsonl"
    other.write_text('{"a": 1}\n')
    result = run_ingest(str(tmp_path / "missing.jsonl"), str(other), engine=engine)
    out = result.stdout.decode()
    assert result.returncode == 1
    assert "no such file or folder" in out and "unknown format" in out


def test_the_report_gives_elements_and_counts_calls_and_logs_apart(
    engine: Engine, fixtures_dir: Path, tmp_path: Path
) -> None:
    # A real pre-2.0.43 hook log (10-box-os: 12 PostToolUse payloads in 3 sessions, two of them the
    # same Read), and its PreToolUse companion (14 payloads, each noted at its own element).
    folder = fixtures_dir / "real/case4-hook-logs-pre-2.0.43/10-box-os-v1.0.69"
    post, pre = folder / "post_tool_use.json", folder / "pre_tool_use.json"
    first = run_ingest(str(post), str(pre), engine=engine)
    out = first.stdout.decode()
    assert first.returncode == 0, out + first.stderr.decode()
    assert "tool calls stored: 12   already stored: 0 tool calls, 0 task logs" in out
    starts = [n for n, raw in enumerate(pre.read_bytes().split(b"\n"), start=1) if raw == b"  {"]
    for element in (1, 2, 14):
        assert f"  line {starts[element - 1]}, element {element}: PreToolUse payload skipped" in out
    assert "  line 1: PreToolUse" not in out

    # Unchanged since: skipped by its checkpoint, not opened; --reread reads it whole again.
    unchanged = run_ingest(str(post), engine=engine)
    out = unchanged.stdout.decode()
    assert unchanged.returncode == 0, out
    assert "1 file(s) unchanged since they were last read: skipped" in out and "format:" not in out
    assert "1 file(s): 0 task logs and 0 tool calls stored, 0 tool calls and 0 task logs already stored" in out
    again = run_ingest(str(post), "--reread", engine=engine)
    out = again.stdout.decode()
    assert "tool calls stored: 0   already stored: 12 tool calls, 3 task logs" in out
    assert "1 file(s): 0 task logs and 0 tool calls stored, 12 tool calls and 3 task logs already stored" in out
    assert "duplicates skipped" not in out
