"""`tooltrack alerts`, `alerts scan` and `alerts send`, run as real subprocesses on both databases."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine

from tests.helpers.alert_cases import alert_rows
from tests.helpers.db import url_of
from tests.helpers.webhook import webhook_receiver
from tooltrack.analytics import AnalyticsService, Filters
from tooltrack.ingest import ingest_file

ENV_SESSION = "real/case5-chat-json/rhema-v2.0.42-chat.json"


def run_cli(*args: str, url: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = dict(os.environ, TOOLTRACK_DATABASE_URL=url, **env)
    return subprocess.run(
        [sys.executable, "-m", "tooltrack.cli", *args], env=full, capture_output=True, text=True, timeout=300
    )


def test_alerts_lists_scans_and_sends(engine: Engine, fixtures_dir: Path, tmp_path: Path) -> None:
    ingest_file(engine, fixtures_dir / ENV_SESSION)
    url = url_of(engine)
    listed = run_cli("alerts", "--days", "3650", "--json", url=url)
    assert listed.returncode == 0, listed.stderr
    body = json.loads(listed.stdout)
    expected = AnalyticsService(engine).alerts(Filters(days=3650))
    assert body["total"] == expected.total == 1
    assert body["alerts"][0]["summary"] == expected.alerts[0].summary
    text = run_cli("alerts", "--days", "3650", url=url)
    assert "1 alerts from" in text.stdout and "sensitive_path" in text.stdout

    # A rules file that turns the rule off: the scan finds it no more.
    rules = tmp_path / "alerts.toml"
    rules.write_text("[sensitive_path]\nenabled = false\n")
    scanned = run_cli("alerts", "scan", url=url, TOOLTRACK_ALERTS_FILE=str(rules))
    assert scanned.returncode == 0, scanned.stderr
    assert "sensitive_path 0" in scanned.stdout
    assert alert_rows(engine) == []
    scanned = run_cli("alerts", "scan", url=url)
    assert "sensitive_path 1" in scanned.stdout

    # A 2025 alert is too old to post by default; with max_age_hours raised it is posted once.
    with webhook_receiver() as receiver:
        hook = {"TOOLTRACK_ALERT_WEBHOOK_URL": receiver.url, "TOOLTRACK_ALERT_WEBHOOK_MAX_AGE_HOURS": "1000000"}
        sent = run_cli("alerts", "send", url=url, **hook)
        assert sent.returncode == 0, sent.stderr
        assert "webhook: 1 sent" in sent.stdout
        run_cli("alerts", "send", url=url, **hook)
        assert len(receiver.bodies) == 1
    assert "[sent]" in run_cli("alerts", "--days", "3650", url=url).stdout


def test_bad_rules_are_one_clear_line(engine: Engine, tmp_path: Path) -> None:
    rules = tmp_path / "alerts.toml"
    rules.write_text("[loop]\nmin_repeat = 4\n")
    result = run_cli("alerts", "scan", url=url_of(engine), TOOLTRACK_ALERTS_FILE=str(rules))
    assert result.returncode == 1
    assert f"{rules} [loop]: unknown setting 'min_repeat'" in result.stderr
    assert "Traceback" not in result.stderr
    result = run_cli("alerts", "send", url=url_of(engine))
    assert result.returncode == 1 and "no webhook" in result.stderr
