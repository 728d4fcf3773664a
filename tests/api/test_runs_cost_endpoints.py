"""The new read endpoints answer what the service answers, with the same filters."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from tests.helpers.known_data import known_logs
from tooltrack.analytics import AnalyticsService, Filters
from tooltrack.store import TaskLogRepository


def _store(engine: Engine) -> None:
    TaskLogRepository(engine).create_many(known_logs())


def test_runs_endpoint_pages_and_filters_as_the_service(client: Any, engine: Engine) -> None:
    _store(engine)
    service = AnalyticsService(engine)
    body = client.get("/api/v1/runs", params={"days": 40, "project": "alpha", "limit": 5, "sort": "calls"}).json()
    expected = service.runs(Filters(days=40, project="alpha"), limit=5, sort="calls")
    assert body["total"] == expected.total > 0
    assert [r["adw_id"] for r in body["runs"]] == [r.adw_id for r in expected.runs]
    assert client.get("/api/v1/runs/resolve", params={"prefix": "run-003"}).json() == ["run-003"]
    assert client.get("/api/v1/runs", params={"outcome": "nonsense"}).status_code == 422


def test_cost_mcp_and_repeated_work_endpoints(client: Any, engine: Engine) -> None:
    _store(engine)
    service = AnalyticsService(engine)
    filters = Filters(days=40, model="claude-sonnet-4-5-20250929")
    params = {"days": 40, "model": "claude-sonnet-4-5-20250929"}
    cost = client.get("/api/v1/tool-analytics/cost", params=params).json()
    assert cost["total_cost_usd"] == service.cost(filters).total_cost_usd > 0
    servers = client.get("/api/v1/tool-analytics/mcp-servers", params=params).json()
    assert [s["calls"] for s in servers["servers"]] == [s.calls for s in service.mcp_servers(filters).servers]
    repeated = client.get("/api/v1/tool-analytics/repeated-work", params={"days": 40}).json()
    assert repeated["redundant_calls"] == service.repeated_work(Filters(days=40)).redundant_calls
    failures = client.get("/api/v1/tool-analytics/failures", params={"days": 40, "contains": "exit", "sort": "tool"})
    assert failures.json()["total"] == service.failures(Filters(days=40), contains="exit").total
    assert client.get("/api/v1/tool-analytics/summary", params={"all_time": "true"}).status_code == 200
