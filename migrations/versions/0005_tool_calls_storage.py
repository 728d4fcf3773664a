"""PostgreSQL storage of `tool_calls` for bulk writes: lz4 compression and a path-ops GIN index.

Measured on 1 M tool calls (281 MB of COPY text, 10,000 task logs) into a table with task_logs'
indexes, PostgreSQL 15 on 2 cores (bench/bench_ingest.py prints the same comparison):

| tool_calls storage                                  | COPY    |
|-----------------------------------------------------|---------|
| pglz (the default) and GIN `jsonb_ops` (0002)        | 19.6 s  |
| lz4 and GIN `jsonb_ops`                             | 16.4 s  |
| lz4 and GIN `jsonb_path_ops`                        | 12.3 s  |
| lz4 and GIN `jsonb_path_ops`, 32 MB pending list    | 11.2 s  |
| lz4, no GIN index                                   |  4.0 s  |

- lz4 compresses a 28 KB array several times faster than pglz, and decompresses faster for the
  drill-down. Only values written after this revision are lz4; older ones stay readable as pglz.
- `jsonb_path_ops` indexes one hash per path to a value instead of one entry per key and per
  value, so it is smaller and cheaper to maintain. It serves the containment and JSON-path
  operators (`@>`, `@?`, `@@`): `tool_calls @> '[{"tool_name": "Bash", "success": false}]'`
  finds the logs with a failed Bash call. It does not serve the key-exists operators (`?`, `?|`,
  `?&`), which on an array of objects only look at top-level strings and so can never match a
  tool call anyway. No tooltrack query needs the index (analytics read the rollups, drill-down
  the adw_id index); it stays for the specification's ad-hoc containment queries.
- A 32 MB pending list (`gin_pending_list_limit`, default 4 MB) lets a bulk write add its entries
  in larger, sorted merges; a query through the index scans the unmerged entries too, so the
  list is kept bounded rather than raised to its 2 GB maximum.

SQLite stores JSON as text and has no such index: nothing changes there.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

from tooltrack.store.dialects import is_postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

INDEX = "idx_task_logs_tool_calls"
#: kB, as gin_pending_list_limit counts.
PENDING_LIST_KB = 32 * 1024


def upgrade() -> None:
    if not is_postgresql(op.get_context().dialect.name):
        return
    op.execute("ALTER TABLE task_logs ALTER COLUMN tool_calls SET COMPRESSION lz4")
    op.drop_index(INDEX, table_name="task_logs")
    op.create_index(
        INDEX,
        "task_logs",
        ["tool_calls"],
        postgresql_using="gin",
        postgresql_ops={"tool_calls": "jsonb_path_ops"},
        postgresql_with={"gin_pending_list_limit": PENDING_LIST_KB},
    )


def downgrade() -> None:
    if not is_postgresql(op.get_context().dialect.name):
        return
    op.drop_index(INDEX, table_name="task_logs")
    op.create_index(INDEX, "task_logs", ["tool_calls"], postgresql_using="gin")
    op.execute("ALTER TABLE task_logs ALTER COLUMN tool_calls SET COMPRESSION pglz")
