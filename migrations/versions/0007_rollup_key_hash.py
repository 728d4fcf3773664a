"""Rollup counters keyed by a hash of their names, so that any name that validates fits the key.

A PostgreSQL b-tree entry holds at most 2,704 bytes (a third of a page). The four counter tables
were keyed by their text columns: workflow template, phase, then the tool, the command or the
three tools of a 3-gram, each up to 200 characters (MAX_NAME), which is up to 800 bytes of UTF-8.
Three 200-character tool names of 4-byte characters made a 3,240-byte entry in
`rollup_sequence_daily_pkey` (after compression): a task log that validates was refused with a
500 on PostgreSQL (SQLite has no such limit).

From this revision each counter table is keyed by (day, key_hash) plus its other key columns
(`bucket`, `n`): `key_hash` is the first 128 bits, in hex, of SHA-256 over the text key columns
in UTF-8 joined by NUL (tooltrack.store.rollups.key_hash; no stored name holds a NUL). The text
columns stay, NOT NULL and as they were sent, so every read is unchanged.

The upgrade adds `key_hash`, computes it for the rows already there and makes it the key.
PostgreSQL computes it in SQL (`sha256`, PostgreSQL 11+), so `alembic upgrade head --sql` prints
it as plain SQL. SQLite has no SHA-256 in SQL: its driver lets a Python function into the
statement, so on SQLite this revision runs online only (`tooltrack db upgrade`). The hash is
frozen here, not imported: tests/store/test_rollup_keys.py checks that the rows it fills agree
with what the store writes.

The downgrade makes the text columns the key again and drops `key_hash`. On PostgreSQL it fails
when a row's names are too long for that key, which only this revision could have stored: delete
those task logs and run `tooltrack rollups rebuild` first.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence
from typing import Final

import sqlalchemy as sa
from alembic import context, op

from tooltrack.store import dialect_of

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

#: Per counter table: the text columns key_hash covers, in order, and the key columns besides
#: the day and key_hash.
HASHED: Final = {
    "rollup_tool_daily": (("workflow_template", "phase_name", "tool_name"), ()),
    "rollup_latency_daily": (("workflow_template", "phase_name", "tool_name"), ("bucket",)),
    "rollup_command_daily": (("workflow_template", "phase_name", "command"), ()),
    "rollup_sequence_daily": (("workflow_template", "phase_name", "tool_1", "tool_2", "tool_3"), ("n",)),
}
#: Per counter table, its key before this revision (0004), in order.
OLD_KEYS: Final = {
    "rollup_tool_daily": ("day", "workflow_template", "phase_name", "tool_name"),
    "rollup_latency_daily": ("day", "workflow_template", "phase_name", "tool_name", "bucket"),
    "rollup_command_daily": ("day", "workflow_template", "phase_name", "command"),
    "rollup_sequence_daily": ("day", "workflow_template", "phase_name", "n", "tool_1", "tool_2", "tool_3"),
}
_TYPES: Final = {"day": sa.Date, "key_hash": sa.Text, "bucket": sa.Integer, "n": sa.SmallInteger}
_COUNTERS: Final = {
    "rollup_tool_daily": ("calls", "failures", "cancelled", "timed_calls", "total_duration_ms", "max_duration_ms"),
    "rollup_latency_daily": ("calls",),
    "rollup_command_daily": ("calls", "failures", "cancelled", "timed_calls", "total_duration_ms", "max_duration_ms"),
    "rollup_sequence_daily": ("occurrences", "successes", "timed", "total_duration_ms"),
}
KEY_HASH_DIGITS: Final = 32
#: The SQL function registered on SQLite's connection for the upgrade.
SQLITE_FUNCTION: Final = "tooltrack_key_hash_0007"


def key_hash(*texts: str) -> str:
    """key_hash as this revision defines it (the store's `rollups.key_hash`, frozen)."""
    data = b"\x00".join(text.encode("utf-8", "surrogatepass") for text in texts)
    return hashlib.sha256(data).hexdigest()[:KEY_HASH_DIGITS]


def _new_key(table: str) -> list[str]:
    return ["day", "key_hash", *HASHED[table][1]]


def _shape(table: str, *, hashed: bool) -> sa.Table:
    """The table as 0004 made it (`hashed=False`) or as this revision leaves it, for SQLite's copy."""
    key = _new_key(table) if hashed else list(OLD_KEYS[table])
    names = [*key, *(name for name in OLD_KEYS[table] if name not in key)]
    columns = [sa.Column(name, _TYPES.get(name, sa.Text), nullable=False, autoincrement=False) for name in names]
    counters = [sa.Column(name, sa.BigInteger, nullable=name == "max_duration_ms") for name in _COUNTERS[table]]
    return sa.Table(table, sa.MetaData(), *columns, *counters, sa.PrimaryKeyConstraint(*key))


def _hash_sql(columns: Sequence[str]) -> str:
    """The SQL of key_hash over `columns`, on this migration's database."""
    if not context.is_offline_mode():
        driver = op.get_bind().connection.driver_connection
        if isinstance(driver, sqlite3.Connection):
            # SQLite has no SHA-256 in SQL; its driver runs a Python function inside the statement.
            driver.create_function(SQLITE_FUNCTION, len(columns), key_hash, deterministic=True)
            return f"{SQLITE_FUNCTION}({', '.join(columns)})"
    elif dialect_of(op.get_context().dialect).batch_migrations:
        raise RuntimeError("revision 0007 computes hashes in Python on SQLite: apply it with `tooltrack db upgrade`")
    # bytea: convert_to gives each name's UTF-8 bytes, decode('00', 'hex') the NUL between them.
    joined = " || decode('00', 'hex') || ".join(f"convert_to({column}, 'UTF8')" for column in columns)
    return f"substr(encode(sha256({joined}), 'hex'), 1, {KEY_HASH_DIGITS})"


def upgrade() -> None:
    copies = dialect_of(op.get_context().dialect).batch_migrations
    for table, (texts, _) in HASHED.items():
        op.add_column(table, sa.Column("key_hash", sa.Text))
        op.execute(f"UPDATE {table} SET key_hash = {_hash_sql(texts)}")
        if copies:  # SQLite: a new table with the new key, the rows copied into it
            with op.batch_alter_table(table, recreate="always", copy_from=_shape(table, hashed=True)):
                pass
            continue
        op.alter_column(table, "key_hash", existing_type=sa.Text, nullable=False)
        # The text columns keep their NOT NULL as they leave the key (PostgreSQL keeps it).
        op.drop_constraint(f"{table}_pkey", table, type_="primary")
        op.create_primary_key(f"{table}_pkey", table, _new_key(table))


def downgrade() -> None:
    copies = dialect_of(op.get_context().dialect).batch_migrations
    for table in HASHED:
        if copies:  # the copy leaves key_hash out
            with op.batch_alter_table(table, recreate="always", copy_from=_shape(table, hashed=False)):
                pass
            continue
        op.drop_constraint(f"{table}_pkey", table, type_="primary")
        op.create_primary_key(f"{table}_pkey", table, list(OLD_KEYS[table]))
        op.drop_column(table, "key_hash")
