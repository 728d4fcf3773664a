"""The probe's secrets, planted through every write route, are in no table and no API answer.

Routes: the REST API (`POST /api/v1/observability/task-logs`), `tooltrack.ingest.ingest_file` on a
tooltrack JSONL file and on a Claude Code stream-json file; on SQLite and PostgreSQL. Each form of
`test_redaction_forms.PROBE` goes into every text a task log keeps (log and error messages,
commands, URLs, file paths, search patterns, tool errors, parameters of unknown tools). Failing
calls carry their text in `error_message`, which the rollups copy to `derived_failed_calls`: the
dump of every table shows that the copy is taken after redaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio.from_thread
import pytest
from sqlalchemy import Engine, inspect, select, table, text

from tests.helpers.api_client import AppClient
from tests.helpers.redaction_probe import PROBE
from tooltrack.api import create_app
from tooltrack.api.deps import get_engine
from tooltrack.core import MARKER
from tooltrack.ingest import ingest_file
from tooltrack.store.schema import failed_calls

URL = "/api/v1/observability/task-logs"
TEXTS = [case["text"] for case in PROBE]
SECRETS = [secret for case in PROBE for secret in case["secrets"]]
TOOLS = ("Bash", "WebFetch", "Read", "Grep", "mcp__vault__get")
FIELD_OF = {"Bash": "command", "WebFetch": "url", "Read": "file_path", "Grep": "pattern"}


def _call(n: int, secret_text: str) -> dict[str, Any]:
    """A failing call (so the rollups keep its error) carrying `secret_text` in its tool's field."""
    tool = TOOLS[n % len(TOOLS)]
    call: dict[str, Any] = {"tool_name": tool, "duration_ms": 100 + n, "success": False, "call_id": f"planted-{n}"}
    if tool in FIELD_OF:
        call[FIELD_OF[tool]] = secret_text
    else:
        call["parameters"] = {"query": secret_text, "nested": {"list": [secret_text]}}
    call["error_message"] = f"failed: {secret_text}"
    return call


def _log(n: int, secret_text: str, adw_id: str) -> dict[str, Any]:
    return {
        "adw_id": adw_id,
        "workflow_template": "adw_sdlc",
        "phase_name": ("Plan", "Build", "Test")[n % 3],
        "phase_number": n,
        "phase_status": "failed",
        "log_message": f"ran {secret_text}",
        "error_message": f"phase failed: {secret_text}",
        "started_at": f"2026-03-0{1 + n % 5}T10:00:00+00:00",
        "tool_calls": [_call(n, secret_text), {"tool_name": "Bash", "success": True, "command": secret_text}],
    }


def _stream_json(session: str) -> bytes:
    lines: list[dict[str, Any]] = [{"type": "system", "subtype": "init", "session_id": session, "cwd": "/repo"}]
    for n, secret_text in enumerate(TEXTS):
        tool_id = f"toolu_probe_{n:03d}"
        name, tool_input = [
            ("Bash", {"command": secret_text, "description": "run"}),
            ("WebFetch", {"url": secret_text, "prompt": "read"}),
            ("Grep", {"pattern": secret_text, "path": "."}),
            ("mcp__vault__get", {"query": secret_text}),
        ][n % 4]
        use = {"type": "tool_use", "id": tool_id, "name": name, "input": tool_input}
        result = {
            "type": "tool_result",
            "tool_use_id": tool_id,
            "is_error": True,
            "content": f"Exit code 1\n{secret_text}",
        }
        lines.append({"type": "assistant", "session_id": session, "message": {"id": f"msg_{n}", "content": [use]}})
        lines.append({"type": "user", "session_id": session, "message": {"role": "user", "content": [result]}})
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


@pytest.fixture
def api(engine: Engine) -> Iterator[AppClient]:
    with anyio.from_thread.start_blocking_portal() as portal:
        app = create_app()
        app.dependency_overrides[get_engine] = lambda: engine
        client = AppClient(app, portal)
        yield client
        client.close()


def _every_table(engine: Engine) -> str:
    dump: list[str] = []
    with engine.connect() as connection:
        for name in inspect(engine).get_table_names():
            dump.extend(repr(tuple(row)) for row in connection.execute(select(text("*")).select_from(table(name))))
    return "\n".join(dump)


def _leaks(blob: str) -> list[str]:
    return [secret for secret in SECRETS if secret in blob]


def _served(api: AppClient, adw_ids: list[str]) -> str:
    bodies = []
    paths = ["/api/v1/tool-analytics/failures?days=3650&limit=1000", "/api/v1/tool-analytics/summary?days=3650"]
    for adw_id in adw_ids:
        paths += [f"{URL}?adw_id={adw_id}", f"/api/v1/tool-analytics/drilldown/{adw_id}"]
    for path in paths:
        response = api.get(path)
        assert response.status_code == 200, (path, response.text[:300])
        bodies.append(response.text)
    for adw_id in adw_ids:
        for log in api.get(URL, params={"adw_id": adw_id}).json()["task_logs"]:
            one = api.get(f"{URL}/{log['id']}")
            assert one.status_code == 200
            bodies.append(one.text)
    return "\n".join(bodies)


def test_the_api_route(engine: Engine, api: AppClient) -> None:
    for n, secret_text in enumerate(TEXTS):
        response = api.post(URL, json=_log(n, secret_text, f"probe-api-{n % 3}"))
        assert response.status_code == 201, response.text[:300]
    stored = _every_table(engine)
    assert stored.count(MARKER) >= len(TEXTS)
    assert _leaks(stored) == []
    served = _served(api, [f"probe-api-{i}" for i in range(3)])
    assert MARKER in served and _leaks(served) == []


def test_the_ingest_route_tooltrack_jsonl(engine: Engine, api: AppClient, tmp_path: Path) -> None:
    path = tmp_path / "probe.jsonl"
    path.write_text("".join(json.dumps(_log(n, t, f"probe-file-{n % 3}")) + "\n" for n, t in enumerate(TEXTS)))
    report = ingest_file(engine, path)
    assert report.ok and report.task_logs_stored == len(TEXTS), report
    assert _leaks(_every_table(engine)) == []
    assert _leaks(_served(api, [f"probe-file-{i}" for i in range(3)])) == []


def test_the_ingest_route_claude_stream_json(engine: Engine, api: AppClient, tmp_path: Path) -> None:
    path = tmp_path / "raw_output.jsonl"
    path.write_bytes(_stream_json("5e55e55e-0000-4000-8000-0000000000f0"))
    report = ingest_file(engine, path, adw_id="probe-stream", phase="Build")
    assert report.ok and report.tool_calls_stored == len(TEXTS), report
    assert _leaks(_every_table(engine)) == []
    assert _leaks(_served(api, ["probe-stream"])) == []


def test_failed_calls_rollup_copies_redacted_messages(engine: Engine, api: AppClient) -> None:
    for n, secret_text in enumerate(TEXTS):
        assert api.post(URL, json=_log(n, secret_text, "probe-rollup")).status_code == 201
    with engine.connect() as connection:
        messages = [message for (message,) in connection.execute(select(failed_calls.c.error_message))]
    assert len(messages) == len(TEXTS)
    assert all(message and message.startswith("failed: ") for message in messages)
    assert _leaks("\n".join(messages)) == []
    assert sum(MARKER in message for message in messages) == len(TEXTS)
