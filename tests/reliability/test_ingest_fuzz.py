"""Hostile files through every ingest parser (hypothesis): no crash, every line accounted for.

tooltrack JSONL: each non-blank line is stored, a duplicate, or rejected with a reason (exactly
one of the three), and ingesting the same bytes again stores nothing. Claude Code formats (real
fixture files, mangled: lines dropped, doubled, cut short, replaced by garbage or invalid UTF-8):
no exception; every line that is not JSON is rejected by number; every tool_use in a line that was
not rejected is stored, once; a second ingest stores nothing.
"""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from tests.helpers.hostile import json_values
from tests.helpers.logs import make_payload
from tooltrack.ingest import ingest_stream
from tooltrack.store.schema import task_logs

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


def _line(draw: st.DrawFn, namespace: str) -> bytes:
    kind = draw(st.sampled_from(["valid", "valid", "valid", "mutated", "json", "garbage", "cut", "blank", "utf8"]))
    payload = make_payload(draw(st.integers(0, 8)), calls=draw(st.integers(0, 3)), namespace=namespace)
    if kind == "valid":
        return json.dumps(payload).encode()
    if kind == "mutated":
        payload[draw(st.sampled_from(sorted(payload)))] = draw(json_values)
        return json.dumps(payload, allow_nan=True).encode()
    if kind == "json":
        return json.dumps(draw(json_values), allow_nan=True).replace("\n", " ").encode()
    if kind == "garbage":
        return draw(st.binary(min_size=1, max_size=80)).replace(b"\n", b" ").replace(b"\r", b" ")
    if kind == "cut":
        raw = json.dumps(payload).encode()
        return raw[: draw(st.integers(1, len(raw) - 1))]
    if kind == "utf8":
        raw = json.dumps(payload).encode()
        cut = draw(st.integers(1, len(raw) - 1))
        return raw[:cut] + b"\xff\xfe" + raw[cut:]
    return b"   "


@st.composite
def tooltrack_files(draw: st.DrawFn) -> list[bytes]:
    namespace = f"fz{uuid.uuid4().hex[:8]}"
    first = json.dumps(make_payload(99, namespace=namespace)).encode()  # a valid head, so detection is not the test
    return [first, *(_line(draw, namespace) for _ in range(draw(st.integers(0, 25))))]


@FUZZ
@given(lines=tooltrack_files())
def test_tooltrack_jsonl_every_line_accounted_for(engine: Engine, lines: list[bytes]) -> None:
    data = b"\n".join(lines) + b"\n"
    before = _count(engine)
    report = ingest_stream(engine, "fuzz.jsonl", io.BytesIO(data))
    non_blank = [n for n, line in enumerate(lines, start=1) if line.strip()]
    rejected = {r.line for r in report.rejected}
    assert report.error is None and report.format == "tooltrack-jsonl"
    assert rejected <= set(non_blank)
    assert all(r.reason for r in report.rejected)
    assert report.task_logs_stored + report.duplicate_task_logs + report.rejected_count == len(non_blank)
    assert _count(engine) - before == report.task_logs_stored

    again = ingest_stream(engine, "fuzz.jsonl", io.BytesIO(data))
    assert again.task_logs_stored == 0 and again.tool_calls_stored == 0
    assert {r.line for r in again.rejected} == rejected
    assert _count(engine) - before == report.task_logs_stored


def _count(engine: Engine) -> int:
    with engine.connect() as connection:
        return len(connection.execute(select(task_logs.c.id)).all())


FORMATS = {
    "claude-stream-json": sorted((FIXTURES / "claude-stream-json").glob("*.jsonl")),
    "claude-transcript": sorted((FIXTURES / "claude-transcripts").glob("*.jsonl")),
}


def _tool_use_ids(line: bytes) -> set[str]:
    try:
        value = json.loads(line)
    except ValueError:
        return set()
    message = value.get("message") if isinstance(value, dict) else None
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(content, list):
        return set()
    return {
        b["id"] for b in content if isinstance(b, dict) and b.get("type") == "tool_use" and isinstance(b.get("id"), str)
    }


def _is_json(line: bytes) -> bool:
    try:
        json.loads(line)
    except ValueError:
        return False
    return True


@st.composite
def mangled(draw: st.DrawFn, lines: list[bytes]) -> list[bytes]:
    out = list(lines)
    for _ in range(draw(st.integers(0, 6))):
        if not out:
            break
        at = draw(st.integers(0, len(out) - 1))
        action = draw(st.sampled_from(["drop", "double", "cut", "garbage", "utf8", "swap"]))
        if action == "drop" and len(out) > 1:
            del out[at]
        elif action == "double":
            out.insert(at, out[at])
        elif action == "cut" and len(out[at]) > 2:
            out[at] = out[at][: draw(st.integers(1, len(out[at]) - 1))]
        elif action == "garbage":
            out[at] = draw(st.binary(min_size=1, max_size=60)).replace(b"\n", b" ").replace(b"\r", b" ")
        elif action == "utf8":
            out[at] = out[at][: len(out[at]) // 2] + b"\xc3\x28" + out[at][len(out[at]) // 2 :]
        elif action == "swap" and at + 1 < len(out):
            out[at], out[at + 1] = out[at + 1], out[at]
    return out


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_claude_formats_survive_mangling(engine: Engine, fmt: str) -> None:
    files = FORMATS[fmt]
    assert files, f"no fixtures for {fmt}"

    @FUZZ
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        source = data.draw(st.sampled_from(files))
        lines = data.draw(mangled([line for line in source.read_bytes().splitlines() if line.strip()]))
        adw_id = f"fz-{uuid.uuid4().hex[:10]}"
        raw = b"\n".join(lines) + b"\n"
        report = ingest_stream(engine, source.name, io.BytesIO(raw), format=fmt, adw_id=adw_id, phase="fuzz")
        assert report.error is None
        rejected = {r.line for r in report.rejected}
        assert rejected <= set(range(1, len(lines) + 1))
        not_json = {n for n, line in enumerate(lines, start=1) if line.strip() and not _is_json(line)}
        assert not_json <= rejected, "a line that is not JSON must be rejected by number"
        # Calls are deduplicated per session across runs, so look at every stored call.
        ids_in_file = set().union(*(_tool_use_ids(line) for line in lines))
        stored = [call_id for call_id in _call_ids(engine) if call_id in ids_in_file]
        assert len(stored) == len(set(stored)), "a tool call stored twice"
        expected = set().union(*(_tool_use_ids(line) for n, line in enumerate(lines, 1) if n not in rejected))
        assert expected <= set(stored)

        again = ingest_stream(engine, source.name, io.BytesIO(raw), format=fmt, adw_id=adw_id, phase="fuzz")
        assert again.tool_calls_stored == 0
        assert sorted(c for c in _call_ids(engine) if c in ids_in_file) == sorted(stored)

    run()


def _call_ids(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        rows = connection.execute(select(task_logs.c.tool_calls)).scalars()
        calls: list[Any] = [call for row in rows for call in (json.loads(row) if isinstance(row, str) else row or [])]
    return [c["call_id"] for c in calls if c.get("call_id")]


def test_otel_file_survives_mangling(engine: Engine) -> None:
    source = FIXTURES / "claude-otel" / "otlp_logs_v2.1.226.json"
    raw = source.read_bytes()
    for cut in (len(raw) // 3, len(raw) // 2, len(raw) - 5):
        broken = raw[:cut]
        report = ingest_stream(engine, source.name, io.BytesIO(broken), format="claude-otel", adw_id=f"otel-{cut}")
        assert report.error is not None or report.rejected_count > 0  # said, not swallowed
    report = ingest_stream(engine, source.name, io.BytesIO(raw[:100] + b"\xff" + raw[100:]), format="claude-otel")
    assert report.error is not None or report.rejected_count > 0
