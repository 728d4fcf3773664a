"""The rollup counters' key: a hash of their text columns (migration 0007), the same from the store and the migration.

`tooltrack.store.rollups.key_hash` computes it for every row the store writes; migration 0007
computes it for the rows already stored, in SQL on PostgreSQL and with its own frozen copy of the
function on SQLite. If the two ever disagreed, the first insert after the upgrade would add a
second row for a key instead of adding to the first. So: rollups stored at head, the database
taken down to 0006 (the hash dropped) and up again (the hash recomputed by the migration), must
equal what the store computes (a rebuild), with names of 1- to 4-byte characters, on both databases.
"""

from __future__ import annotations

import importlib.util
from types import ModuleType

import pytest
from sqlalchemy import select

from tests.helpers.db import rollup_snapshot
from tests.helpers.derived_check import differences
from tooltrack.models import TaskLogCreate
from tooltrack.store import TaskLogRepository, downgrade, make_engine, upgrade
from tooltrack.store.migrate import migrations_folder
from tooltrack.store.rollups import KEY_HASH_DIGITS, key_hash
from tooltrack.store.schema import KEY_HASH_COLUMNS, ROLLUP_TABLES, tool_daily

NAMES = ["Read", "Ünïcödé", "日本語のツール", "🛠️🔧 tool", "a" * 200, "𝔘" * 200, "mcp__s__t", "x\ty"]


def _migration_0007() -> ModuleType:
    path = next((migrations_folder() / "versions").glob("0007_*.py"))
    spec = importlib.util.spec_from_file_location("migration_0007", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # defines functions only; `op` is used when they run
    return module


def _logs() -> list[TaskLogCreate]:
    """Logs whose template, phase, tools and Bash programs take every name above, in turn."""
    logs = []
    for index, name in enumerate(NAMES):
        calls = [{"tool_name": tool, "success": True, "duration_ms": 10 + i} for i, tool in enumerate(NAMES)]
        calls.append(
            {"tool_name": "Bash", "success": False, "command": f"{name.replace(' ', '_')} run", "error_message": "x"}
        )
        logs.append(
            TaskLogCreate.model_validate(
                {
                    "adw_id": f"run-{index}",
                    "workflow_template": name if index % 2 else None,
                    "phase_name": name,
                    "phase_status": "completed",
                    "tool_calls": calls[index:] + calls[:index],
                }
            )
        )
    return logs


@pytest.mark.parametrize("texts", [(), ("",), ("a", "b"), ("ab",), ("a", ""), ("", "a"), tuple(NAMES)])
def test_the_migration_hashes_as_the_store_does(texts: tuple[str, ...]) -> None:
    assert _migration_0007().key_hash(*texts) == key_hash(texts)
    assert len(key_hash(texts)) == KEY_HASH_DIGITS


def test_names_joined_differently_hash_differently() -> None:
    assert len({key_hash(t) for t in [("ab", "c"), ("a", "bc"), ("abc",), ("a", "b", "c")]}) == 4


def test_the_key_hash_columns_are_the_text_columns_each_table_is_keyed_by() -> None:
    for table in ROLLUP_TABLES:
        if "key_hash" not in table.c:
            continue
        assert [c.name for c in table.primary_key.columns][:2] == ["day", "key_hash"]
        assert set(KEY_HASH_COLUMNS[table.name]) <= {c.name for c in table.c if not c.nullable}
    assert set(KEY_HASH_COLUMNS) == {t.name for t in ROLLUP_TABLES if "key_hash" in t.c}


def test_down_to_0006_and_up_again_recomputes_the_same_keys(blank_database_url: str) -> None:
    engine = make_engine(blank_database_url)
    try:
        upgrade(engine)
        TaskLogRepository(engine).create_many(_logs())
        before = rollup_snapshot(engine)
        with engine.connect() as connection:
            assert len(set(connection.execute(select(tool_daily.c.key_hash)).scalars())) > len(NAMES)

        downgrade(engine, "0006")
        upgrade(engine)
        assert rollup_snapshot(engine) == before
        assert differences(engine) == {}
        # A new insert adds to the rows the migration keyed, instead of adding rows beside them.
        TaskLogRepository(engine).create_many([_logs()[0].model_copy(update={"adw_id": "again"})])
        assert differences(engine) == {}
        after = rollup_snapshot(engine)
        for name in KEY_HASH_COLUMNS:  # the same keys (the run's day, template, phase and names)
            assert len(after[name]) == len(before[name]), name
    finally:
        engine.dispose()
