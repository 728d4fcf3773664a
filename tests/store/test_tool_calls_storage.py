"""Migration 0005 on PostgreSQL: tool_calls compressed with lz4, a jsonb_path_ops GIN index that
containment queries use, rollup counter tables with room for HOT updates; downgrading restores the
specification's index. SQLite is untouched."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from tests.helpers.sample_data import task_log
from tooltrack.models import TaskLogCreate, ToolCallRecord
from tooltrack.store import TaskLogRepository, make_engine, upgrade
from tooltrack.store.migrate import downgrade


def _index_definition(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return connection.execute(
            text("SELECT indexdef FROM pg_indexes WHERE indexname = 'idx_task_logs_tool_calls'")
        ).scalar()


def _big_log(marker: str) -> TaskLogCreate:
    # Large enough (about 30 KB) that PostgreSQL compresses the value (over ~2 KB).
    calls = [
        ToolCallRecord(tool_name="Bash", success=i % 7 != 0, duration_ms=i, command=f"pytest -k case_{i} {marker}")
        for i in range(300)
    ]
    return task_log(adw_id=f"adw-{marker}", tool_calls=calls)


def test_tool_calls_are_lz4_and_containment_uses_the_path_ops_index(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        with engine.connect() as connection:
            names = connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'index'")).scalars().all()
        assert "idx_task_logs_tool_calls" not in names
        pytest.skip("SQLite stores JSON as text and has no GIN index: checked that none was made")
    repository = TaskLogRepository(engine)
    wanted = repository.create(_big_log("wanted"))
    repository.create(_big_log("other"))

    definition = _index_definition(engine)
    assert definition is not None and "gin" in definition and "jsonb_path_ops" in definition
    assert "gin_pending_list_limit" in definition
    with engine.connect() as connection:
        options = dict(
            connection.execute(
                text("SELECT relname, reloptions FROM pg_class WHERE relname LIKE 'rollup_%' AND relkind = 'r'")
            ).all()
        )
    # The counter tables of 0005 and the slim ones of 0013: rows mostly updated in place.
    assert set(options) == {
        "rollup_tool_daily",
        "rollup_latency_daily",
        "rollup_command_daily",
        "rollup_sequence_daily",
        "rollup_tool_slim_daily",
        "rollup_latency_slim_daily",
        "rollup_command_slim_daily",
        "rollup_repeat_daily",
        "rollup_log_daily",
    }
    assert all(value == ["fillfactor=50"] for value in options.values()), options
    with engine.begin() as connection:
        compression = connection.execute(
            text("SELECT pg_column_compression(tool_calls) FROM task_logs WHERE id = :id"), {"id": wanted.id}
        ).scalar()
        assert compression == "lz4"
        # The containment query the index is kept for: it must answer through the index.
        connection.execute(text("SET LOCAL enable_seqscan = off"))
        query = "SELECT id FROM task_logs WHERE tool_calls @> CAST(:probe AS jsonb)"
        probe = '[{"tool_name": "Bash", "command": "pytest -k case_3 wanted"}]'
        plan = "\n".join(connection.execute(text("EXPLAIN " + query), {"probe": probe}).scalars())
        assert "idx_task_logs_tool_calls" in plan
        assert connection.execute(text(query), {"probe": probe}).scalars().all() == [wanted.id]


def test_downgrading_0005_restores_the_specification_index(blank_database_url: str) -> None:
    engine = make_engine(blank_database_url)
    try:
        upgrade(engine)
        TaskLogRepository(engine).create(_big_log("kept"))
        downgrade(engine, "0004")
        if engine.dialect.name == "postgresql":
            definition = _index_definition(engine)
            assert definition is not None and "gin" in definition and "jsonb_path_ops" not in definition
            with engine.connect() as connection:
                reloptions = connection.execute(
                    text("SELECT reloptions FROM pg_class WHERE relname = 'rollup_sequence_daily'")
                ).scalar()
            assert reloptions is None
        upgrade(engine)
        if engine.dialect.name == "postgresql":
            assert "jsonb_path_ops" in (_index_definition(engine) or "")
        stored = TaskLogRepository(engine).list_by_adw_id("adw-kept")
        assert len(stored) == 1 and len(stored[0].tool_calls) == 300
    finally:
        engine.dispose()
