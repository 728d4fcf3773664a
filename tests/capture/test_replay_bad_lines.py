"""No spool line stops replay: each bad one goes to the dead-letter file with its reason, the rest is sent.

Before: valid JSON holding NaN, Infinity, 1e400 or a lone surrogate escape made replay die with a
traceback and leave its in-flight file, which every later replay crashed on first; a line over the
API's body limit got 413 and stayed for ever, replay exiting 1 without saying why.
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from sqlalchemy import Engine

from tests.helpers.hook import run_hook
from tests.helpers.live_api import LiveAPI
from tests.helpers.processes import PYTHON, subprocess_env
from tooltrack.capture.client import TaskLogClient
from tooltrack.capture.replay import replay_spool
from tooltrack.capture.spool import Spool
from tooltrack.store import TaskLogRepository


def _payload(n: int, **extra: object) -> dict:
    return {
        "adw_id": "adw-odd", "phase_name": f"P{n}", "phase_number": n, "phase_status": "completed",
        "log_key": f"tracker:odd-{n}",
        "tool_calls": [{"tool_name": "Bash", "duration_ms": n, "success": True, "command": f"step {n}"}],
        **extra,
    }  # fmt: skip


def _line(n: int, odd_field: str, odd_json: str) -> bytes:
    """A payload line whose `odd_field` holds `odd_json` as written (json.dumps cannot write all of these)."""
    text = json.dumps(_payload(n, **{odd_field: "ODD"}))
    return text.replace('"ODD"', odd_json).encode() + b"\n"


def _dead(spool: Spool) -> list[dict]:
    path = spool.dead_letter_path
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _phases(engine: Engine) -> list[str]:
    return sorted(log.phase_name for log in TaskLogRepository(engine).list_by_adw_id("adw-odd"))


ODD = [
    ("cost_usd", "NaN", "NaN or Infinity"),
    ("duration_seconds", "Infinity", "NaN or Infinity"),
    ("cost_usd", "-Infinity", "NaN or Infinity"),
    ("cost_usd", "1e400", "NaN or Infinity"),
    ("log_message", '"bad \\udc80 byte"', "lone surrogate"),
]


def test_odd_json_lines_go_to_the_dead_letter_file_and_the_rest_is_sent(
    spool: Spool, engine: Engine, api_client: TaskLogClient
) -> None:
    spool.append(_payload(1))
    with spool.path.open("ab") as handle:
        for n, (field, value, _) in enumerate(ODD, start=2):
            handle.write(_line(n, field, value))
    spool.append(_payload(9))
    report = replay_spool(spool, api_client)
    assert (report.created, report.rejected, report.kept) == (2, len(ODD), 0)
    assert not spool.path.exists() or spool.path.read_text() == ""
    assert not list(spool.path.parent.glob("*.inflight-*"))
    dead = _dead(spool)
    assert [d["payload"]["phase_name"] for d in dead] == [f"P{n}" for n in range(2, 2 + len(ODD))]
    for record, (_field, _value, why) in zip(dead, ODD, strict=True):
        assert why in record["reason"] and "(payload)" in record["reason"], record["reason"]
    assert _phases(engine) == ["P1", "P9"]


def test_a_leftover_inflight_file_with_an_odd_line_no_longer_blocks_every_replay(
    spool: Spool, engine: Engine, api_client: TaskLogClient
) -> None:
    leftover = spool.path.with_name(f"{spool.path.name}.inflight-1")
    leftover.parent.mkdir(parents=True, exist_ok=True)
    leftover.write_bytes(_line(2, "cost_usd", "NaN") + json.dumps(_payload(3)).encode() + b"\n")
    spool.append(_payload(4))
    report = replay_spool(spool, api_client)
    assert (report.created, report.rejected, report.kept) == (2, 1, 0)
    assert not leftover.exists()
    assert _phases(engine) == ["P3", "P4"]


def test_a_line_larger_than_the_api_takes_is_dead_lettered_with_the_reason(spool: Spool, engine: Engine) -> None:
    spool.append(_payload(1))
    big = _payload(2)
    big["tool_calls"] = [{"tool_name": "Bash", "success": True, "command": "x" * 1000} for _ in range(40)]
    spool.append(big)
    spool.append(_payload(3))
    with LiveAPI(engine, max_body=20_000) as api, TaskLogClient(api.url, retries=0) as client:
        report = replay_spool(spool, client)
    assert (report.created, report.rejected, report.kept) == (2, 1, 0)
    (record,) = _dead(spool)
    assert record["status"] == 413 and "413" in record["reason"] and record["payload"]["phase_name"] == "P2"
    assert _phases(engine) == ["P1", "P3"]


def test_an_error_on_one_line_keeps_that_line_says_why_and_sends_the_others(spool: Spool) -> None:
    for n in (1, 2, 3):
        spool.append(_payload(n))
    seen: list[str] = []

    def api(request: httpx.Request) -> httpx.Response:
        phase = json.loads(request.content)["phase_name"]
        seen.append(phase)
        if phase == "P2":
            raise RuntimeError("a bug in some transport")
        return httpx.Response(201, json={"id": 1, "status": "created"})

    with TaskLogClient("http://api.test", transport=httpx.MockTransport(api), retries=0) as client:
        report = replay_spool(spool, client)
    assert seen == ["P1", "P2", "P3"]
    assert (report.created, report.kept) == (2, 1)
    assert any("RuntimeError: a bug in some transport" in problem for problem in report.problems)
    (kept,) = spool.path.read_text().splitlines()
    assert json.loads(kept)["phase_name"] == "P2"


class _Answers(BaseHTTPRequestHandler):
    """A server that is not the tooltrack API: every POST gets 405."""

    def do_POST(self) -> None:  # the name http.server calls
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self.send_response(405)
        self.send_header("content-length", "18")
        self.end_headers()
        self.wfile.write(b"method not allowed")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def wrong_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answers)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_replay_command_says_why_lines_stay(spool: Spool, wrong_server: str) -> None:
    spool.append(_payload(1))
    spool.append(_payload(2))
    command = [PYTHON, "-m", "tooltrack.cli", "replay", str(spool.path), "--api-url", wrong_server]
    result = subprocess.run(command, capture_output=True, text=True, env=subprocess_env(), timeout=120)
    assert result.returncode == 1
    assert "HTTP 405" in result.stderr and "2 task logs stay in the spool" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(spool.path.read_text().splitlines()) == 2


def test_a_hook_event_whose_tool_use_id_is_an_array_costs_nothing(
    spool: Spool, engine: Engine, api_client: TaskLogClient
) -> None:
    session = "odd-ids"
    for call_id in (["a", "b"], "plain"):
        for event in ("PreToolUse", "PostToolUse"):
            run_hook({"session_id": session, "hook_event_name": event, "tool_name": "Bash", "tool_use_id": call_id,
                      "tool_input": {"command": "ls"}})  # fmt: skip
        run_hook({"session_id": session, "hook_event_name": "Stop"})
    report = replay_spool(spool, api_client)
    assert (report.created, report.rejected, report.kept) == (2, 0, 0)
    stored = [call.call_id for log in TaskLogRepository(engine).list_by_adw_id(session) for call in log.tool_calls]
    assert sorted(stored) == ["['a', 'b']", "plain"]
