"""The two shapes of a hook payload log and of an OTLP export: JSON lines, or JSON documents.

Both formats read a file either as one JSON value per line (each line reported by its own
number) or, when the first line is not a whole JSON value, as documents spread over many lines
(pretty-printed), streamed value by value (an array's elements, an export's log records): each
value is reported at the line it starts at with its element number, and only one value at a
time is held.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine

from tests.helpers.db import stored_calls, stored_logs
from tooltrack.core.storable import REPLACEMENT
from tooltrack.ingest import FileReport, Note, documents, ingest_stream, lines
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


# -- One document: streamed value by value, each reported at the line it starts at -------------


def line_of(data: bytes, text: bytes, occurrence: int = 1) -> int:
    """The number of the line of `data` that is `text` (stripped), its `occurrence`-th such line."""
    found = [number for number, raw in enumerate(data.split(b"\n"), start=1) if raw.strip() == text]
    return found[occurrence - 1]


def test_pretty_printed_hook_array_reports_each_element_at_the_line_it_starts(engine: Engine) -> None:
    array = [hook_payload("toolu_1"), 42, hook_payload("toolu_2", command="x\x00y")]
    data = b"\n\n" + pretty(array) + b"\n"
    report = ingest(engine, data, "claude-hooks")
    assert [(r.line, r.element, r.reason) for r in report.rejected] == [
        (line_of(data, b"42,"), 2, "not a Claude Code hook payload (no hook_event_name)")
    ]
    assert report.rejected[0].where == f"line {line_of(data, b'42,')}, element 2"
    calls = {call.call_id or "": call for call in stored_calls(engine)}
    assert sorted(calls) == ["toolu_1", "toolu_2"]
    assert calls["toolu_2"].command == f"x{REPLACEMENT}y"


def test_hook_array_on_one_line_is_one_document(engine: Engine) -> None:
    report = ingest(engine, line([hook_payload("toolu_1"), hook_payload("toolu_2")]) + b"\n", "claude-hooks")
    assert (report.rejected, report.tool_calls_stored) == ([], 2)


def test_documents_one_after_another_are_read_one_after_another(engine: Engine) -> None:
    # An array on the first line makes the file a document even when that line is a whole value;
    # a second array after it (or a second pretty-printed document, as `jq .` writes JSON lines)
    # is read as the next document.
    data = line([hook_payload("toolu_1"), 7]) + b"\n" + pretty([hook_payload("toolu_2")]) + b"\n"
    report = ingest(engine, data, "claude-hooks")
    assert [(r.line, r.element) for r in report.rejected] == [(1, 2)]
    assert sorted(call.call_id or "" for call in stored_calls(engine)) == ["toolu_1", "toolu_2"]
    report = ingest(engine, pretty(otel_document("toolu_3")) + b"\n" + pretty(otel_document("toolu_4")), "claude-otel")
    assert (report.rejected, report.tool_calls_stored) == ([], 2)


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


def test_an_otel_document_without_log_records_is_named(engine: Engine) -> None:
    data = b"\n" + pretty({"resourceSpans": [{"scopeSpans": []}]}) + b"\n"
    report = ingest(engine, data, "claude-otel")
    assert rejected(report) == [(2, "not an OTLP logs document (no resourceLogs list)")]


def test_a_payload_cut_off_is_rejected_at_its_first_line(engine: Engine) -> None:
    text = pretty(hook_payload("toolu_1"))
    report = ingest(engine, b"\n" + text[: len(text) * 2 // 3], "claude-hooks")
    assert [(r.line, r.element) for r in report.rejected] == [(2, None)]
    assert report.rejected[0].reason == "malformed JSON document: the file ends inside it"
    assert (report.task_logs_stored, stored_logs(engine)) == (0, [])


def test_an_array_cut_off_keeps_its_whole_elements_and_names_the_one_cut(engine: Engine) -> None:
    data = b"\n" + pretty([hook_payload("toolu_1"), hook_payload("toolu_2"), hook_payload("toolu_3")])
    cut = data[: data.index(b'"toolu_3"')]
    report = ingest(engine, cut, "claude-hooks")
    assert [(r.line, r.element, r.reason) for r in report.rejected] == [
        (line_of(data, b"{", 3), 3, "malformed JSON document: the file ends inside it")
    ]
    assert sorted(call.call_id or "" for call in stored_calls(engine)) == ["toolu_1", "toolu_2"]

    # Cut between two elements: the document's own first line is named.
    with engine.begin() as connection:
        connection.execute(task_logs.delete())
    report = ingest(engine, data[: data.index(b"\n  },\n") + 5], "claude-hooks")
    assert rejected(report) == [(2, "malformed JSON document: the file ends before the document does")]


def test_an_otel_document_cut_off_names_the_record_cut(engine: Engine) -> None:
    document = otel_document("toolu_1")
    records = document["resourceLogs"][0]["scopeLogs"][0]["logRecords"]
    records.append(otel_document("toolu_2")["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0])
    text = pretty(document)
    report = ingest(engine, text[: text.index(b'"toolu_2"')], "claude-otel")
    [rejection] = report.rejected
    assert (rejection.line, rejection.element) == (line_of(text, b'"timeUnixNano": "1786407290277000000",', 2) - 1, 2)
    assert rejection.reason == "malformed OTLP JSON document: the file ends inside it"
    # Nothing of a broken export is stored (its cost would be counted again with the whole one).
    assert [(n.line, n.element) for n in report.notes] == [(rejection.line, 2)]
    assert report.notes[0].message.startswith("nothing of this export was stored")
    assert stored_calls(engine) == []


def test_a_malformed_element_costs_itself_and_a_broken_structure_stops_the_document(engine: Engine) -> None:
    data = b"[\n" + line(hook_payload("toolu_1")) + b",\n" + b'{"a": 1 2},\n' + line(hook_payload("toolu_2")) + b"\n]"
    report = ingest(engine, data, "claude-hooks")
    [rejection] = report.rejected
    assert (rejection.line, rejection.element) == (3, 2)
    assert rejection.reason.startswith("malformed JSON document: ")
    assert sorted(call.call_id or "" for call in stored_calls(engine)) == ["toolu_1", "toolu_2"]

    data = b"[\n" + line(hook_payload("toolu_3")) + b"\n" + line(hook_payload("toolu_4")) + b"\n]"  # no comma
    report = ingest(engine, data, "claude-hooks")
    assert rejected(report) == [
        (3, "malformed JSON document: expected ',' or the end of the array at line 3, column 1, found '{\"session_id'")
    ]
    assert "toolu_4" not in {call.call_id for call in stored_calls(engine)}


# -- The size limit of one value held whole (a document is never held whole) --------------------


@pytest.mark.parametrize(
    ("format", "big", "small"),
    [
        ("claude-hooks", hook_payload("toolu_big", command="x" * 3000), hook_payload("toolu_small")),
        (
            "claude-otel",
            otel_document("toolu_big", command="x" * 3000)["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0],
            otel_document("toolu_small")["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0],
        ),
    ],
)
def test_a_value_over_the_limit_is_rejected_and_the_rest_of_the_document_is_read(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, format: str, big: dict[str, Any], small: dict[str, Any]
) -> None:
    values = (
        [small, big, small | {"timeUnixNano": "1786407290278000000"}]
        if format == "claude-otel"
        else [small, big, hook_payload("toolu_small2")]
    )
    document: Any = values if format == "claude-hooks" else {"resourceLogs": [{"scopeLogs": [{"logRecords": values}]}]}
    data = pretty(document)
    # Between the two sizes: the small values are held, the big one is not (nor is the document).
    monkeypatch.setattr(documents, "MAX_VALUE_BYTES", (len(pretty(small)) + len(pretty(big))) // 2)
    report = ingest(engine, data, format)
    [rejection] = report.rejected
    assert rejection.element == 2 and rejection.reason.startswith("a value longer than ")
    if format == "claude-hooks":
        assert rejection.line == line_of(data, b"{", 2)
    else:
        assert rejection.line == line_of(data, b'"timeUnixNano": "1786407290277000000",', 2) - 1
    assert report.tool_calls_stored == 2
    assert "toolu_big" not in {call.call_id for call in stored_calls(engine)}


@pytest.mark.parametrize(
    ("format", "values"),
    [
        ("claude-hooks", [hook_payload("toolu_1"), hook_payload("toolu_2")]),
        ("claude-otel", [otel_document("toolu_1"), otel_document("toolu_2")]),
    ],
)
def test_json_lines_are_not_bound_by_the_value_limit_of_documents(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, format: str, values: list[Any]
) -> None:
    monkeypatch.setattr(documents, "MAX_VALUE_BYTES", 10)
    report = ingest(engine, b"\n".join(line(value) for value in values) + b"\n", format)
    assert (report.rejected, report.tool_calls_stored) == ([], 2)


def test_a_large_otel_document_is_parsed_record_by_record(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Memory follows the largest record, not the document: nothing as large as the document is parsed."""
    records = [
        otel_document(f"toolu_{n}", command=f"echo {n}")["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]
        for n in range(400)
    ]
    data = pretty({"resourceLogs": [{"scopeLogs": [{"logRecords": records}]}]})
    parsed: list[int] = []
    real = documents.loads_agent_json

    def loads(raw: bytes | str) -> Any:
        parsed.append(len(raw))
        return real(raw)

    monkeypatch.setattr(documents, "loads_agent_json", loads)
    report = ingest(engine, data, "claude-otel")
    assert (report.rejected, report.tool_calls_stored) == ([], 400)
    assert max(parsed) < len(data) / 100


# -- Lines over the line limit are rejected with their number, in every shape -------------------


@pytest.mark.parametrize(
    ("format", "value"),
    [("claude-hooks", hook_payload("toolu_1")), ("claude-otel", otel_document("toolu_1"))],
)
def test_a_json_line_over_the_line_limit_is_rejected_with_its_number(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, format: str, value: Any
) -> None:
    monkeypatch.setattr(lines, "MAX_LINE_BYTES", len(line(value)) + 100)
    long_value = (
        hook_payload("toolu_long", command="x" * 500)
        if format == "claude-hooks"
        else otel_document("toolu_long", command="x" * 500)
    )
    for first in (False, True):  # the first line, or a line after it
        with engine.begin() as connection:
            connection.execute(task_logs.delete())
        body = [line(long_value), line(value)] if first else [line(value), line(long_value), b""]
        report = ingest(engine, b"\n".join(body) + b"\n", format)
        number = 1 if first else 2
        assert [(r.line, r.reason.split(":")[0]) for r in report.rejected] == [(number, "line longer than 0 MB")]
        assert [call.call_id for call in stored_calls(engine)] == ["toolu_1"]


def test_a_transcript_line_over_the_line_limit_is_rejected_with_its_number(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, fixtures_dir: Path
) -> None:
    source = (fixtures_dir / "claude-transcripts/representative_messages.jsonl").read_bytes().splitlines()
    monkeypatch.setattr(lines, "MAX_LINE_BYTES", max(len(raw) for raw in source) + 10)
    long_line = b'{"type": "user", "sessionId": "s", "message": {"content": "' + b"x" * 2000 + b'"}}'
    data = b"\n".join([*source[:2], long_line, *source[2:]]) + b"\n"
    report = ingest_stream(engine, "session.jsonl", io.BytesIO(data))
    assert report.format == "claude-transcript"
    assert [(r.line, r.reason) for r in report.rejected] == [(3, "line longer than 0 MB: not read")]


def test_a_line_over_the_limit_inside_a_document_stops_it_with_its_number(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lines, "MAX_LINE_BYTES", 400)
    data = b"[\n" + line(hook_payload("toolu_1")) + b",\n" + line(hook_payload("toolu_2", command="x" * 500)) + b"\n]\n"
    report = ingest(engine, data, "claude-hooks")
    assert rejected(report) == [
        (3, "malformed JSON document: line longer than 0 MB: not read: the document cannot be read past it")
    ]
    assert [call.call_id for call in stored_calls(engine)] == ["toolu_1"]


# -- The reader on its own -----------------------------------------------------------------------


def _lines(*raw: bytes) -> list[Line]:
    return [Line(number, data, complete=True) for number, data in enumerate(raw, start=1)]


def test_the_reader_hands_each_value_to_the_feed_with_the_line_it_is_reported_at() -> None:
    fed: list[tuple[int, Any, int | None]] = []

    def feed(number: int, value: Any, element: int | None) -> list[Note]:
        fed.append((number, value, element))
        return [Note(number, "fed", element)]

    def read(lines: list[Line], **options: Any) -> list[Any]:
        fed.clear()
        return list(read_json_values(lines, feed, malformed="bad", **options))

    items = read(_lines(b"", b'{"a": 1}', b"[2]", b"{"))
    assert fed == [(2, {"a": 1}, None), (3, [2], None)]
    assert items[:2] == [Note(2, "fed"), Note(3, "fed")]
    assert [(r.line, r.reason.split(":")[0]) for r in items[2:]] == [(4, "malformed JSON")]

    items = read(_lines(b"", b"{", b'  "a": "x\\u0000"', b"}"))
    assert (fed, items) == ([(2, {"a": f"x{REPLACEMENT}"}, None)], [Note(2, "fed")])

    assert read(_lines(b"[1]", b"[2]"))[0] == Note(1, "fed")  # JSON lines of arrays...
    read(_lines(b"[1]", b"[2, 3]"), arrays_whole=True)  # ...or, so told, documents of elements
    assert fed == [(1, 1, 1), (2, 2, 1), (2, 3, 2)]

    read(_lines(b"{", b'  "r": [', b"    {},", b'    {"x": [1]}', b"  ],", b'  "s": 1', b"}"), stream=("r", "*"))
    assert fed == [(3, {}, 1), (4, {"x": [1]}, 2)]


def test_a_byte_that_is_not_utf8_is_named_where_it_is(engine: Engine) -> None:
    document = otel_document("toolu_1")
    document["resourceLogs"][0]["resource"] = {"attributes": [{"key": "host.name", "value": {"stringValue": "HOST"}}]}
    data = pretty(document).replace(b"HOST", b"ho\xffst")
    report = ingest(engine, data, "claude-otel")
    # In a part of the document no value is read from: said at its line, the records still read.
    number = line_of(data, b'"stringValue": "ho\xffst"')
    byte = data.split(b"\n")[number - 1].index(b"\xff") + 1
    assert rejected(report) == [(number, f"not valid UTF-8 (byte {byte} of the line)")]
    assert [call.call_id for call in stored_calls(engine)] == ["toolu_1"]
    # In a value read: that value is rejected as malformed, at its line and element.
    with engine.begin() as connection:
        connection.execute(task_logs.delete())
    data = pretty([hook_payload("toolu_2"), hook_payload("toolu_3")]).replace(b'"toolu_2"', b'"toolu_\xff2"')
    report = ingest(engine, data, "claude-hooks")
    [rejection] = report.rejected
    assert (rejection.line, rejection.element) == (2, 1) and rejection.reason.startswith("malformed JSON document: ")
    assert [call.call_id for call in stored_calls(engine)] == ["toolu_3"]
