"""Alerts posted to a real local webhook: each exactly once, cooled down per rule and subject,
retried when the webhook fails, never posted by the store itself; on both databases."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from tests.helpers.alert_cases import alert_rows, planted_log, real_calls, renamed
from tests.helpers.webhook import webhook_receiver
from tooltrack.analytics import drain, scan, send_round
from tooltrack.core import AlertSettings, load_settings
from tooltrack.ingest import ingest_file
from tooltrack.store import DERIVED, TaskLogRepository, alert_deliveries, metadata

PLANNER = "real/case6-stream-json-adw/prior-auth-fastlane-sdlc_planner-v2.0.22.jsonl"


def _settings(url: str, **webhook: str) -> AlertSettings:
    env = {"TOOLTRACK_ALERT_WEBHOOK_URL": url, "TOOLTRACK_ALERT_WEBHOOK_BACKOFF_SECONDS": "0.05"}
    env |= {f"TOOLTRACK_ALERT_WEBHOOK_{k.upper()}": v for k, v in webhook.items()}
    return load_settings(None, env)


def _shapes(engine: Engine, fixtures_dir: Path) -> dict[str, Any]:
    calls, _ = real_calls(engine, fixtures_dir / PLANNER)
    with engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(table.delete())
    return next(c for c in calls if c["tool_name"] == "Read")


def _plant_secrets(engine: Engine, read: dict[str, Any], paths: list[str], *, hours_ago: float = 1) -> None:
    at = datetime.now(UTC) - timedelta(hours=hours_ago)
    logs = [planted_log(f"run-{i}", [renamed(read, f"s{i}", file_path=path)], at) for i, path in enumerate(paths)]
    TaskLogRepository(engine).create_many(logs)


def _statuses(engine: Engine) -> Counter[str]:
    with engine.connect() as connection:
        return Counter(connection.execute(select(alert_deliveries.c.status)).scalars())


def test_each_alert_reaches_the_webhook_exactly_once(engine: Engine, fixtures_dir: Path) -> None:
    read = _shapes(engine, fixtures_dir)
    paths = ["/a/.env", "/home/a/.ssh/id_rsa", "/srv/.aws/credentials", "/b/server.pem"]
    with webhook_receiver() as receiver:
        settings = _settings(receiver.url)
        # Storing posts nothing: the store only writes the alerts.
        _plant_secrets(engine, read, paths)
        assert receiver.bodies == []
        report = drain(engine, settings, timeout=10)
        stored = sorted(a.alert_key for a in alert_rows(engine))
        assert len(stored) == 4 and report.sent == 4
        assert sorted(receiver.keys()) == stored
        assert all(body["text"].startswith(":rotating_light: *tooltrack sensitive path*") for body in receiver.bodies)
        assert {p for p in paths if any(p in body["text"] for body in receiver.bodies)} == set(paths)
        # Sent again, rebuilt, scanned: still once each.
        drain(engine, settings, timeout=10)
        with engine.begin() as connection:
            DERIVED.rebuild_all(connection)
        scan(engine, settings=settings)
        send_round(engine, settings)
        assert sorted(receiver.keys()) == stored
    assert _statuses(engine) == {"sent": 4}


def test_two_senders_at_once_post_each_alert_once(engine: Engine, fixtures_dir: Path) -> None:
    read = _shapes(engine, fixtures_dir)
    with webhook_receiver(delay=0.05) as receiver:
        settings = _settings(receiver.url)
        _plant_secrets(engine, read, [f"/repo{i}/.env" for i in range(6)])
        threads = [threading.Thread(target=send_round, args=(engine, settings)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        drain(engine, settings, timeout=10)
        assert sorted(receiver.keys()) == sorted(a.alert_key for a in alert_rows(engine))
        assert len(receiver.keys()) == 6


def test_one_rule_and_subject_posts_once_per_cool_down(engine: Engine, fixtures_dir: Path) -> None:
    read = _shapes(engine, fixtures_dir)
    with webhook_receiver() as receiver:
        # Three runs reading the same file: three alerts, one post.
        _plant_secrets(engine, read, ["/srv/app/.env"] * 3)
        drain(engine, _settings(receiver.url), timeout=10)
        assert len(alert_rows(engine)) == 3 and len(receiver.bodies) == 1
        assert _statuses(engine) == {"sent": 1, "suppressed": 2}
        # With no cool-down each one is posted.
        with engine.begin() as connection:
            connection.execute(alert_deliveries.delete())
        drain(engine, _settings(receiver.url, cooldown_seconds="0"), timeout=10)
        assert len(receiver.bodies) == 1 + 3


def test_a_failing_webhook_is_retried_until_it_answers(engine: Engine, fixtures_dir: Path) -> None:
    read = _shapes(engine, fixtures_dir)
    with webhook_receiver(fail_first=2) as receiver:
        _plant_secrets(engine, read, ["/a/.env"])
        first = send_round(engine, _settings(receiver.url))
        assert (first.sent, first.retrying) == (0, 1) and receiver.statuses == [500]
        report = drain(engine, _settings(receiver.url), timeout=10)
        assert receiver.statuses == [500, 500, 200]
        assert report.sent == 1
        [key] = [a.alert_key for a in alert_rows(engine)]
        assert receiver.keys() == [key] * 3
    with engine.connect() as connection:
        row = connection.execute(select(alert_deliveries)).one()
    assert (row.status, row.attempts, row.last_error) == ("sent", 3, None)


def test_a_webhook_that_never_answers_is_given_up_after_max_attempts(engine: Engine, fixtures_dir: Path) -> None:
    read = _shapes(engine, fixtures_dir)
    with webhook_receiver(always_fail=True) as receiver:
        _plant_secrets(engine, read, ["/a/.env"])
        report = drain(engine, _settings(receiver.url, max_attempts="3"), timeout=10)
        assert receiver.statuses == [500, 500, 500] and report.failed == 1
    with engine.connect() as connection:
        row = connection.execute(select(alert_deliveries)).one()
    assert (row.status, row.attempts, row.last_error) == ("failed", 3, "HTTP 500")


def test_a_webhook_that_is_down_costs_nothing_and_loses_nothing(engine: Engine, fixtures_dir: Path) -> None:
    read = _shapes(engine, fixtures_dir)
    with webhook_receiver() as receiver:
        url = receiver.url
    # The server is gone: the post is refused, the alert waits for its retry.
    _plant_secrets(engine, read, ["/a/.env"])
    report = send_round(engine, _settings(url))
    assert report.retrying == 1 and "ConnectError" in report.errors[0]
    assert _statuses(engine) == {"pending": 1}


def test_alerts_about_old_history_are_not_posted(engine: Engine, fixtures_dir: Path) -> None:
    with webhook_receiver() as receiver:
        ingest_file(engine, fixtures_dir / "real/case5-chat-json/rhema-v2.0.42-chat.json")  # a 2025 session
        assert len(alert_rows(engine)) == 1
        drain(engine, _settings(receiver.url), timeout=10)
        assert receiver.bodies == []
    assert _statuses(engine) == {"suppressed": 1}
