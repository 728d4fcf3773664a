"""Bad input: each bad line reported by number, the good ones stored, and no crash."""

from __future__ import annotations

import io
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine

from tests.helpers.db import stored_calls, stored_logs
from tooltrack.ingest import ingest_file, ingest_stream


def payload(adw_id: str, *calls: dict[str, object], **fields: object) -> bytes:
    log = {"adw_id": adw_id, "phase_name": "Build", "phase_status": "completed", "tool_calls": list(calls), **fields}
    return orjson.dumps(log)


def bash(command: str, ok: bool = True) -> dict[str, object]:
    return {"tool_name": "Bash", "command": command, "success": ok, "duration_ms": 10}


def test_good_and_bad_lines(engine: Engine, write_lines) -> None:  # type: ignore[no-untyped-def]
    path = write_lines(
        "mixed.jsonl",
        [
            payload("a", bash("ls"), bash("false", ok=False)),  # 1 good
            b"{not json",  # 2 malformed
            b"",  # 3 blank: skipped, not an error
            payload("b", {"tool_name": "Read", "success": True, "duration_ms": -5}),  # 4 negative duration
            payload("c", bash("pytest")),  # 5 good
            b'{"adw_id": "d", "phase_status": "completed"}',  # 6 phase_name missing
            b"[1, 2]",  # 7 not an object
            payload("e", {"tool_name": "mcp__github__create_issue", "success": True}),  # 8 good, unknown tool
        ],
    )
    report = ingest_file(engine, path)
    assert report.format == "tooltrack-jsonl"
    assert [r.line for r in report.rejected] == [2, 4, 6, 7]
    reasons = {r.line: r.reason for r in report.rejected}
    assert reasons[2].startswith("malformed JSON")
    assert "tool_calls[0].duration_ms" in reasons[4]
    assert "phase_name" in reasons[6]
    assert not report.ok
    assert (report.task_logs_stored, report.tool_calls_stored) == (3, 4)
    assert sorted(log.adw_id for log in stored_logs(engine)) == ["a", "c", "e"]

    again = ingest_file(engine, path)
    assert (again.task_logs_stored, again.tool_calls_stored) == (0, 0)
    assert (again.duplicate_task_logs, again.duplicate_tool_calls) == (3, 4)
    assert [r.line for r in again.rejected] == [2, 4, 6, 7]
    assert len(stored_logs(engine)) == 3


def test_truncated_last_line(engine: Engine, write_lines) -> None:  # type: ignore[no-untyped-def]
    whole = payload("a", bash("ls"))
    path = write_lines("cut.jsonl", [whole, payload("b", bash("make"))[:30]], final_newline=False)
    report = ingest_file(engine, path)
    assert [r.line for r in report.rejected] == [2]
    assert report.rejected[0].reason.startswith("truncated last line")
    assert [log.adw_id for log in stored_logs(engine)] == ["a"]


def test_complete_last_line_without_newline_is_kept(engine: Engine, write_lines) -> None:  # type: ignore[no-untyped-def]
    path = write_lines("ok.jsonl", [payload("a", bash("ls")), payload("b")], final_newline=False)
    report = ingest_file(engine, path)
    assert report.ok and report.task_logs_stored == 2


def test_invalid_utf8(engine: Engine, write_lines) -> None:  # type: ignore[no-untyped-def]
    bad = payload("b", bash("echo caf\u00e9")).replace("caf\u00e9".encode(), b"caf\xe9")  # Latin-1 byte
    path = write_lines("latin1.jsonl", [payload("a", bash("ls")), bad])
    report = ingest_file(engine, path)
    assert [r.line for r in report.rejected] == [2]
    assert "UTF-8" in report.rejected[0].reason
    assert [log.adw_id for log in stored_logs(engine)] == ["a"]


def test_utf16_file_is_named(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "utf16.jsonl"
    path.write_bytes(payload("a").decode().encode("utf-16"))
    report = ingest_file(engine, path)
    assert report.error is not None and "UTF-16" in report.error
    assert not report.ok and stored_logs(engine) == []


def test_empty_file(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    report = ingest_file(engine, path)
    assert (report.format, report.ok, report.task_logs_stored) == ("empty", True, 0)
    assert report.notes and "empty" in report.notes[0].message


def test_unknown_format(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "other.jsonl"
    path.write_bytes(b'{"hello": "world"}\n{"x": 1}\n')
    report = ingest_file(engine, path)
    assert report.error is not None and report.error.startswith("unknown format")
    assert not report.ok


def test_missing_file(engine: Engine, tmp_path: Path) -> None:
    report = ingest_file(engine, tmp_path / "nope.jsonl")
    assert report.error is not None and "cannot open" in report.error


def test_stream_and_forced_format(engine: Engine) -> None:
    data = payload("a", bash("ls")) + b"\n"
    report = ingest_stream(engine, "-", io.BytesIO(data), format="tooltrack-jsonl", adw_id="forced")
    assert report.ok and [log.adw_id for log in stored_logs(engine)] == ["forced"]


def test_batches_of_a_moderate_file(engine: Engine, write_lines, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from tooltrack.ingest import pipeline

    monkeypatch.setattr(pipeline, "BATCH_LOGS", 64)
    lines = [payload(f"run-{i}", bash(f"echo {i}"), bash("ls")) for i in range(1500)]
    lines.insert(700, b"oops")
    progress: list[tuple[int, int | None]] = []
    report = ingest_file(
        engine, write_lines("many.jsonl", lines), progress=lambda done, total: progress.append((done, total))
    )
    assert (report.task_logs_stored, report.tool_calls_stored) == (1500, 3000)
    assert [r.line for r in report.rejected] == [701]
    assert len(stored_calls(engine)) == 3000
    size = sum(len(line) + 1 for line in lines)
    assert progress[-1] == (size, size)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"adw_id": "x" * 250}, f"option adw_id '{'x' * 40}': String should have at most 200"),
        ({"phase": "Bu\x00ild"}, "option phase 'Bu\\x00ild': text must not contain a NUL character"),
        ({"workflow_template": "t" * 201}, "option workflow_template"),
    ],
)
def test_options_a_stored_log_could_not_hold_are_refused_before_reading(
    engine: Engine, tmp_path: Path, options: dict[str, str], message: str
) -> None:
    # tooltrack JSONL copies the options onto rows it does not validate again: they are checked first.
    path = tmp_path / "logs.jsonl"
    path.write_bytes(payload("run-1", bash("ls")) + b"\n")
    report = ingest_file(engine, path, **options)  # type: ignore[arg-type]
    assert report.error is not None and report.error.startswith(message), report.error
    assert report.task_logs_stored == 0 and stored_logs(engine) == []
