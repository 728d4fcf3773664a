"""`tooltrack replay` against the real API: only accepted payloads leave the spool, nothing is stored twice."""

from __future__ import annotations

import json
import os
import subprocess

from sqlalchemy import Engine

from tests.helpers.live_api import LiveAPI, free_port
from tests.helpers.processes import PYTHON, subprocess_env
from tooltrack.capture.client import TaskLogClient
from tooltrack.capture.replay import replay_spool
from tooltrack.capture.spool import Spool
from tooltrack.store import TaskLogRepository


def _payload(n: int, **extra) -> dict:
    return {
        "adw_id": "adw-replay", "phase_name": f"P{n}", "phase_number": n, "phase_status": "completed",
        "log_key": f"tracker:replay-{n}",
        "tool_calls": [{"tool_name": "Bash", "duration_ms": 10 * n, "success": True, "command": f"step {n}"}],
        **extra,
    }  # fmt: skip


def _lines(spool: Spool) -> list[str]:
    return spool.path.read_text().splitlines() if spool.path.exists() else []


def _dead(spool: Spool) -> list[dict]:
    path = spool.dead_letter_path
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_replaying_twice_stores_once(spool: Spool, engine: Engine, api_client: TaskLogClient) -> None:
    for n in range(1, 6):
        spool.append(_payload(n))
    before = spool.path.read_bytes()
    first = replay_spool(spool, api_client)
    assert (first.created, first.duplicates, first.kept) == (5, 0, 0)
    assert _lines(spool) == []
    # As if a crash had left every line in place: the same lines again store nothing new.
    spool.path.write_bytes(before)
    second = replay_spool(spool, api_client)
    assert (second.created, second.duplicates) == (0, 5)
    logs = TaskLogRepository(engine).list_by_adw_id("adw-replay")
    assert [log.phase_name for log in logs] == [f"P{n}" for n in range(1, 6)]
    assert [log.tool_calls[0].duration_ms for log in logs] == [10, 20, 30, 40, 50]


def test_refused_payloads_go_to_the_dead_letter_file_with_the_reason(
    spool: Spool, engine: Engine, api_client: TaskLogClient
) -> None:
    spool.append(_payload(1))
    spool.append(_payload(2, tool_calls=[{"tool_name": "Read", "duration_ms": -4, "success": True}]))
    with spool.path.open("ab") as handle:
        handle.write(b'{"adw_id": "torn li\n')
    spool.append(_payload(3))
    report = replay_spool(spool, api_client)
    assert (report.created, report.rejected, report.kept) == (2, 2, 0)
    assert _lines(spool) == []
    invalid, torn = _dead(spool)
    assert invalid["status"] == 422 and "tool_calls[0].duration_ms" in invalid["reason"]
    assert invalid["payload"]["phase_name"] == "P2" and invalid["origin"].endswith("line 2")
    assert torn["line"] == '{"adw_id": "torn li\n' and "not a JSON payload" in torn["reason"]
    assert [log.phase_name for log in TaskLogRepository(engine).list_by_adw_id("adw-replay")] == ["P1", "P3"]


def test_with_the_api_down_everything_stays_and_a_leftover_inflight_file_is_sent_later(
    spool: Spool, engine: Engine
) -> None:
    for n in (1, 2):
        spool.append(_payload(n))
    # A replay that crashed mid-way left its in-flight file behind.
    leftover = spool.path.with_name(f"{spool.path.name}.inflight-1")
    leftover.write_text(json.dumps(_payload(3)) + "\n")

    down = TaskLogClient(f"http://127.0.0.1:{free_port()}", retries=0, timeout=1)
    report = replay_spool(spool, down)
    assert (report.sent, report.kept) == (0, 3)
    assert report.problems and "ConnectError" in report.problems[0]
    assert sorted(json.loads(line)["phase_name"] for line in _lines(spool)) == ["P1", "P2", "P3"]
    assert not leftover.exists()

    leftover.write_text(json.dumps(_payload(4)) + "\n")
    api = LiveAPI(engine)
    api.start()
    try:
        with TaskLogClient(api.url, retries=0) as client:
            report = replay_spool(spool, client)
    finally:
        api.stop()
    assert (report.created, report.kept) == (4, 0)
    assert _lines(spool) == [] and not leftover.exists()
    assert len(TaskLogRepository(engine).list_by_adw_id("adw-replay")) == 4


def test_the_replay_command(spool: Spool, engine: Engine, live_api: LiveAPI) -> None:
    spool.append(_payload(1))
    spool.append(_payload(2, phase_name=""))
    command = [PYTHON, "-m", "tooltrack.cli", "replay", str(spool.path), "--api-url", live_api.url]
    result = subprocess.run(command, capture_output=True, text=True, env=subprocess_env(), timeout=120)
    assert result.returncode == 0, result.stderr
    assert "sent 1 task logs (1 new, 0 stored before)" in result.stdout
    assert f"rejected 1: kept with the reason in {spool.dead_letter_path}" in result.stderr
    assert TaskLogRepository(engine).count() == 1

    spool.append(_payload(3))
    env = subprocess_env(TOOLTRACK_API_URL=f"http://127.0.0.1:{free_port()}")
    result = subprocess.run(command[:5], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 1  # something is left for the next replay
    assert "1 task logs stay in the spool" in result.stderr
    assert len(_lines(spool)) == 1


def test_the_api_token_is_sent(spool: Spool, engine: Engine, live_api: LiveAPI, monkeypatch) -> None:
    monkeypatch.setenv("TOOLTRACK_API_TOKEN", "t0ken")  # the API reads it on each request
    spool.append(_payload(1))
    with TaskLogClient(live_api.url, retries=0) as anonymous:
        refused = replay_spool(spool, anonymous)
    assert (refused.sent, refused.kept) == (0, 1) and "401" in refused.problems[0]
    with TaskLogClient.from_env(os.environ | {"TOOLTRACK_API_URL": live_api.url}, retries=0) as client:
        assert replay_spool(spool, client).created == 1
