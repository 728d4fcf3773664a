"""The session state file's format: versioned lines, files of the previous format, lines of a newer one.

The lines written literally below are what tooltrack wrote before the format had a version (taken
from a run of that code's hook on these events): a session half-recorded then must be closed
correctly by this code after an upgrade.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.helpers.hook import run_hook
from tooltrack.capture.hook import handle_event
from tooltrack.capture.hook_sessions import batch_key, fold, session_file
from tooltrack.capture.session_format import (
    FORMAT_VERSION,
    CallEvent,
    CloseMarker,
    DoneIds,
    NewerFormat,
    UnreadableLine,
    close_line,
    done_line,
    post_line,
    pre_line,
    read_line,
)
from tooltrack.capture.spool import Spool, hook_log_path
from tooltrack.models import TaskLogCreate

T = 1796150000.0  # the epoch seconds the lines below start at
ENV = {"TOOLTRACK_ADW_ID": "adw-up", "TOOLTRACK_PHASE": "build", "TOOLTRACK_PHASE_NUMBER": "2"}
M = '"m":{"adw_id":"adw-up","phase_name":"build","phase_number":2}'

#: Session `s-upgrade` as the previous format left it: `toolu_old` closed by a Stop (the `done`
#: line), `toolu_a` finished with the event's duration_ms, `toolu_b` still running, `toolu_c` failed
#: (no Pre), a Grep without tool_use_id still running, a repeated Post of the closed `toolu_old`,
#: and `toolu_d` interrupted by the user.
PREVIOUS_FORMAT = f"""\
{{"ev":"done","ids":["toolu_old"],"at":1796150001.0}}
{{"ev":"pre","sid":"s-upgrade","id":"toolu_a","tool":"Bash","at":1796150010.0,"f":{{"command":"pytest -x"}},{M}}}
{{"ev":"post","sid":"s-upgrade","id":"toolu_a","tool":"Bash","at":1796150012.5,"ok":true,"dur":2345,"f":{{"command":"pytest -x","stdout_lines":3,"stderr_lines":0,"exit_code":0}},{M}}}
{{"ev":"pre","sid":"s-upgrade","id":"toolu_b","tool":"Read","at":1796150013.0,"f":{{"file_path":"/repo/app.py","offset":1,"limit":80}},{M}}}
{{"ev":"post","sid":"s-upgrade","id":"toolu_c","tool":"Bash","at":1796150014.0,"ok":false,"err":"Exit code 2\\nboom","out":"error","dur":50,"f":{{"command":"make","exit_code":2}},{M}}}
{{"ev":"pre","sid":"s-upgrade","id":null,"tool":"Grep","at":1796150015.0,"f":{{"pattern":"TODO"}},{M}}}
{{"ev":"post","sid":"s-upgrade","id":"toolu_old","tool":"Bash","at":1796150016.0,"ok":true,"f":{{"command":"ls","stdout_lines":1,"stderr_lines":0,"exit_code":0}},{M}}}
{{"ev":"pre","sid":"s-upgrade","id":"toolu_d","tool":"Bash","at":1796150017.0,"f":{{"command":"sleep 9"}},{M}}}
{{"ev":"post","sid":"s-upgrade","id":"toolu_d","tool":"Bash","at":1796150018.25,"ok":false,"err":"Interrupted by user","out":"interrupted","f":{{"command":"sleep 9"}},{M}}}
"""  # noqa: E501

#: Session `s-crash` in the previous format, after a Stop that wrote its `close` marker and died
#: before delivering the batch and rewriting the file.
PREVIOUS_FORMAT_CRASHED_CLOSE = """\
{"ev":"pre","sid":"s-crash","id":"toolu_r","tool":"Read","at":1796150000.25,"f":{"file_path":"/r/a.py"},"m":{"adw_id":"adw-7","phase_name":"build"}}
{"ev":"post","sid":"s-crash","id":"toolu_r","tool":"Read","at":1796150001.5,"ok":true,"f":{"file_path":"/r/a.py","lines_read":7},"m":{"adw_id":"adw-7","phase_name":"build"}}
{"ev":"close","key":"hook:762f825408e5f8b6defaed3c3276f1ac01a891cf7d4787f5","ids":["toolu_r"],"reason":"Stop","at":1796150002.0,"meta":{"adw_id":"adw-7","phase_name":"build"}}
"""


def _event(session: str, name: str, at: float, spool: Spool, **fields: Any) -> None:
    """One hook event handled by this code's hook, seen at `T + at`."""
    handle_event({"session_id": session, "hook_event_name": name, **fields}, received=T + at, spool=spool, env=ENV)


def _spooled(spool: Spool) -> list[dict[str, Any]]:
    return [json.loads(line) for line in spool.path.read_text().splitlines()] if spool.path.exists() else []


def _shape(value: CallEvent | CloseMarker | DoneIds) -> dict[str, Any]:
    return {name: getattr(value, name) for name in type(value).__slots__}


def test_a_session_half_recorded_in_the_previous_format_is_closed_correctly_after_the_upgrade(spool: Spool) -> None:
    path = session_file(spool, "s-upgrade")
    path.parent.mkdir(parents=True)
    path.write_text(PREVIOUS_FORMAT)

    # After the upgrade the running calls finish and the session stops.
    read = {"tool_name": "Read", "tool_use_id": "toolu_b", "tool_input": {"file_path": "/repo/app.py", "offset": 1}}
    read["tool_input"]["limit"] = 80
    _event("s-upgrade", "PostToolUse", 20.0, spool, **read, tool_response={"type": "text", "file": {"numLines": 80}})
    grep = {"tool_name": "Grep", "tool_input": {"pattern": "TODO"}, "tool_response": {"numFiles": 3}}
    _event("s-upgrade", "PostToolUse", 21.0, spool, **grep)
    lines = path.read_bytes().splitlines()
    # One file, two formats: the old lines as they were, the new ones with their version.
    assert ["v" in json.loads(line) for line in lines] == [False] * 9 + [True] * 2
    _event("s-upgrade", "Stop", 22.0, spool)

    (payload,) = _spooled(spool)
    TaskLogCreate.model_validate(payload)
    overlap = "overlap:toolu_b"  # toolu_b, the Grep and toolu_d ran at the same time
    assert payload["tool_calls"] == [
        {"tool_name": "Bash", "command": "pytest -x", "stdout_lines": 3, "stderr_lines": 0, "exit_code": 0,
         "call_id": "toolu_a", "success": True, "outcome": "ok", "duration_ms": 2345, "duration_source": "hook",
         "timestamp": "2026-12-01T18:33:30+00:00"},
        {"tool_name": "Read", "file_path": "/repo/app.py", "offset": 1, "limit": 80, "lines_read": 80,
         "call_id": "toolu_b", "success": True, "outcome": "ok", "duration_ms": 7000,
         "duration_source": "timestamps", "timestamp": "2026-12-01T18:33:33+00:00", "turn_id": overlap},
        {"tool_name": "Bash", "command": "make", "exit_code": 2, "call_id": "toolu_c", "success": False,
         "outcome": "error", "error_message": "Exit code 2\nboom", "duration_ms": 50, "duration_source": "hook",
         "timestamp": "2026-12-01T18:33:33.950000+00:00"},
        {"tool_name": "Grep", "pattern": "TODO", "files_matched": 3, "success": True, "outcome": "ok",
         "duration_ms": 6000, "duration_source": "timestamps", "timestamp": "2026-12-01T18:33:35+00:00",
         "turn_id": overlap},
        {"tool_name": "Bash", "command": "sleep 9", "call_id": "toolu_d", "success": False,
         "outcome": "interrupted", "error_message": "Interrupted by user", "duration_ms": 1250,
         "duration_source": "timestamps", "timestamp": "2026-12-01T18:33:37+00:00", "turn_id": overlap},
    ]  # fmt: skip
    # The repeated Post of toolu_old (closed before the upgrade) is not delivered again.
    assert "toolu_old" not in {call.get("call_id") for call in payload["tool_calls"]}
    assert (payload["adw_id"], payload["phase_name"], payload["phase_number"]) == ("adw-up", "build", 2)
    assert (payload["started_at"], payload["duration_seconds"]) == ("2026-12-01T18:33:30+00:00", 12.0)
    # The key the previous code gives this batch (the same events closed by it): were a close
    # repeated across the upgrade, the store would still keep the batch once.
    assert payload["log_key"] == "hook:0f1ed3c27bcb99e2a958d4c74f3ae7b215ddf0c396ad30ce"
    # Left in the file: the ids closed so far, in this format; no open call.
    (done,) = path.read_bytes().splitlines()
    assert json.loads(done) == {
        "v": FORMAT_VERSION,
        "ev": "done",
        "ids": ["toolu_old", "toolu_a", "toolu_b", "toolu_c", "toolu_d"],
        "at": T + 22.0,
    }
    assert not spool.dead_letter_path.exists()


def test_a_close_marker_of_the_previous_format_is_delivered_again_under_its_own_key(spool: Spool) -> None:
    path = session_file(spool, "s-crash")
    path.parent.mkdir(parents=True)
    path.write_text(PREVIOUS_FORMAT_CRASHED_CLOSE)

    _event("s-crash", "Stop", 30.0, spool)
    (payload,) = _spooled(spool)
    assert payload["log_key"] == "hook:762f825408e5f8b6defaed3c3276f1ac01a891cf7d4787f5"
    assert payload["log_key"] == batch_key("s-crash", ["toolu_r"])
    assert payload["tool_calls"] == [
        {"tool_name": "Read", "file_path": "/r/a.py", "lines_read": 7, "call_id": "toolu_r", "success": True,
         "outcome": "ok", "duration_ms": 1250, "duration_source": "timestamps",
         "timestamp": "2026-12-01T18:33:20.250000+00:00"},
    ]  # fmt: skip
    # The marker's own time and reason, not the later Stop's.
    assert (payload["completed_at"], payload["phase_status"]) == ("2026-12-01T18:33:22+00:00", "completed")
    assert [json.loads(line) for line in path.read_bytes().splitlines()] == [
        {"v": FORMAT_VERSION, "ev": "done", "ids": ["toolu_r"], "at": T + 30.0}
    ]
    _event("s-crash", "Stop", 40.0, spool)
    assert len(_spooled(spool)) == 1  # closed once


def test_a_line_of_a_newer_format_is_skipped_with_an_entry_in_the_error_log_and_the_rest_closed(
    spool: Spool,
) -> None:
    path = session_file(spool, "s-newer")
    path.parent.mkdir(parents=True)
    # A Post of toolu_2 in a format 2 that happens to spell its keys as format 1 does: read as
    # format 1 it would close toolu_2 as a success of 5 ms.
    newer_post = (
        '{"v":2,"ev":"post","sid":"s-newer","id":"toolu_2","tool":"Bash","at":1796150003.0,"ok":true,"dur":5,"f":{}}'
    )
    newer_other = '{"v":7,"kind":"call","call":{"id":"toolu_9","name":"Bash"}}'
    path.write_text(
        '{"ev":"pre","sid":"s-newer","id":"toolu_1","tool":"Glob","at":1796150000.0,"f":{"pattern":"*.py"}}\n'
        '{"ev":"post","sid":"s-newer","id":"toolu_1","tool":"Glob","at":1796150000.5,"ok":true,"f":{"pattern":"*.py","files_matched":4}}\n'
        '{"v":1,"ev":"pre","sid":"s-newer","id":"toolu_2","tool":"Bash","at":1796150001.0,"f":{"command":"make"}}\n'
        f"{newer_post}\n{newer_other}\n"
    )

    run_hook({"session_id": "s-newer", "hook_event_name": "Stop"})  # the real hook command

    (payload,) = _spooled(spool)
    assert [(c.get("call_id"), c.get("files_matched"), c.get("duration_ms")) for c in payload["tool_calls"]] == [
        ("toolu_1", 4, 500)
    ]
    assert set(fold(path.read_bytes()).calls) == {"toolu_2"}  # still running: its Post was not taken
    entries = [json.loads(line) for line in hook_log_path(spool.path).read_text().splitlines()]
    assert [(e["origin"], e["line"]) for e in entries] == [(f"{path}:4", newer_post), (f"{path}:5", newer_other)]
    assert "format version 2, newer than the 1" in entries[0]["error"]
    assert "format version 7" in entries[1]["error"]
    assert not spool.dead_letter_path.exists()  # not taken for a broken line
    assert b'"v":2' not in path.read_bytes() and b'"v":7' not in path.read_bytes()  # logged once, then dropped


def test_every_line_written_has_the_version_and_reads_back_in_one_shape_with_or_without_it() -> None:
    meta = {"adw_id": "a"}
    written = {
        "pre": pre_line(session_id="s", call_id="t", tool="Read", at=T, fields={"file_path": "x"}, meta=meta),
        "post": post_line(
            session_id="s",
            call_id="t",
            tool="Read",
            at=T + 1,
            ok=False,
            error="no such file",
            outcome="error",
            duration_ms=7,
            fields={"file_path": "x"},
            meta={},
        ),
        "close": close_line(CloseMarker(key="hook:k", ids=["t"], reason="Stop", at=T + 2, meta=meta)),
        "done": done_line(["t"], T + 2),
    }
    # The keys on disk are those of the previous format plus `v`: a change here needs a new version.
    assert {kind: json.loads(line) for kind, line in written.items()} == {
        "pre": {"v": 1, "ev": "pre", "sid": "s", "id": "t", "tool": "Read", "at": T, "f": {"file_path": "x"},
                "m": meta},
        "post": {"v": 1, "ev": "post", "sid": "s", "id": "t", "tool": "Read", "at": T + 1, "ok": False,
                 "err": "no such file", "out": "error", "dur": 7, "f": {"file_path": "x"}},
        "close": {"v": 1, "ev": "close", "key": "hook:k", "ids": ["t"], "reason": "Stop", "at": T + 2, "meta": meta},
        "done": {"v": 1, "ev": "done", "ids": ["t"], "at": T + 2},
    }  # fmt: skip
    shapes = {kind: _shape(read_line(line)) for kind, line in written.items()}
    assert shapes["pre"] == {
        "kind": "pre", "session_id": "s", "call_id": "t", "tool": "Read", "at": T, "fields": {"file_path": "x"},
        "meta": meta, "ok": False, "error": None, "outcome": None, "duration_ms": None,
    }  # fmt: skip
    assert shapes["post"] == {
        "kind": "post", "session_id": "s", "call_id": "t", "tool": "Read", "at": T + 1,
        "fields": {"file_path": "x"}, "meta": None, "ok": False, "error": "no such file", "outcome": "error",
        "duration_ms": 7,
    }  # fmt: skip
    assert shapes["close"] == {"key": "hook:k", "ids": ["t"], "reason": "Stop", "at": T + 2, "meta": meta}
    assert shapes["done"] == {"ids": ["t"], "at": T + 2}
    # The same lines as the previous format wrote them (no `v`) read back the same.
    for kind, line in written.items():
        unversioned = json.dumps({k: v for k, v in json.loads(line).items() if k != "v"}).encode()
        assert _shape(read_line(unversioned)) == shapes[kind], kind


@pytest.mark.parametrize(
    "line",
    [
        b"not json",
        b"\xff\xfe",
        b"[1, 2]",
        b'{"v": true, "ev": "done", "ids": [], "at": 1.0}',  # true == 1 in Python: still not a version
        b'{"v": "2", "ev": "done", "ids": [], "at": 1.0}',
        b'{"v": 0, "ev": "done", "ids": [], "at": 1.0}',
        b'{"ev": "pre", "id": "t", "tool": "Bash", "f": {}}',  # no time
        b'{"ev": "post", "id": "t", "tool": "Bash", "at": "soon", "f": {}}',
        b'{"ev": "close", "ids": ["t"], "at": 1.0}',  # no key
        b'{"ev": "done", "ids": "t", "at": 1.0}',
        b'{"ev": "start", "at": 1.0}',
        b'{"at": 1.0}',
    ],
)
def test_what_is_not_a_session_line_is_unreadable_not_a_newer_format(line: bytes) -> None:
    with pytest.raises(UnreadableLine, match="not a session event") as raised:
        read_line(line)
    assert not isinstance(raised.value, NewerFormat)


def test_a_newer_version_is_told_apart_before_its_content_is_read() -> None:
    with pytest.raises(NewerFormat) as raised:
        read_line(b'{"v": 2, "ev": "pre", "id": "t", "tool": "Bash", "at": 1.0, "f": {}}')
    assert raised.value.version == FORMAT_VERSION + 1
