"""The `tooltrack` command line, run as a real subprocess the way a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine

from tooltrack.analytics import AnalyticsService, Filters, Summary

#: Wider than the demo's 45 days, so the summary counts every demo log.
EVERYTHING = Filters(days=3650)


def summary(engine: Engine) -> Summary:
    return AnalyticsService(engine).summary(EVERYTHING)


def run_cli(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, TOOLTRACK_DATABASE_URL=url)
    return subprocess.run(
        [sys.executable, "-m", "tooltrack.cli", *args], env=env, capture_output=True, text=True, timeout=300
    )


def test_db_upgrade_on_a_new_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sub' / 'new.db'}"
    result = run_cli("db", "upgrade", url=url)
    assert result.returncode == 0, result.stderr
    assert f"database: {url}" in result.stdout
    assert (tmp_path / "sub" / "new.db").exists()


def test_demo_fills_an_empty_database_once(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    first = run_cli("demo", "--workflows", "12", url=url)
    assert first.returncode == 0, first.stderr
    figures = summary(engine)
    assert figures.workflows == 12
    assert f"stored {figures.task_logs} task logs with {figures.total_tool_calls} tool calls" in first.stdout
    assert {"Read", "Bash", "Edit"} <= set(figures.by_tool)

    second = run_cli("demo", url=url)
    assert second.returncode == 0
    assert "nothing added" in second.stdout
    assert summary(engine).task_logs == figures.task_logs
