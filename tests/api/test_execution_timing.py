"""`timing=exec` on the analytics endpoints: the service's execution-only figures over HTTP, both databases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from tests.helpers.timing_sessions import store_real_sessions
from tooltrack.analytics import AnalyticsService, Filters


def test_the_api_takes_the_timing(client: Any, engine: Engine, fixtures_dir: Path) -> None:
    store_real_sessions(engine, fixtures_dir)
    service = AnalyticsService(engine)
    for timing in ("all", "exec"):
        got = client.get("/api/v1/tool-analytics/summary", params={"all_time": "true", "timing": timing})
        assert got.status_code == 200, got.text
        want = service.summary(Filters(all_time=True, timing=timing))
        assert got.json()["by_tool"] == want.model_dump(mode="json")["by_tool"], timing
    assert client.get("/api/v1/tool-analytics/summary", params={"timing": "idle"}).status_code == 422
