"""One out-of-range number costs nothing, or at worst its own call, never the calls beside it.

Before: an MCP tool input holding 12345678901234567890 made the session's whole task log a 422 at
replay, and the whole batch went to the dead-letter file.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine, text

from tests.helpers.hook import run_hook
from tooltrack import ToolCallTracker
from tooltrack.capture.client import TaskLogClient
from tooltrack.capture.files import append_line
from tooltrack.capture.hook_sessions import close_session
from tooltrack.capture.replay import replay_spool
from tooltrack.capture.session_format import post_line, pre_line, session_file
from tooltrack.capture.spool import Spool
from tooltrack.models import TaskLogCreate
from tooltrack.store import TaskLogRepository

BIG = 12345678901234567890  # beyond 64 bits


def _spooled(spool: Spool) -> list[dict]:
    return [json.loads(line) for line in spool.path.read_text().splitlines()] if spool.path.exists() else []


def _dead(spool: Spool) -> list[dict]:
    path = spool.dead_letter_path
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _calls(engine: Engine, adw_id: str) -> dict[str, dict]:
    logs = TaskLogRepository(engine).list_by_adw_id(adw_id)
    return {call.call_id: call.model_dump(exclude_none=True) for log in logs for call in log.tool_calls}


def test_the_hook_keeps_out_of_range_numbers_and_the_session(
    spool: Spool, engine: Engine, api_client: TaskLogClient
) -> None:
    raw_input = b'{"row_id": %d, "ratio": 1e400, "limit": NaN, "nested": [{"n": -%d}], "small": 7}' % (BIG, BIG)
    events = [
        {"tool_name": "Read", "tool_use_id": "before", "tool_input": {"file_path": "a.py"}},
        {"tool_name": "mcp__db__fetch", "tool_use_id": "big", "tool_input": "RAW"},
        {"tool_name": "Read", "tool_use_id": "after", "tool_input": {"file_path": "b.py", "offset": BIG}},
    ]
    for event in events:
        for name in ("PreToolUse", "PostToolUse"):
            body = json.dumps({"session_id": "s-big", "hook_event_name": name, **event}).encode()
            run_hook(body.replace(b'"RAW"', raw_input))
    run_hook(  # a duration far beyond the model's bound is left out, not a reason to refuse the log
        {"session_id": "s-big", "hook_event_name": "PostToolUse", "tool_name": "Glob", "tool_use_id": "slow",
         "tool_input": {"pattern": "*"}, "duration_ms": 1e30}
    )  # fmt: skip
    run_hook({"session_id": "s-big", "hook_event_name": "Stop"})
    (payload,) = _spooled(spool)
    TaskLogCreate.model_validate(payload)  # the whole log is storable
    report = replay_spool(spool, api_client)
    assert (report.created, report.rejected) == (1, 0)
    stored = _stored_rows(engine, "s-big")  # as stored (see the PostgreSQL read defect below)
    assert set(stored) == {"before", "big", "after", "slow"}
    # As the shared mapping keeps them (tooltrack/core/claude_tools.py, the same for ingest): an
    # integer beyond 64 bits as the float orjson reads it as, NaN and Infinity as text.
    big = stored["big"]["parameters"]
    assert float(big["row_id"]) == float(BIG) and float(big["nested"][0]["n"]) == -float(BIG)
    assert (big["ratio"], big["limit"], big["small"]) == ("inf", "nan", 7)
    assert "offset" not in stored["after"] and stored["after"]["file_path"] == "b.py"
    assert "duration_ms" not in stored["slow"]


def _stored_rows(engine: Engine, adw_id: str) -> dict[str, dict]:
    """The stored calls of `adw_id` read as plain JSON, without the read models."""
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT tool_calls FROM task_logs WHERE adw_id = :a"), {"a": adw_id})
        logs = [value if isinstance(value, list) else json.loads(value) for (value,) in rows]
    return {call["call_id"]: call for calls in logs for call in calls}


def test_a_float_beyond_64_bits_in_parameters_reads_back(
    engine: Engine, api_client: TaskLogClient, request: pytest.FixtureRequest
) -> None:
    # Found while testing the above (not a capture defect: the store's read path, and the model).
    # PostgreSQL's jsonb keeps 1.2345678901234567e19 as the numeric 12345678901234567000, which
    # reads back as an integer beyond 64 bits: the read model refuses it, so every read of the run
    # answers 500 (GET .../task-logs/{id}, ?adw_id=), though the write was accepted (201).
    if engine.dialect.name == "postgresql":
        request.applymarker(pytest.mark.xfail(strict=True, reason="jsonb reads a float >= 2**63 back as an int"))
    payload = _line_with([_plain("f", parameters={"n": float(BIG)})], key="hook:float-read")
    assert api_client.post(payload).status == "created"
    (log,) = TaskLogRepository(engine).list_by_adw_id("adw-split")
    assert log.tool_calls[0].parameters == {"n": float(BIG)}


def test_a_session_line_written_before_the_fix_closes_into_a_storable_log(spool: Spool) -> None:
    path = session_file(spool, "s-old")
    for call_id, fields in (("x", {"parameters": {"id": BIG, "f": float("inf")}}), ("y", {"offset": BIG})):
        append_line(path, pre_line(session_id="s-old", call_id=call_id, tool="mcp__t", at=10.0, fields=fields, meta={}))
        append_line(path, post_line(session_id="s-old", call_id=call_id, tool="mcp__t", at=11.0, ok=True, error=None,
                                    outcome=None, duration_ms=2**70, fields=fields, meta={}))  # fmt: skip
    (payload,) = close_session(spool, path, reason="Stop", session_id="s-old")
    log = TaskLogCreate.model_validate(payload)
    x, y = sorted(log.tool_calls, key=lambda c: c.call_id or "")
    assert x.parameters is not None and x.parameters["id"] == float(BIG) and x.parameters["f"] == "inf"
    assert y.offset is None and y.parameters == {"invalid_fields": {"offset": str(BIG), "duration_ms": str(2**70)}}


def _line_with(calls: list[dict], key: str = "hook:old-batch") -> dict:
    return {"adw_id": "adw-split", "phase_name": "session", "phase_status": "completed", "log_key": key,
            "source": "hook", "tool_calls": calls}  # fmt: skip


def _plain(call_id: str, **extra: object) -> dict:
    return {"tool_name": "Read", "call_id": call_id, "success": True, "file_path": f"{call_id}.py", **extra}


def test_a_refused_call_costs_only_itself_at_replay(spool: Spool, engine: Engine, api_client: TaskLogClient) -> None:
    # A spool line as an older hook wrote it: one call the API refuses (422 naming tool_calls[1]),
    # one that cannot even be sent as JSON (NaN: caught before posting), and their neighbours.
    calls = [_plain("c0"), _plain("c1", parameters={"id": BIG}), _plain("c2"), _plain("c3", parameters={"v": "NaN"})]
    line = json.dumps(_line_with(calls)).replace('"NaN"', "NaN")
    spool.path.parent.mkdir(parents=True, exist_ok=True)
    spool.path.write_text(line + "\n")
    before = spool.path.read_bytes()
    report = replay_spool(spool, api_client)
    assert (report.created, report.rejected, report.kept, report.calls_set_aside) == (1, 0, 0, 2)
    assert set(_calls(engine, "adw-split")) == {"c0", "c2"}
    dead = _dead(spool)
    assert sorted(c["call_id"] for record in dead for c in record["payload"]["tool_calls"]) == ["c1", "c3"]
    for record in dead:
        assert record["payload"]["log_key"].startswith("hook:old-batch:refused-")
        assert "tool_calls[" in record["reason"] and "sent without them" in record["reason"]
    assert any(record.get("status") == 422 and "beyond 64 bits" in record["reason"] for record in dead)
    # The same line again (a replay that crashed before removing it): nothing stored twice, the same
    # refused parts (same keys: ingesting the dead-letter file after fixing them stores each once).
    spool.path.write_bytes(before)
    again = replay_spool(spool, api_client)
    assert (again.created, again.duplicates) == (0, 1)
    assert len(TaskLogRepository(engine).list_by_adw_id("adw-split")) == 1
    assert {r["payload"]["log_key"] for r in _dead(spool)} == {r["payload"]["log_key"] for r in dead}


def test_a_log_whose_every_call_is_refused_is_dead_lettered_whole(spool: Spool, api_client: TaskLogClient) -> None:
    spool.append(_line_with([_plain("only", parameters={"id": BIG})], key="hook:all-bad"))
    report = replay_spool(spool, api_client)
    assert (report.created, report.rejected, report.calls_set_aside) == (0, 1, 0)
    (record,) = _dead(spool)
    assert record["payload"]["log_key"] == "hook:all-bad"


def test_the_tracker_keeps_an_out_of_range_parameter_as_text_and_the_rest_of_the_call() -> None:
    tracker = ToolCallTracker()
    tracker.record_tool_call("mcp__db__fetch", 12, True, file_path="db.sqlite", row_id=BIG, ratio=float("nan"))
    (call,) = tracker.get_tool_calls()
    assert call["file_path"] == "db.sqlite" and call["duration_ms"] == 12
    assert call["parameters"] == {"row_id": str(BIG), "ratio": "nan"}


def test_splitting_stops_after_a_few_rounds_with_nothing_set_aside_unsent(spool: Spool) -> None:
    import httpx

    sent: list[list[str]] = []
    set_aside: list[list[str]] = []

    def api(request: httpx.Request) -> httpx.Response:  # refuses the first call of whatever it is sent
        calls = json.loads(request.content)["tool_calls"]
        sent.append([c["call_id"] for c in calls])
        detail = [{"field": "tool_calls[0].parameters", "message": "cannot be stored"}]
        return httpx.Response(422, json={"detail": detail, "message": "tool_calls[0].parameters: cannot be stored"})

    with TaskLogClient("http://api.test", transport=httpx.MockTransport(api), retries=0) as client:
        result = client.post(
            _line_with([_plain(f"c{n}") for n in range(8)]),
            set_aside=lambda part, reason, status: set_aside.append([c["call_id"] for c in part["tool_calls"]]),
        )
    assert result.status == "rejected" and result.sent is not None
    # Every call set aside was named by an answer, and what is left is exactly what the last answer was about.
    assert set_aside == [["c0"], ["c1"], ["c2"]]
    assert [c["call_id"] for c in result.sent["tool_calls"]] == sent[-1] == [f"c{n}" for n in range(3, 8)]
