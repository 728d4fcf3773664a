"""A database migrated to head has exactly the schema `tooltrack.store.metadata` declares.

The migrations are the history and store/schema.py is the present (its docstring says so); the
code reads and writes through `metadata`, so a table, column, index, type or server default that
one has and the other lacks is a defect. Alembic's autogenerate comparison
(`compare_metadata(MigrationContext.configure(connection), metadata)`) lists every such
difference, on SQLite and on PostgreSQL, with type and server-default comparison switched on.

The differences that are deliberate are named below, each with its reason, and must show up: one
that no longer does is taken off the list, so the list cannot go stale and hide a new one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Engine, MetaData, Table, Text

from tooltrack.store import make_engine, metadata, upgrade

#: A difference as (what Alembic would do to the database to match `metadata`, table, object name).
Difference = tuple[str, str, str]

#: Per database: the deliberate differences between head and `metadata`, and why each is one.
KNOWN: dict[str, dict[Difference, str]] = {
    "postgresql": {
        ("remove_index", "task_logs", "idx_task_logs_tool_calls"): (
            "the GIN index on task_logs.tool_calls (jsonb_path_ops, gin_pending_list_limit) exists only on "
            "PostgreSQL: migration 0002 creates it and 0005 rebuilds it; store/schema.py leaves it out on "
            "purpose (no query names it, SQLite has no such index, and its options are PostgreSQL's alone)"
        ),
    },
    # Nothing: SQLite reflects JSON, BigInteger, SmallInteger and the UTC timestamps back as the
    # declared types, and has no column comments to compare (PostgreSQL's comment on tool_calls
    # matches the metadata's, so it is not on the list there either).
    "sqlite": {},
}

#: Switched on explicitly so that a type or a server default that drifts is a difference too.
COMPARE_OPTIONS: dict[str, Any] = {"compare_type": True, "compare_server_default": True}


def _describe(difference: tuple[Any, ...]) -> Difference:
    """One entry of `compare_metadata`'s answer as (operation, table, name)."""
    operation = difference[0]
    if operation.startswith("modify_"):  # ("modify_type", schema, table, column, existing, old, new)
        return operation, difference[2], difference[3]
    if operation in ("add_column", "remove_column"):  # (operation, schema, table, Column)
        return operation, difference[2], difference[3].name
    target = difference[1]
    if isinstance(target, Table):  # tables, table comments
        return operation, target.name, ""
    return operation, target.table.name, target.name or ""  # indexes, constraints, foreign keys


def differences(engine: Engine, target: MetaData) -> list[Difference]:
    """What Alembic finds between the database behind `engine` and `target`."""
    with engine.connect() as connection:
        found = compare_metadata(MigrationContext.configure(connection, opts=COMPARE_OPTIONS), target)
    # A column's changes come grouped in a list of their own; every other difference is a tuple.
    flat = [item for entry in found for item in (entry if isinstance(entry, list) else [entry])]
    return [_describe(item) for item in flat]


@pytest.fixture
def at_head(blank_database_url: str) -> Iterator[Engine]:
    """An engine on a database that had no tables and was then migrated to head (each dialect)."""
    engine = make_engine(blank_database_url)
    upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()


def test_a_database_at_head_has_the_schema_the_metadata_declares(at_head: Engine) -> None:
    known = KNOWN[at_head.dialect.name]
    found = differences(at_head, metadata)
    unexpected = [difference for difference in found if difference not in known]
    assert unexpected == [], f"the migrations and tooltrack/store/schema.py disagree: {unexpected}"
    assert sorted(set(found)) == sorted(known), "a known difference is gone: take it off KNOWN"


def test_the_comparison_sees_a_column_the_migrations_lack(at_head: Engine) -> None:
    # The same metadata plus one column no migration makes: the comparison must report it, on
    # each database (so the test above cannot pass by comparing nothing).
    grown = MetaData()
    for table in metadata.sorted_tables:
        table.to_metadata(grown)
    grown.tables["task_logs"].append_column(Column("not_migrated", Text))
    assert ("add_column", "task_logs", "not_migrated") in differences(at_head, grown)
