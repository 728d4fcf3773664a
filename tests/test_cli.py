"""The `tooltrack` command line, run as a real subprocess the way a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from tooltrack.analytics import AnalyticsService, Filters, Summary
from tooltrack.store import TaskLogRepository, make_engine, upgrade
from tooltrack.store.migrate import current_revision, head_revisions

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


FUTURE = "0099_from_a_newer_tooltrack"


@pytest.fixture
def database_ahead(blank_database_url: str) -> Iterator[Engine]:
    """A throwaway database at head, then stamped with a revision this code does not know (a newer tooltrack's)."""
    owner = make_engine(blank_database_url)
    upgrade(owner)
    with owner.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :future"), {"future": FUTURE})
    try:
        yield owner
    finally:
        owner.dispose()


@pytest.mark.parametrize(
    "command",
    [
        ("db", "upgrade"),
        ("dashboard", "--port", "1"),
        ("demo",),
        ("ingest", "-"),
        ("serve", "--port", "1"),
        ("rollups", "rebuild"),
    ],
)
def test_a_database_ahead_of_this_code_is_one_clear_line_and_a_failure(
    database_ahead: Engine, command: tuple[str, ...]
) -> None:
    url = database_ahead.url.render_as_string(hide_password=False)
    result = run_cli(*command, url=url)
    assert result.returncode == 1
    shown = database_ahead.url.render_as_string(hide_password=True)
    heads = ", ".join(head_revisions())
    # The last line: `ingest` names its database on stderr first.
    assert result.stderr.strip().splitlines()[-1] == (
        f"Error: The database at {shown} is at revision {FUTURE}, newer than this tooltrack (head {heads}): "
        "upgrade tooltrack."
    )  # before: Alembic's CommandError traceback ("Can't locate revision")
    assert "Traceback" not in result.stderr and "dashboard: http" not in result.stdout
    assert current_revision(database_ahead) == FUTURE  # nothing touched
    assert TaskLogRepository(database_ahead).count() == 0  # no demo data added


def test_db_upgrade_to_an_unknown_revision_is_one_clear_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'typo.db'}"
    result = run_cli("db", "upgrade", "--revision", "no_such_revision", url=url)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("Error: ") and "no_such_revision" in line


@pytest.mark.parametrize("command", [("db", "upgrade"), ("ingest", "-"), ("rollups", "rebuild")])
def test_an_unreachable_database_is_one_clear_line(command: tuple[str, ...]) -> None:
    url = "postgresql+psycopg://tooltrack:secret@127.0.0.1:1/nowhere"  # nothing listens on port 1
    result = run_cli(*command, url=url)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: cannot use the database at postgresql+psycopg://tooltrack:***@127.0.0.1:1/nowhere: ")
    assert "Connection refused" in last or "connection failed" in last
    assert "Traceback" not in result.stderr and "secret" not in result.stderr
