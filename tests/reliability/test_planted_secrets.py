"""After ingesting files full of planted secrets, no stored row, rollup row or API answer holds one.

The secrets are the corpus's caught ones (secrets_corpus.jsonl), planted in a tooltrack JSONL file
and in a Claude Code stream-json file in every place a secret turns up in real logs: commands,
URLs, file paths, search patterns, tool errors, parameters of unknown tools, log messages.
"""

from __future__ import annotations

import io
import json
from typing import Any

import httpx
from sqlalchemy import Engine, inspect, select, table, text

from tests.helpers.corpus import CAUGHT
from tests.helpers.live_api import LiveAPI
from tooltrack.ingest import ingest_stream

SECRETS = [secret for case in CAUGHT for secret in case["secrets"]]
TEXTS = [case["text"] for case in CAUGHT]


def _tooltrack_file() -> bytes:
    lines = []
    for n, secret_text in enumerate(TEXTS):
        call: dict[str, Any] = {"duration_ms": 100 + n, "success": n % 2 == 0, "call_id": f"planted-{n}"}
        tool = ("Bash", "WebFetch", "Read", "Grep", "mcp__vault__get")[n % 5]
        field = {"Bash": "command", "WebFetch": "url", "Read": "file_path", "Grep": "pattern"}.get(tool)
        if field:
            call[field] = secret_text
        else:
            call["parameters"] = {"query": secret_text, "nested": {"list": [secret_text]}}
        if not call["success"]:
            call["error_message"] = f"failed: {secret_text}"
        lines.append({
            "adw_id": f"planted-{n % 3}",
            "workflow_template": "adw_sdlc",
            "phase_name": ("Plan", "Build", "Test")[n % 3],
            "phase_status": "completed" if n % 4 else "failed",
            "log_message": f"ran {secret_text}",
            "error_message": None if n % 4 else f"phase failed: {secret_text}",
            "started_at": f"2026-03-0{1 + n % 5}T10:00:00+00:00",
            "tool_calls": [{"tool_name": tool, **call}],
        })  # fmt: skip
    return b"\n".join(json.dumps(line).encode() for line in lines) + b"\n"


def _stream_json_file() -> bytes:
    session = "5e55e55e-0000-4000-8000-000000000001"
    lines: list[dict[str, Any]] = [{"type": "system", "subtype": "init", "session_id": session, "cwd": "/repo"}]
    for n, secret_text in enumerate(TEXTS):
        tool_id = f"toolu_planted_{n:03d}"
        name, tool_input = [
            ("Bash", {"command": secret_text, "description": "run"}),
            ("WebFetch", {"url": secret_text, "prompt": "read"}),
            ("Grep", {"pattern": secret_text, "path": "."}),
            ("mcp__vault__get", {"query": secret_text}),
        ][n % 4]
        use = {"type": "tool_use", "id": tool_id, "name": name, "input": tool_input}
        result = {"type": "tool_result", "tool_use_id": tool_id, "is_error": n % 3 == 0}
        result["content"] = f"Exit code 1\n{secret_text}"
        lines.append({"type": "assistant", "session_id": session, "message": {"id": f"msg_{n}", "content": [use]}})
        lines.append({"type": "user", "session_id": session, "message": {"role": "user", "content": [result]}})
    lines.append(
        {"type": "result", "subtype": "success", "session_id": session, "result": TEXTS[0], "total_cost_usd": 0.1}
    )
    return b"\n".join(json.dumps(line).encode() for line in lines) + b"\n"


def _leaks(blob: str) -> list[str]:
    return [secret for secret in SECRETS if secret in blob]


def test_no_planted_secret_is_stored_or_served(engine: Engine) -> None:
    jsonl = ingest_stream(engine, "planted.jsonl", io.BytesIO(_tooltrack_file()))
    stream = ingest_stream(
        engine, "raw_output.jsonl", io.BytesIO(_stream_json_file()), adw_id="planted-stream", phase="Build"
    )
    assert jsonl.ok and stream.ok, (jsonl, stream)
    assert jsonl.tool_calls_stored == len(TEXTS) and stream.tool_calls_stored == len(TEXTS)

    # Every table, rollups included, as text.
    dump: list[str] = []
    with engine.connect() as connection:
        for name in inspect(engine).get_table_names():
            rows = connection.execute(select(text("*")).select_from(table(name))).all()
            dump.extend(repr(tuple(row)) for row in rows)
    assert len(dump) > 2 * len(TEXTS) // 3
    assert _leaks("\n".join(dump)) == []

    # Every API answer about that data.
    adw_ids = ["planted-0", "planted-1", "planted-2", "planted-stream"]
    with LiveAPI(engine) as api, httpx.Client(base_url=api.url, timeout=60) as client:
        paths = [
            "/api/v1/tool-analytics/summary?days=3650",
            "/api/v1/tool-analytics/failures?days=3650&limit=1000",
            "/api/v1/tool-analytics/sequences?days=3650&min_count=1",
        ]
        for adw_id in adw_ids:
            paths += [f"/api/v1/observability/task-logs?adw_id={adw_id}", f"/api/v1/tool-analytics/redundancy/{adw_id}"]
        bodies = []
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, (path, response.text[:300])
            bodies.append(response.text)
        for log in client.get(f"/api/v1/observability/task-logs?adw_id={adw_ids[0]}").json()["task_logs"]:
            bodies.append(client.get(f"/api/v1/observability/task-logs/{log['id']}").text)
    served = "\n".join(bodies)
    assert "[REDACTED]" in served
    assert _leaks(served) == []
