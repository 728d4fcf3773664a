"""The two shapes of a hook payload log and of an OTLP export: JSON lines, or one JSON document.

Both formats read a file either as one JSON value per line (each line reported by its own
number) or, when the first line is not a whole JSON value, as one document spread over many
lines (pretty-printed), buffered up to a size limit and reported at its first line.
"""

from __future__ import annotations

import io
import json
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine

from tests.helpers.db import stored_calls, stored_logs
from tooltrack.core.storable import REPLACEMENT
from tooltrack.ingest import FileReport, Note, documents, ingest_stream
from tooltrack.ingest.documents import read_json_values
from tooltrack.ingest.lines import Line
from tooltrack.store.schema import task_logs


def hook_payload(call_id: str, command: str = "ls", session: str = "s1", **fields: Any) -> dict[str, Any]:
    return {
        "session_id": session,
        "hook_event_name": "PostToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": command},
        "tool_response": {"stdout": "", "stderr": "", "interrupted": False},
        "tool_use_id": call_id,
        "duration_ms": 5,
        **fields,
    }


def otel_document(call_id: str, command: str = "ls", session: str = "s1") -> dict[str, Any]:
    def attribute(key: str, value: str) -> dict[str, Any]:
        return {"key": key, "value": {"stringValue": value}}

    record = {
        "timeUnixNano": "1786407290277000000",
        "body": {"stringValue": "claude_code.tool_result"},
        "attributes": [
            attribute("session.id", session),
            attribute("tool_name", "Bash"),
            attribute("success", "true"),
            attribute("duration_ms", "12"),
            attribute("tool_use_id", call_id),
            attribute("tool_parameters", json.dumps({"full_command": command})),
        ],
    }
    return {"resourceLogs": [{"scopeLogs": [{"logRecords": [record]}]}]}


def line(value: Any) -> bytes:
    return orjson.dumps(value)


def pretty(value: Any) -> bytes:
    return json.dumps(value, indent=2).encode()


def ingest(engine: Engine, data: bytes, format: str) -> FileReport:
    return ingest_stream(engine, "log.json", io.BytesIO(data), format=format)


def rejected(report: FileReport) -> list[tuple[int, str]]:
    return [(r.line, r.reason) for r in report.rejected]


def assert_rejected(report: FileReport, expected: dict[int, str]) -> None:
    """Exactly the lines of `expected` were rejected, each for a reason that starts as given there."""
    assert [number for number, _ in rejected(report)] == sorted(expected)
    for number, reason in rejected(report):
        assert reason.startswith(expected[number]), (number, reason)


def assert_nul_replaced_in_second_call(engine: Engine) -> None:
    """toolu_1 and toolu_2 (whose command `a<NUL>b` was made storable) are the calls stored."""
    calls = {call.call_id or "": call for call in stored_calls(engine)}
    assert sorted(calls) == ["toolu_1", "toolu_2"]
    assert calls["toolu_2"].command == f"a{REPLACEMENT}b"


# -- JSON lines: each line on its own, reported by its number ------------------------------------


def test_hook_json_lines_report_each_bad_line_and_keep_the_good(engine: Engine) -> None:
    data = b"\n".join(
        [
            line(hook_payload("toolu_1")),  # 1
            b"{not json",  # 2 malformed
            b"",  # 3 blank: skipped
            line(hook_payload("toolu_2", command="a\x00b")),  # 4 NUL, replaced
            b'{"hook_event_name": "PostToolUse", "tool_name": "\xff"}',  # 5 not UTF-8
            line({"tool_name": "Bash"}),  # 6 not a hook payload
            line(hook_payload("toolu_3"))[:25],  # 7 cut off, no line break
        ]
    )
    report = ingest(engine, data, "claude-hooks")
    assert_rejected(
        report,
        {
            2: "malformed JSON: ",
            5: "not valid UTF-8 (byte ",
            6: "not a Claude Code hook payload (no hook_event_name)",
            7: "truncated last line (no line break at the end of the file): ",
        },
    )
    assert_nul_replaced_in_second_call(engine)
    assert (report.task_logs_stored, report.tool_calls_stored) == (1, 2)


def test_otel_json_lines_report_each_bad_line_and_keep_the_good(engine: Engine) -> None:
    data = b"\n".join(
        [
            b"",  # 1 blank: skipped
            line(otel_document("toolu_1")),  # 2
            b'{"resourceLogs": [',  # 3 malformed: a pretty document after the first line is not read whole
            line({"resourceSpans": []}),  # 4 not a logs document
            line(otel_document("toolu_2", command="a\x00b")),  # 5 NUL, replaced
            line(otel_document("toolu_3"))[:40],  # 6 cut off, no line break
        ]
    )
    report = ingest(engine, data, "claude-otel")
    assert_rejected(
        report,
        {
            3: "malformed JSON: ",
            4: "not an OTLP logs document (no resourceLogs list)",
            6: "truncated last line (no line break at the end of the file): ",
        },
    )
    assert_nul_replaced_in_second_call(engine)


# -- One document: read whole, reported at its first (non-blank) line ----------------------------


def test_pretty_printed_hook_array_is_reported_at_its_first_line(engine: Engine) -> None:
    array = [hook_payload("toolu_1"), 42, hook_payload("toolu_2", command="x\x00y")]
    report = ingest(engine, b"\n\n" + pretty(array) + b"\n", "claude-hooks")
    assert rejected(report) == [(3, "not a Claude Code hook payload (no hook_event_name)")]
    calls = {call.call_id or "": call for call in stored_calls(engine)}
    assert sorted(calls) == ["toolu_1", "toolu_2"]
    assert calls["toolu_2"].command == f"x{REPLACEMENT}y"


def test_hook_array_on_one_line_is_one_document(engine: Engine) -> None:
    report = ingest(engine, line([hook_payload("toolu_1"), hook_payload("toolu_2")]) + b"\n", "claude-hooks")
    assert (report.rejected, report.tool_calls_stored) == ([], 2)


def test_a_hook_file_that_opens_with_an_array_is_read_as_one_document(engine: Engine) -> None:
    # An array on the first line means the whole file is one document, even when that first line
    # is a whole value: two arrays on two lines are not JSON lines of a hook log.
    data = line([hook_payload("toolu_1")]) + b"\n" + line([hook_payload("toolu_2")]) + b"\n"
    report = ingest(engine, data, "claude-hooks")
    [(number, reason)] = rejected(report)
    assert number == 1 and reason.startswith("malformed JSON document: ")
    assert stored_logs(engine) == []


def test_otel_documents_on_their_own_lines_are_json_lines(engine: Engine) -> None:
    data = line(otel_document("toolu_1")) + b"\n" + line(otel_document("toolu_2")) + b"\n"
    report = ingest(engine, data, "claude-otel")
    assert (report.rejected, report.tool_calls_stored) == ([], 2)


def test_pretty_printed_otel_document_with_nul_is_stored(engine: Engine) -> None:
    report = ingest(engine, pretty(otel_document("toolu_1", command="p\x00q", session="se\x00s")), "claude-otel")
    assert (report.error, report.rejected) == (None, [])
    [log] = stored_logs(engine)
    assert log.adw_id == f"se{REPLACEMENT}s"
    [call] = log.tool_calls
    assert call.command == f"p{REPLACEMENT}q"


@pytest.mark.parametrize(
    ("format", "document", "prefix"),
    [
        ("claude-hooks", hook_payload("toolu_1"), "malformed JSON document: "),
        ("claude-hooks", [hook_payload("toolu_1"), hook_payload("toolu_2")], "malformed JSON document: "),
        ("claude-otel", otel_document("toolu_1"), "malformed OTLP JSON document: "),
    ],
)
def test_a_document_cut_off_is_rejected_at_its_first_line(
    engine: Engine, format: str, document: Any, prefix: str
) -> None:
    text = pretty(document)
    report = ingest(engine, b"\n" + text[: len(text) * 2 // 3], format)
    [(number, reason)] = rejected(report)
    assert number == 2 and reason.startswith(prefix)
    assert (report.task_logs_stored, stored_logs(engine)) == (0, [])


# -- The size limit on a document read whole (JSON lines are never held whole) -------------------


def _buffered_size(data: bytes) -> int:
    """What a document of `data` holds in memory by the parsers' count: each non-blank line and its break."""
    return sum(len(raw) + 1 for raw in data.split(b"\n") if raw.strip())


@pytest.mark.parametrize(
    ("format", "document", "message"),
    [
        ("claude-hooks", hook_payload("toolu_1"), "a hook log over {mb} MB as one document"),
        (
            "claude-otel",
            otel_document("toolu_1"),
            "an OTLP document over {mb} MB on many lines: export it as JSON lines",
        ),
    ],
)
def test_a_document_over_the_limit_is_refused_whole(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, format: str, document: Any, message: str
) -> None:
    data = b"\n" + pretty(document) + b"\n"
    size = _buffered_size(data)

    monkeypatch.setattr(documents, "MAX_DOCUMENT_BYTES", size)  # at the limit: read
    report = ingest(engine, data, format)
    assert (report.rejected, report.tool_calls_stored) == ([], 1)

    monkeypatch.setattr(documents, "MAX_DOCUMENT_BYTES", size - 1)  # one byte over: refused
    with engine.begin() as connection:
        connection.execute(task_logs.delete())
    report = ingest(engine, data, format)
    assert rejected(report) == [(0, message.format(mb=(size - 1) // 2**20))]
    assert stored_logs(engine) == []


@pytest.mark.parametrize(
    ("format", "values"),
    [
        ("claude-hooks", [hook_payload("toolu_1"), hook_payload("toolu_2")]),
        ("claude-otel", [otel_document("toolu_1"), otel_document("toolu_2")]),
    ],
)
def test_json_lines_are_not_bound_by_the_document_limit(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, format: str, values: list[Any]
) -> None:
    monkeypatch.setattr(documents, "MAX_DOCUMENT_BYTES", 10)
    report = ingest(engine, b"\n".join(line(value) for value in values) + b"\n", format)
    assert (report.rejected, report.tool_calls_stored) == ([], 2)


# -- The reader on its own -----------------------------------------------------------------------


def _lines(*raw: bytes) -> list[Line]:
    return [Line(number, data, complete=True) for number, data in enumerate(raw, start=1)]


def test_the_reader_hands_each_value_to_the_feed_with_the_line_it_is_reported_at() -> None:
    fed: list[tuple[int, Any]] = []

    def feed(number: int, value: Any) -> list[Note]:
        fed.append((number, value))
        return [Note(number, "fed")]

    def read(lines: list[Line], **options: Any) -> list[Any]:
        fed.clear()
        return list(read_json_values(lines, feed, too_large="over {mb} MB", malformed="bad", **options))

    items = read(_lines(b"", b'{"a": 1}', b"[2]", b"{"))
    assert fed == [(2, {"a": 1}), (3, [2])]
    assert items[:2] == [Note(2, "fed"), Note(3, "fed")]
    assert [(r.line, r.reason.split(":")[0]) for r in items[2:]] == [(4, "malformed JSON")]

    items = read(_lines(b"", b"{", b'  "a": "x\\u0000"', b"}"))
    assert (fed, items) == ([(2, {"a": f"x{REPLACEMENT}"})], [Note(2, "fed")])

    assert read(_lines(b"[1]", b"[2]"))[0] == Note(1, "fed")  # JSON lines of arrays...
    [refused] = read(_lines(b"[1]", b"[2]"), arrays_whole=True)  # ...or, so told, one document
    assert fed == [] and refused.line == 1 and refused.reason.startswith("bad: ")
