"""The Alerts page shows what the service answers: counts per rule over all alerts, the newest listed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from tests.helpers.alert_cases import planted_log, real_calls, renamed
from tests.helpers.dashboard import OpenPage
from tooltrack.analytics import AnalyticsService, Filters
from tooltrack.store import TaskLogRepository, metadata

PLANNER = "real/case6-stream-json-adw/prior-auth-fastlane-sdlc_planner-v2.0.22.jsonl"
#: The page's label of each rule's count.
LABELS = {
    "loop": "Loops",
    "failure_spike": "Failure-rate spikes",
    "latency_regression": "Latency regressions",
    "new_error_kind": "New error kinds",
    "sensitive_path": "Sensitive paths",
}


def _plant(engine: Engine, fixtures_dir: Path) -> None:
    calls, _ = real_calls(engine, fixtures_dir / PLANNER)
    with engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(table.delete())
    read = next(c for c in calls if c["tool_name"] == "Read")
    bash = next(c for c in calls if c["tool_name"] == "Bash")
    now = datetime.now(UTC) - timedelta(minutes=5)
    logs = [planted_log(f"secret-{i}", [renamed(read, f"s{i}", file_path=f"/r{i}/.env")], now) for i in range(5)]
    failing = [renamed(bash, f"l{i}", success=False, exit_code=2, error_message="Exit code 2") for i in range(3)]
    logs.append(planted_log("loop", failing, now - timedelta(days=1)))
    TaskLogRepository(engine).create_many(logs)


def test_the_alerts_page_shows_the_services_counts_and_newest_alerts(
    app_env: Engine, open_page: OpenPage, fixtures_dir: Path
) -> None:
    _plant(app_env, fixtures_dir)
    expected = AnalyticsService(app_env).alerts(Filters(days=7), limit=200)
    at = open_page("alerts", {"days": "7"})
    assert not at.exception, [e.message for e in at.exception]
    shown = {m.label: m.value for m in at.metric}
    assert shown == {LABELS[c.rule]: f"{c.alerts:,}" for c in expected.by_rule}
    assert shown["Sensitive paths"] == "5" and shown["Loops"] == "1"
    table = at.dataframe[0].value
    assert list(table["What"]) == [a.summary for a in expected.alerts]
    assert len(table) == expected.total == 6
    assert set(table["Webhook"]) == {"not sent"}
    # One rule: the table narrows, the counts stay over every rule.
    at.selectbox(key="alerts_rule").set_value("loop").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["Rule"]) == ["Loops"] and "workflow?adw_id=loop" in table["Workflow"][0]
    assert {m.label: m.value for m in at.metric} == shown


def test_the_alerts_page_says_when_there_are_none(app_env: Engine, open_page: OpenPage, fixtures_dir: Path) -> None:
    real_calls(app_env, fixtures_dir / PLANNER)  # a clean real session: data, but no alert
    at = open_page("alerts", {"days": "all"})
    assert not at.exception, [e.message for e in at.exception]
    assert at.info[0].value.startswith("No alerts from")
    assert {m.value for m in at.metric} == {"0"}
