"""GET /api/v1/stream/tool-calls against a real uvicorn server: calls posted while connected arrive,
a reconnect with Last-Event-ID gets exactly the ones it missed, the reads' filters and tokens apply."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from tests.helpers.live_api import LiveAPI
from tests.helpers.sse import Event, events, take

STREAM = "/api/v1/stream/tool-calls"
POST = "/api/v1/observability/task-logs"
NOW = datetime.now(UTC).replace(microsecond=0)
TIMEOUT = httpx.Timeout(30.0)


def _payload(name: str, tools: list[str], phase: str = "build") -> dict[str, Any]:
    return {
        "adw_id": f"stream-{name}",
        "phase_name": phase,
        "phase_status": "completed",
        "started_at": (NOW - timedelta(seconds=30)).isoformat(),
        "tool_calls": [
            {"tool_name": tool, "success": tool != "Bash", "call_id": f"{name}-{i}", "duration_ms": 10 + i}
            for i, tool in enumerate(tools)
        ],
    }


def _opened(stream: Any) -> Any:
    """The events of a response once its opening comment arrived (the feed's cursor is set)."""
    assert stream.status_code == 200, stream.read()
    assert stream.headers["content-type"].startswith("text/event-stream")
    found = events(stream.iter_lines())
    first = next(found)
    assert first.comment and first.comment[0].startswith("after ")
    return found


def _names(found: list[Event]) -> list[tuple[str, str]]:
    return [(e.json()["adw_id"], e.json()["tool_name"]) for e in found]


def test_calls_posted_while_connected_arrive_and_a_reconnect_gets_exactly_the_missed(live_api: LiveAPI) -> None:
    with httpx.Client(base_url=live_api.url, timeout=TIMEOUT) as client:
        client.post(POST, json=_payload("before", ["Read"])).raise_for_status()
        with client.stream("GET", STREAM, params={"interval": 0.1}) as stream:
            found = _opened(stream)
            client.post(POST, json=_payload("a", ["Read", "Bash"])).raise_for_status()
            client.post(POST, json=_payload("b", ["Edit"])).raise_for_status()
            got = take(found, 3)
        assert _names(got) == [("stream-a", "Read"), ("stream-a", "Bash"), ("stream-b", "Edit")]
        assert [e.id for e in got] == [e.json()["cursor"] for e in got]
        assert got[1].json()["failed"] is True and got[1].json()["duration_ms"] == 11
        # Disconnected after the first event of "a": the rest of "a", "b", and what came since.
        client.post(POST, json=_payload("c", ["Grep", "Glob"])).raise_for_status()
        headers = {"Last-Event-ID": str(got[0].id)}
        with client.stream("GET", STREAM, params={"interval": 0.1}, headers=headers) as stream:
            found = _opened(stream)
            client.post(POST, json=_payload("d", ["Write"])).raise_for_status()
            resumed = take(found, 5)
        missed = [("stream-a", "Bash"), ("stream-b", "Edit"), ("stream-c", "Grep"), ("stream-c", "Glob")]
        assert _names(resumed) == [*missed, ("stream-d", "Write")]
        # The same with ?after= (for clients that cannot set the header).
        with client.stream("GET", STREAM, params={"after": resumed[-2].id, "interval": 0.1}) as stream:
            assert _names(take(_opened(stream), 1)) == [("stream-d", "Write")]


def test_the_stream_takes_the_reads_filters(live_api: LiveAPI) -> None:
    with httpx.Client(base_url=live_api.url, timeout=TIMEOUT) as client:
        params: dict[str, str | float] = {"tool": "Bash", "phase": "test", "interval": 0.1}
        with client.stream("GET", STREAM, params=params) as stream:
            found = _opened(stream)
            client.post(POST, json=_payload("x", ["Bash", "Read"], phase="build")).raise_for_status()
            client.post(POST, json=_payload("y", ["Read", "Bash"], phase="test")).raise_for_status()
            assert _names(take(found, 1)) == [("stream-y", "Bash")]
        assert client.get(STREAM, params={"days": 0}).status_code == 422
        bad = client.get(STREAM, headers={"Last-Event-ID": "nonsense"})
        assert bad.status_code == 422 and "cursor" in bad.text


def test_the_stream_needs_the_read_token(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOOLTRACK_API_READ_TOKEN", "read-secret")
    with LiveAPI(engine) as api, httpx.Client(base_url=api.url, timeout=TIMEOUT) as client:
        assert client.get(STREAM).status_code == 401
        headers = {"Authorization": "Bearer read-secret"}
        with client.stream("GET", STREAM, headers=headers) as stream:
            _opened(stream)
