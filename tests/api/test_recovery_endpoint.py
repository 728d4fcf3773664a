"""GET /api/v1/tool-analytics/recovery answers what the service answers, with the same filters and tokens."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from tests.helpers.known_data import known_logs
from tooltrack.analytics import AnalyticsService, Filters
from tooltrack.store import TaskLogRepository


def test_recovery_endpoint_matches_the_service(client: Any, engine: Engine) -> None:
    TaskLogRepository(engine).create_many(known_logs())
    service = AnalyticsService(engine)
    body = client.get("/api/v1/tool-analytics/recovery", params={"days": 40}).json()
    expected = service.recovery(Filters(days=40))
    assert body["overall"]["failures"] == expected.overall.failures == service.failures(Filters(days=40)).total > 0
    assert body["overall"]["outcomes"] == expected.overall.outcomes
    assert [(g["tool_name"], g["error_kind"], g["failures"]) for g in body["groups"]] == [
        (g.tool_name, g.error_kind, g.failures) for g in expected.groups
    ]
    narrowed = client.get("/api/v1/tool-analytics/recovery", params={"days": 40, "tool": "Bash"}).json()
    assert narrowed["overall"]["failures"] == service.recovery(Filters(days=40, tool="Bash")).overall.failures
    assert {g["tool_name"] for g in narrowed["groups"]} == {"Bash"}
    assert client.get("/api/v1/tool-analytics/recovery", params={"days": 0}).status_code == 422


def test_recovery_needs_the_read_token(make_client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOOLTRACK_API_READ_TOKEN", "r-token")
    client = make_client()
    assert client.get("/api/v1/tool-analytics/recovery").status_code == 401
    ok = client.get("/api/v1/tool-analytics/recovery", headers={"Authorization": "Bearer r-token"})
    assert ok.status_code == 200
