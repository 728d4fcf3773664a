"""The rollups: kept in step on insert, equal to a rebuild, safe under concurrent writers."""

from __future__ import annotations

import subprocess
import sys
import threading

from click.testing import CliRunner
from sqlalchemy import Engine

from tests.helpers.db import rollup_snapshot
from tests.helpers.known_data import known_logs
from tooltrack.analytics import AnalyticsService, Filters
from tooltrack.cli.rollups import rollups as rollups_command
from tooltrack.models import TaskLogCreate
from tooltrack.store import DERIVED, ROLLUP_TABLES, TaskLogRepository, rollups, write_task_logs


def test_rebuild_gives_what_the_inserts_built(stored: Engine) -> None:
    before = rollup_snapshot(stored)
    assert all(before.values()), "every rollup table has rows for the known data"
    with stored.begin() as connection:
        assert "rollups" in DERIVED.rebuild_all(connection)
    assert rollup_snapshot(stored) == before


def test_rebuild_repairs_emptied_rollups(stored: Engine) -> None:
    expected = AnalyticsService(stored).summary(Filters(days=3650))
    with stored.begin() as connection:
        for table in ROLLUP_TABLES:
            connection.execute(table.delete())
    assert AnalyticsService(stored).summary(Filters(days=3650)).total_tool_calls == 0
    result = CliRunner().invoke(rollups_command, ["rebuild", "--database-url", stored.url.render_as_string(False)])
    assert result.exit_code == 0, result.output
    assert "rollup_tool_daily" in result.output
    assert AnalyticsService(stored).summary(Filters(days=3650)) == expected


def test_a_duplicate_log_is_not_counted_twice(engine: Engine) -> None:
    log = known_logs(runs=1)[0]
    repository = TaskLogRepository(engine)
    repository.create(log)
    first = rollup_snapshot(engine)
    repository.create(log)
    repository.create_many([log, log])
    assert rollup_snapshot(engine) == first


def test_a_key_twice_in_one_write_counts_the_copy_stored(engine: Engine) -> None:
    """The first copy is stored (ON CONFLICT DO NOTHING), so its calls are the ones counted."""
    first, second = known_logs(runs=1)[:2]
    first = first.model_copy(update={"log_key": "one-key"})
    second = second.model_copy(update={"log_key": "one-key"})
    with engine.begin() as connection:
        results = write_task_logs(connection, [first, second])
    assert [r.created for r in results] == [True, False]
    counted = rollup_snapshot(engine)
    with engine.begin() as connection:
        DERIVED.rebuild_all(connection)
    assert rollup_snapshot(engine) == counted


def test_concurrent_writers_lose_no_count(engine: Engine) -> None:
    logs = known_logs(seed=5, runs=24)
    chunks: list[list[TaskLogCreate]] = [logs[i::6] for i in range(6)]
    errors: list[BaseException] = []

    def write(chunk: list[TaskLogCreate]) -> None:
        try:
            repository = TaskLogRepository(engine)
            for start in range(0, len(chunk), 3):
                repository.create_many(chunk[start : start + 3])
        except BaseException as exc:  # reported below, in the test's own thread
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(chunk,)) for chunk in chunks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    concurrent = rollup_snapshot(engine)
    with engine.begin() as connection:
        rollups.rebuild(connection)
    assert rollup_snapshot(engine) == concurrent
    total = AnalyticsService(engine).summary(Filters(days=3650)).total_tool_calls
    assert total == sum(len(log.tool_calls) for log in logs)


def test_importing_analytics_or_store_first_both_work() -> None:
    for first, second in (("tooltrack.store", "tooltrack.analytics"), ("tooltrack.analytics", "tooltrack.store")):
        check = "from tooltrack.store import DERIVED; assert 'rollups' in DERIVED.names"
        code = f"import {first}, {second}; {check}"
        subprocess.run([sys.executable, "-c", code], check=True)
