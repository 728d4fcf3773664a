"""`GET /latency-over-time`: the service's p50/p95 per day and tool over HTTP, on both databases."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from tests.helpers.known_data import known_logs
from tooltrack.analytics import AnalyticsService, Filters

BASE = "/api/v1/tool-analytics"


def test_latency_over_time_is_the_service_answer(client: Any, engine: Engine) -> None:
    for log in known_logs(seed=5, runs=8):
        response = client.post("/api/v1/observability/task-logs", json=log.model_dump(mode="json"))
        assert response.status_code == 201, response.text
    service = AnalyticsService(engine)
    for params in ({"days": 3650}, {"days": 3650, "tool": "Bash"}):
        got = client.get(f"{BASE}/latency-over-time", params=params).json()
        want = [p.model_dump(mode="json") for p in service.latency_over_time(Filters(**params))]
        assert got == want and got, params
        assert all(p["p95_duration_ms"] <= p["max_duration_ms"] for p in got)
    assert client.get(f"{BASE}/latency-over-time", params={"days": 0}).status_code == 422
    assert client.get(f"{BASE}/latency-over-time", params={"tool": "a\x00b"}).status_code == 422
