"""Alembic migrations: one head, upgrade in place with rows kept, down and up, plain SQL."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import inspect, text

from tests.helpers.paths import ROOT
from tests.helpers.sample_data import task_log
from tooltrack.store import TaskLogRepository, make_engine
from tooltrack.store.migrate import current_revision, downgrade, head_revisions, upgrade


def test_single_head() -> None:
    # The head is the newest numbered file in migrations/versions (read from disk, not hard-coded).
    newest = max(path.name.split("_", 1)[0] for path in (ROOT / "migrations" / "versions").glob("[0-9]*_*.py"))
    assert head_revisions() == [newest]


def test_upgrade_keeps_rows_of_a_table_without_tool_calls(blank_database_url: str) -> None:
    engine = make_engine(blank_database_url)
    upgrade(engine, "0001")
    with engine.begin() as connection:
        for index in range(3):
            connection.execute(
                text(
                    "INSERT INTO task_logs (adw_id, phase_name, phase_status, log_message, cost_usd) "
                    "VALUES (:adw, 'Build', 'completed', :message, 0.5)"
                ),
                {"adw": f"old-{index}", "message": f"row {index}"},
            )
    assert "tool_calls" not in {c["name"] for c in inspect(engine).get_columns("task_logs")}

    upgrade(engine)

    assert current_revision(engine) == head_revisions()[0]
    logs = [TaskLogRepository(engine).list_by_adw_id(f"old-{i}")[0] for i in range(3)]
    assert [log.log_message for log in logs] == ["row 0", "row 1", "row 2"]
    assert all(log.tool_calls == [] and log.cost_usd == 0.5 for log in logs)
    with engine.connect() as connection:
        raw = connection.execute(text("SELECT tool_calls FROM task_logs")).scalars().all()
    assert raw == [[], [], []] or raw == ["[]", "[]", "[]"]
    engine.dispose()


def test_postgresql_gets_jsonb_gin_index_and_comment(blank_database_url: str) -> None:
    engine = make_engine(blank_database_url)
    upgrade(engine)
    inspector = inspect(engine)
    columns = {c["name"]: c for c in inspector.get_columns("task_logs")}
    indexes = {i["name"] for i in inspector.get_indexes("task_logs")}
    assert {"idx_task_logs_adw_id", "idx_task_logs_issue_number", "idx_task_logs_phase_status"} <= indexes
    if engine.dialect.name == "postgresql":
        assert str(columns["tool_calls"]["type"]) == "JSONB"
        assert columns["tool_calls"]["comment"].startswith("Array of tool call records")
        with engine.connect() as connection:
            method = connection.execute(
                text(
                    "SELECT am.amname FROM pg_class c JOIN pg_am am ON am.oid = c.relam "
                    "WHERE c.relname = 'idx_task_logs_tool_calls'"
                )
            ).scalar_one()
        assert method == "gin"
    else:
        assert "idx_task_logs_tool_calls" not in indexes
    engine.dispose()


def test_down_and_up_with_data_present(blank_database_url: str) -> None:
    engine = make_engine(blank_database_url)
    upgrade(engine)
    TaskLogRepository(engine).create(task_log(log_key="kept"))
    downgrade(engine, "0001")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT adw_id FROM task_logs")).scalars().all() == ["abc123"]
    upgrade(engine)
    logs = TaskLogRepository(engine).list_by_adw_id("abc123")
    assert len(logs) == 1 and logs[0].tool_calls == []  # the calls went with the column; the row stayed
    engine.dispose()


def test_offline_sql_is_plain_postgresql() -> None:
    env = {k: v for k, v in os.environ.items() if k != "TOOLTRACK_DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head", "--sql"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    sql = result.stdout
    assert "CREATE TABLE task_logs" in sql
    assert "ALTER TABLE task_logs ADD COLUMN tool_calls JSONB DEFAULT '[]'" in sql
    assert "USING gin (tool_calls)" in sql
    assert "COMMENT ON COLUMN task_logs.tool_calls" in sql
    # 0003 restores keys saved by a downgrade in plain SQL; its Python backfill is skipped, and says so.
    assert "CREATE TABLE IF NOT EXISTS tooltrack_saved_log_keys" in sql
    assert "DROP TABLE tooltrack_saved_log_keys;" in sql
    assert "-- tooltrack: rows without a log_key keep it NULL here" in sql
    assert "CREATE UNIQUE INDEX uq_task_logs_log_key ON task_logs (log_key)" in sql
