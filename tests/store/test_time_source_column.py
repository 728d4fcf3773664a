"""`task_logs.time_source` is written by every write path (INSERT, and COPY on PostgreSQL) and read back."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.helpers.sample_data import task_log
from tooltrack.store import TaskLogRepository, bulk_write_task_logs, write_task_logs


@pytest.mark.parametrize("write", [write_task_logs, bulk_write_task_logs], ids=["insert", "bulk"])
def test_time_source_round_trips(engine: Engine, write: object) -> None:
    logs = [
        task_log(adw_id="times", phase_name="Plan", log_key="t-1", time_source="file_mtime"),
        task_log(adw_id="times", phase_name="Build", log_key="t-2", time_source="unknown", started_at=None),
        task_log(adw_id="times", phase_name="Test", log_key="t-3"),
    ]
    with engine.begin() as connection:
        results = write(connection, logs)  # type: ignore[operator]
    assert all(result.created for result in results)
    stored = TaskLogRepository(engine).list_by_adw_id("times")
    assert {log.phase_name: log.time_source for log in stored} == {
        "Plan": "file_mtime",
        "Build": "unknown",
        "Test": None,
    }
