"""Slim rollups: answers with no group filter (or one) read tables that do not grow with the groups.

With the project, agent and model in every rollup row (0009), a 10 M-call database held 2.8 M rows of
`rollup_latency_daily`, and the summary read them all (1.8 s over all days). These tables count the
same calls with the group columns folded into one (`dimension`, `value`) pair, each source row
once per dimension ("" for no filter, then e.g. "project" with its project):

- `rollup_tool_slim_daily`     per template, phase and tool (dimensions project, agent, model, sub-agent)
- `rollup_latency_slim_daily`  per tool, timing and bucket (dimensions template, phase, project, agent, model)
- `rollup_command_slim_daily`  per normalised Bash command (the same dimensions)
- `rollup_repeat_daily`        per repeated target: task logs, repeats, what they cost (the same dimensions)
- `rollup_log_daily`           task logs per template and phase (dimensions project, agent)

and `derived_redundant_targets` gets an index by target (the runs of the top targets are counted
through it). All are derived: created empty, with the rollups' `derived_state` row set back to 0,
so `tooltrack db upgrade` rebuilds the rollups from `task_logs` at once (by hand, after
`alembic upgrade head --sql`: `tooltrack rollups rebuild`). The downgrade drops them.

Revision ID: 0013
Revises: 0010
Create Date: 2026-12-02
"""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa
from alembic import op

from tooltrack.store import dialect_of

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

TABLES: Final = (
    "rollup_tool_slim_daily",
    "rollup_latency_slim_daily",
    "rollup_command_slim_daily",
    "rollup_repeat_daily",
    "rollup_log_daily",
)
#: Index name suffix per table (each is indexed by dimension, value and day).
INDEXES: Final = {
    "rollup_tool_slim_daily": "idx_tool_slim_dimension",
    "rollup_latency_slim_daily": "idx_latency_slim_dimension",
    "rollup_command_slim_daily": "idx_command_slim_dimension",
    "rollup_repeat_daily": "idx_repeat_dimension",
    "rollup_log_daily": "idx_log_daily_dimension",
}


def _key() -> list[sa.Column]:
    return [
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("key_hash", sa.Text, primary_key=True),
        sa.Column("dimension", sa.Text, nullable=False),
        sa.Column("value", sa.Text, nullable=False),
    ]


def _counters() -> list[sa.Column]:
    return [
        *(
            sa.Column(name, sa.BigInteger, nullable=False)
            for name in ("calls", "failures", "cancelled", "timed_calls", "total_duration_ms")
        ),
        sa.Column("max_duration_ms", sa.BigInteger),
    ]


def _big(*names: str) -> list[sa.Column]:
    return [sa.Column(name, sa.BigInteger, nullable=False) for name in names]


def upgrade() -> None:
    op.create_table(
        "rollup_tool_slim_daily",
        *_key(),
        sa.Column("workflow_template", sa.Text, nullable=False),
        sa.Column("phase_name", sa.Text, nullable=False),
        sa.Column("tool_name", sa.Text, nullable=False),
        *_counters(),
        *_big("cost_calls", "cost_tokens", "cost_pico"),
    )
    op.create_table(
        "rollup_latency_slim_daily",
        *_key(),
        sa.Column("tool_name", sa.Text, nullable=False),
        sa.Column("timing", sa.Text, nullable=False),
        sa.Column("bucket", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("calls", sa.BigInteger, nullable=False),
    )
    op.create_table("rollup_command_slim_daily", *_key(), sa.Column("command", sa.Text, nullable=False), *_counters())
    op.create_table(
        "rollup_repeat_daily",
        *_key(),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("file_path", sa.Text),
        *_big("task_logs", "redundant_calls", "occurrences", "wasted_ms", "wasted_tokens", "wasted_pico"),
    )
    op.create_table(
        "rollup_log_daily",
        *_key(),
        sa.Column("workflow_template", sa.Text, nullable=False),
        sa.Column("phase_name", sa.Text, nullable=False),
        *_big("task_logs"),
    )
    for table, index in INDEXES.items():
        op.create_index(index, table, ["dimension", "value", "day"])
    op.create_index("idx_redundant_targets_target", "derived_redundant_targets", ["target_hash", "adw_id"])
    if dialect_of(op.get_context().dialect).storage_parameters:
        # As 0005 set them for the counter tables: rows are mostly updated in place (HOT updates).
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} SET (fillfactor = 50)")
    op.execute("UPDATE derived_state SET version = 0 WHERE name = 'rollups'")


def downgrade() -> None:
    op.drop_index("idx_redundant_targets_target", table_name="derived_redundant_targets")
    for table in reversed(TABLES):
        op.drop_table(table)
