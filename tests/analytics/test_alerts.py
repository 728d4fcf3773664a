"""The baseline alert rules (failure-rate spike, latency regression), `scan`, and the alerts as
the service lists them, on both databases.

The days are planted from real calls (a real ADW planner's Bash and Read calls, their failures),
so the rules read rollups made from real shapes; a steady history stays silent.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from tests.helpers.alert_cases import alert_rows, planted_log, real_calls, renamed
from tooltrack.analytics import AnalyticsService, Filters, scan
from tooltrack.core import ALERT_RULES, FAILURE_SPIKE, LATENCY_REGRESSION, LOOP, SENSITIVE_PATH
from tooltrack.store import TaskLogRepository, alerts, metadata

PLANNER = "real/case6-stream-json-adw/prior-auth-fastlane-sdlc_planner-v2.0.22.jsonl"
DAY0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
DAYS = 15
NOW = DAY0 + timedelta(days=DAYS, hours=12)


def _shapes(engine: Engine, fixtures_dir: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    calls, _ = real_calls(engine, fixtures_dir / PLANNER)
    bash = next(c for c in calls if c["tool_name"] == "Bash" and c["success"])
    read = next(c for c in calls if c["tool_name"] == "Read" and c["success"])
    return bash, read


def _day(day: int, bash: dict[str, Any], read: dict[str, Any], *, failures: int, bash_ms: int) -> list[Any]:
    """One day's work: 30 Bash calls (`failures` of them failing), 30 Reads, in 3 logs."""
    logs = []
    for part in range(3):
        calls = []
        for i in range(10):
            n = part * 10 + i
            failed = n < failures
            calls.append(
                renamed(
                    bash,
                    f"d{day}-b{n}",
                    success=not failed,
                    exit_code=1 if failed else 0,
                    error_message="Exit code 1\nnpm ERR! test failed" if failed else None,
                    duration_ms=bash_ms + 7 * n,
                    command=f"npm test -- shard {n % 4}",
                )
            )
            calls.append(renamed(read, f"d{day}-r{n}", duration_ms=40 + n, file_path=f"/repo/src/m{n}.ts"))
        calls = [{k: v for k, v in c.items() if v is not None} for c in calls]
        logs.append(planted_log(f"day{day}-{part}", calls, DAY0 + timedelta(days=day, minutes=20 * part)))
    return logs


def _plant(engine: Engine, fixtures_dir: Path, last_day: dict[str, int]) -> tuple[dict[str, Any], dict[str, Any]]:
    bash, read = _shapes(engine, fixtures_dir)
    # The ingested session is not part of the planted history: only its call shapes are.
    with engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(table.delete())
    repository = TaskLogRepository(engine)
    # A steady history: 1 or 2 failures in 30 (3-7 %), Bash about 1.2 s.
    for day in range(DAYS - 1):
        repository.create_many(_day(day, bash, read, failures=1 + day % 2, bash_ms=1200 + 30 * (day % 3)))
    repository.create_many(_day(DAYS - 1, bash, read, **last_day))
    return bash, read


def test_a_steady_history_raises_no_baseline_alert(engine: Engine, fixtures_dir: Path) -> None:
    _plant(engine, fixtures_dir, {"failures": 2, "bash_ms": 1230})
    report = scan(engine, now=NOW)
    assert report.found[FAILURE_SPIKE] == 0 and report.found[LATENCY_REGRESSION] == 0
    assert alert_rows(engine) == []


def test_a_day_failing_far_above_its_baseline_is_a_spike(engine: Engine, fixtures_dir: Path) -> None:
    _plant(engine, fixtures_dir, {"failures": 12, "bash_ms": 1230})
    report = scan(engine, now=NOW)
    [alert] = alert_rows(engine, FAILURE_SPIKE)
    assert (alert.subject, alert.tool_name, alert.day) == ("Bash", "Bash", (DAY0 + timedelta(days=DAYS - 1)).date())
    assert alert.details["failures"] == 12 and alert.details["calls"] == 30
    assert alert.details["failure_rate"] == pytest.approx(12 / 30)
    # Median of 14 days alternating 1/30 and 2/30.
    assert alert.details["baseline_median"] == pytest.approx(1.5 / 30)
    assert report.found[FAILURE_SPIKE] == 1 and report.found[LATENCY_REGRESSION] == 0
    # Scanned again: the same alert, not a second one.
    scan(engine, now=NOW)
    assert len(alert_rows(engine, FAILURE_SPIKE)) == 1


def test_too_few_calls_never_make_a_spike(engine: Engine, fixtures_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _plant(engine, fixtures_dir, {"failures": 12, "bash_ms": 1230})
    monkeypatch.setenv("TOOLTRACK_ALERT_FAILURE_SPIKE_MIN_CALLS", "31")
    scan(engine, now=NOW)
    assert alert_rows(engine, FAILURE_SPIKE) == []


def test_a_day_much_slower_than_its_baseline_is_a_latency_regression(engine: Engine, fixtures_dir: Path) -> None:
    _plant(engine, fixtures_dir, {"failures": 2, "bash_ms": 6000})
    scan(engine, now=NOW)
    [alert] = alert_rows(engine, LATENCY_REGRESSION)
    assert alert.subject == "Bash" and alert.details["timed_calls"] == 30
    # p95 of the day: rank 29 of 30, 6000 + 7*28 ms, within the histogram's 2.5 %.
    assert alert.details["value_ms"] == pytest.approx(6000 + 7 * 28, rel=0.025)
    assert alert_rows(engine, FAILURE_SPIKE) == []


def test_the_service_lists_alerts_newest_first_and_counts_all_of_them(engine: Engine, fixtures_dir: Path) -> None:
    bash, read = _plant(engine, fixtures_dir, {"failures": 12, "bash_ms": 6000})
    secret = [renamed(read, f"s{i}", file_path=f"/home/dev/.ssh/id_rsa_{i}") for i in range(3)]
    loop = [renamed(bash, f"l{i}", success=False, exit_code=1, error_message="Exit code 1") for i in range(3)]
    at = DAY0 + timedelta(days=DAYS - 1, hours=5)
    TaskLogRepository(engine).create_many([planted_log("secrets", secret, at), planted_log("loop", loop, at)])
    scan(engine, now=NOW)
    service = AnalyticsService(engine)
    filters = Filters(start=DAY0.date(), end=NOW.date())
    listed = service.alerts(filters, limit=2)
    with engine.connect() as connection:
        total = connection.execute(select(func.count()).select_from(alerts)).scalar_one()
        per_rule = {r: n for r, n in connection.execute(select(alerts.c.rule, func.count()).group_by(alerts.c.rule))}
    assert listed.total == total == 3 + 1 + 1 + 1
    assert {c.rule: c.alerts for c in listed.by_rule} == {rule: per_rule.get(rule, 0) for rule in ALERT_RULES}
    assert [c.rule for c in listed.by_rule] == list(ALERT_RULES)
    assert len(listed.alerts) == 2
    times = [a.occurred_at for a in service.alerts(filters, limit=100).alerts]
    assert times == sorted(times, reverse=True)
    only = service.alerts(filters, rule=SENSITIVE_PATH)
    assert only.total == 3 and {a.rule for a in only.alerts} == {SENSITIVE_PATH}
    assert service.alerts(filters, rule=LOOP).alerts[0].adw_id == "loop"
    # A window before the planted days holds none of them.
    assert (
        service.alerts(Filters(start=DAY0.date() - timedelta(days=40), end=DAY0.date() - timedelta(days=1))).total == 0
    )
