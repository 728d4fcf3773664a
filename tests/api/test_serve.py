"""`tooltrack serve` runs the API under uvicorn: a real server on a free port, on both databases."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
from sqlalchemy import Engine

from tests.helpers.sample_data import task_log


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_answers_over_http(engine: Engine, database_url: str) -> None:
    port = _free_port()
    env = dict(os.environ, TOOLTRACK_DATABASE_URL=database_url)
    env.pop("TOOLTRACK_API_TOKEN", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "tooltrack.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, server.stdout.read().decode() if server.stdout else ""
            assert time.monotonic() < deadline, "the server did not come up within 60 s"
            time.sleep(0.2)
        body = task_log().model_dump(mode="json")
        created = httpx.post(f"{base}/api/v1/observability/task-logs", json=body, timeout=10)
        assert created.status_code == 201
        again = httpx.post(f"{base}/api/v1/observability/task-logs", json=body, timeout=10)
        calls = len(body["tool_calls"])
        expected = {"id": created.json()["id"], "status": "exists", "tool_calls_stored": 0, "tool_calls_repeated": calls}
        assert again.json() == expected
        summary = httpx.get(f"{base}/api/v1/tool-analytics/summary", params={"days": 3650}, timeout=10).json()
        assert summary["total_tool_calls"] == len(body["tool_calls"])
    finally:
        server.terminate()
        server.wait(timeout=30)
        if server.stdout:
            server.stdout.close()
