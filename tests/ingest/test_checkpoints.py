"""Per-file checkpoints: an unchanged file is not opened, a grown one is read from where it was left,
a truncated, rotated or rewritten one is read whole, and no call is ever stored twice.

Every file is opened through `tooltrack.ingest.checkpoints.open_file`; the tests replace it with one
that counts the files opened and the bytes read from them.

Real files: `real/case1-resume/aistrad-vibelife/e882830e-….jsonl` (Claude Code 2.1.19; its
AskUserQuestion call on line 37 is answered on line 38), and the transcripts of
tests/fixtures/claude-transcripts.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.helpers.claude_files import copy_written, minutes_ago, newest_time, read_lines, shift_times, write_lines
from tests.helpers.db import stored_calls
from tests.helpers.sample_data import task_log
from tooltrack.ingest import FileReport, ingest_files
from tooltrack.ingest import checkpoints as checkpoints_module
from tooltrack.ingest.checkpoints import CHECK_BYTES
from tooltrack.ingest.items import IngestOptions, LogPart
from tooltrack.ingest.lines import LineReader
from tooltrack.ingest.transcript import parse as parse_transcript

VIBELIFE = "real/case1-resume/aistrad-vibelife/e882830e-9e5b-4305-aca5-df6a745a1c48.jsonl"
ASK_LINE = 36  # index of the line with the AskUserQuestion call; its result is on the next line
ASK_CALL = "toolu_01TwRgkzMmjz9GhzzmxwFFM2"


class _Counting:
    """A file opened for the ingest, counting the bytes read from it."""

    def __init__(self, path: Path, tally: dict[str, Any]) -> None:
        self._file = path.open("rb")
        self._tally = tally
        tally["opened"].append(path.name)

    def read(self, size: int = -1) -> bytes:
        data = self._file.read(size)
        self._tally["bytes"] += len(data)
        return data

    def readline(self, size: int = -1) -> bytes:
        data = self._file.readline(size)
        self._tally["bytes"] += len(data)
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def fileno(self) -> int:
        return self._file.fileno()

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> _Counting:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """What the ingest opened (`opened`: file names) and read (`bytes`) since the last `reset`."""
    tally: dict[str, Any] = {"opened": [], "bytes": 0}
    monkeypatch.setattr(checkpoints_module, "open_file", lambda path: _Counting(path, tally))
    yield tally


def _reset(tally: dict[str, Any]) -> None:
    tally["opened"].clear()
    tally["bytes"] = 0


def _ingest(engine: Engine, *paths: Path) -> list[FileReport]:
    return list(ingest_files(engine, paths))


def _call_ids(engine: Engine) -> list[str]:
    ids = [c.call_id or "" for c in stored_calls(engine)]
    assert len(ids) == len(set(ids)), "a call was stored twice"
    return ids


def test_an_unchanged_folder_is_not_opened(engine: Engine, fixtures_dir: Path, tmp_path: Path, reads: dict) -> None:
    sources = sorted((fixtures_dir / "claude-transcripts").glob("*.jsonl"))
    files = [copy_written(source, tmp_path / "projects" / source.name) for source in sources]
    first = _ingest(engine, *files)
    assert all(r.error is None and not r.skipped for r in first)
    stored = sorted(_call_ids(engine))
    assert len(stored) > 20 and len(reads["opened"]) == len(files)

    _reset(reads)
    again = _ingest(engine, *files)
    assert [r.skipped for r in again] == [True] * len(files)
    assert reads["opened"] == [] and reads["bytes"] == 0  # not one file opened, not one byte read
    assert sum(r.tool_calls_stored + r.duplicate_tool_calls for r in again) == 0
    assert sorted(_call_ids(engine)) == stored

    # One of them touched (same bytes, a new modification time): its ends are compared, nothing more.
    os.utime(files[0])
    _reset(reads)
    touched = _ingest(engine, *files)
    assert reads["opened"] == [files[0].name] * 2  # once to compare its ends, once to read what follows
    assert reads["bytes"] <= 4 * CHECK_BYTES + files[0].stat().st_size - again[0].resume_offset
    assert touched[0].tool_calls_stored == 0 and all(r.skipped for r in touched[1:])
    assert sorted(_call_ids(engine)) == stored


def _reference_calls(path: Path) -> dict[str, str | None]:
    """Call id -> outcome of the calls the transcript parser gives for the whole file read at once."""
    with path.open("rb") as handle:
        items = list(parse_transcript(iter(LineReader(handle)), IngestOptions(name=str(path))))  # type: ignore[arg-type]
    return {c.call_id or "": c.outcome for i in items if isinstance(i, LogPart) for c in i.log.tool_calls}


def test_a_grown_transcript_is_read_on_and_a_running_call_gets_its_result(
    engine: Engine, fixtures_dir: Path, tmp_path: Path, reads: dict
) -> None:
    lines = read_lines(fixtures_dir / VIBELIFE)
    cut = ASK_LINE + 1  # the file while the user had not answered the AskUserQuestion yet
    offset = minutes_ago(2) - newest_time(lines[:cut])
    moved = shift_times(lines, offset)
    path = write_lines(tmp_path / "e882830e-9e5b-4305-aca5-df6a745a1c48.jsonl", moved[:cut])
    [first] = _ingest(engine, path)
    assert first.calls_pending == 1 and ASK_CALL not in _call_ids(engine)
    # The next read starts at the line of the call still running, not at the end.
    assert first.resume_line == ASK_LINE and first.resume_offset < path.stat().st_size
    before = path.stat().st_size

    write_lines(path, moved)  # the session went on: the same file, grown
    _reset(reads)
    [second] = _ingest(engine, path)
    assert second.read_from == first.resume_offset
    # Read: the digests' bytes (compared, then saved), and from the running call's line on.
    assert reads["bytes"] <= 4 * CHECK_BYTES + (path.stat().st_size - first.resume_offset)
    assert first.resume_offset > before // 2
    assert any(f"read on from line {ASK_LINE + 1}" in n.message for n in second.notes)
    stored = {c.call_id: c.outcome for c in stored_calls(engine)}
    _call_ids(engine)
    # Every call the whole file gives, with the same outcome (the AskUserQuestion answered: ok).
    reference = _reference_calls(path)
    assert stored == reference and stored[ASK_CALL] == "ok"

    _reset(reads)
    [third] = _ingest(engine, path)  # its last call still runs: the end is read again, nothing stored twice
    assert third.tool_calls_stored == 0 and third.calls_pending == 1 and not third.skipped
    assert reads["bytes"] <= 4 * CHECK_BYTES + (path.stat().st_size - second.resume_offset)
    assert {c.call_id: c.outcome for c in stored_calls(engine)} == reference


def _payload_lines(start: int, count: int) -> bytes:
    return b"".join(
        task_log(log_key=f"k{n}", adw_id=f"run-{n}").model_dump_json(exclude_none=True).encode() + b"\n"
        for n in range(start, start + count)
    )


def test_a_grown_tooltrack_jsonl_file_is_read_from_where_it_was_left(
    engine: Engine, tmp_path: Path, reads: dict
) -> None:
    path = tmp_path / "spool.jsonl"
    path.write_bytes(_payload_lines(0, 30))
    [first] = _ingest(engine, path)
    assert first.task_logs_stored == 30 and first.resume_offset == path.stat().st_size
    added = _payload_lines(30, 5)
    with path.open("ab") as handle:
        handle.write(added + b'{"adw_id": "cut-off')  # a last line still being written
    _reset(reads)
    [second] = _ingest(engine, path)
    assert second.task_logs_stored == 5 and second.duplicate_task_logs == 0
    assert reads["bytes"] <= 4 * CHECK_BYTES + len(added) + 40 < path.stat().st_size
    assert second.rejected_count == 1 and second.rejected[0].line == 36  # numbered on from line 31
    assert second.resume_offset == first.resume_offset + len(added)  # the cut line is read again
    with path.open("ab") as handle:
        handle.write(b'"}\n')
    [third] = _ingest(engine, path)
    assert third.rejected_count == 1 and third.rejected[0].line == 36 and third.read_from == second.resume_offset


def test_a_truncated_file_is_read_whole(engine: Engine, fixtures_dir: Path, tmp_path: Path, reads: dict) -> None:
    long = fixtures_dir / "claude-transcripts" / "spotter-tool_heavy-v2.1.38.jsonl"
    short = fixtures_dir / "claude-transcripts" / "viewer-sample-v1.0.108.jsonl"
    path = copy_written(long, tmp_path / "session.jsonl")
    inode = path.stat().st_ino
    _ingest(engine, path)
    first = set(_call_ids(engine))
    with path.open("r+b") as handle:  # the same file, cut and written again, shorter
        handle.truncate(0)
        handle.write(short.read_bytes())
    assert path.stat().st_ino == inode and path.stat().st_size < long.stat().st_size
    _reset(reads)
    [report] = _ingest(engine, path)
    assert report.read_from == 0 and any("truncated" in n.message for n in report.notes)
    assert set(_call_ids(engine)) == first | set(_reference_calls(short)) and report.tool_calls_stored > 0


def test_a_rotated_file_is_read_whole_and_nothing_is_stored_twice(
    engine: Engine, fixtures_dir: Path, tmp_path: Path, reads: dict
) -> None:
    source = fixtures_dir / "claude-transcripts" / "spotter-errors-hooks-v2.1.39.jsonl"
    other = fixtures_dir / "claude-transcripts" / "spotter-tool_heavy-v2.1.38.jsonl"
    path = copy_written(source, tmp_path / "session.jsonl")
    _ingest(engine, path)
    first = set(_call_ids(engine))
    # Rotated: the file moved aside, a new one at its path that begins as the old one did and goes on.
    path.rename(tmp_path / "session.jsonl.1")
    path.write_bytes(source.read_bytes() + other.read_bytes())
    [report] = _ingest(engine, path)
    assert report.read_from == 0 and any("rotated" in n.message for n in report.notes)
    assert report.duplicate_tool_calls == len(first)
    assert set(_call_ids(engine)) == first | set(_reference_calls(other))


def test_a_rewritten_file_is_read_whole(engine: Engine, fixtures_dir: Path, tmp_path: Path, reads: dict) -> None:
    lines = read_lines(fixtures_dir / "claude-transcripts" / "spotter-tool_heavy-v2.1.38.jsonl")
    path = write_lines(tmp_path / "session.jsonl", lines)
    _ingest(engine, path)
    stored = set(_call_ids(engine))
    data = path.read_bytes()
    with path.open("r+b") as handle:  # same inode, longer, but its first line is not what it was
        handle.write(b" " + data + b"\n")
    [report] = _ingest(engine, path)
    assert report.read_from == 0 and any("rewritten" in n.message for n in report.notes)
    assert set(_call_ids(engine)) == stored and report.tool_calls_stored == 0


def test_a_grown_hook_log_is_read_whole_again(engine: Engine, fixtures_dir: Path, tmp_path: Path, reads: dict) -> None:
    # A logging hook rewrites its JSON array with one more element each time: a document is read
    # whole (its elements are counted across the file), and only the new call is stored.
    payloads = json.loads((fixtures_dir / "claude-hooks" / "post_tool_use_log.json").read_text())
    path = tmp_path / "post_tool_use.json"
    path.write_text(json.dumps(payloads[:1], indent=2))
    [first] = _ingest(engine, path)
    assert first.tool_calls_stored == 1
    path.write_text(json.dumps(payloads, indent=2))
    _reset(reads)
    [second] = _ingest(engine, path)
    assert second.read_from == 0 and any(n.message.startswith("read whole") for n in second.notes)
    assert (second.tool_calls_stored, second.duplicate_tool_calls) == (1, 1)
    assert sorted(_call_ids(engine)) == sorted(p["tool_use_id"] for p in payloads)
