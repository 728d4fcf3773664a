"""GET /api/v1/alerts answers what the service answers, with the same filters; both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, get_args

from sqlalchemy import Engine

from tests.helpers.alert_cases import planted_log, real_calls, renamed
from tooltrack.analytics import AnalyticsService, Filters
from tooltrack.api.routes.alerts import Rule
from tooltrack.core import ALERT_RULES
from tooltrack.store import TaskLogRepository, metadata

PLANNER = "real/case6-stream-json-adw/prior-auth-fastlane-sdlc_planner-v2.0.22.jsonl"


def _plant(engine: Engine, fixtures_dir: Path) -> None:
    calls, _ = real_calls(engine, fixtures_dir / PLANNER)
    with engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(table.delete())
    read = next(c for c in calls if c["tool_name"] == "Read")
    bash = next(c for c in calls if c["tool_name"] == "Bash")
    now = datetime.now(UTC)
    logs = [planted_log(f"secret-{i}", [renamed(read, f"s{i}", file_path=f"/r{i}/.env")], now) for i in range(3)]
    failing = [renamed(bash, f"l{i}", success=False, exit_code=2, error_message="Exit code 2") for i in range(4)]
    logs.append(planted_log("loop", failing, now - timedelta(days=2)))
    TaskLogRepository(engine).create_many(logs)


def test_the_alerts_endpoint_answers_as_the_service(client: Any, engine: Engine, fixtures_dir: Path) -> None:
    _plant(engine, fixtures_dir)
    service = AnalyticsService(engine)
    body = client.get("/api/v1/alerts", params={"days": 7, "limit": 2}).json()
    expected = service.alerts(Filters(days=7), limit=2)
    assert body["total"] == expected.total == 4
    assert {c["rule"]: c["alerts"] for c in body["by_rule"]} == {c.rule: c.alerts for c in expected.by_rule}
    assert [a["alert_key"] for a in body["alerts"]] == [a.alert_key for a in expected.alerts]
    assert len(body["alerts"]) == 2
    loops = client.get("/api/v1/alerts", params={"days": 7, "rule": "loop"}).json()
    assert [a["adw_id"] for a in loops["alerts"]] == ["loop"] and loops["alerts"][0]["details"]["repeats"] == 4
    assert client.get("/api/v1/alerts", params={"days": 1, "rule": "loop"}).json()["total"] == 0
    assert client.get("/api/v1/alerts", params={"rule": "nonsense"}).status_code == 422


def test_the_endpoint_knows_every_rule() -> None:
    assert get_args(Rule) == ALERT_RULES
