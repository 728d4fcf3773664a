"""Runs, projects and cost: identity columns on task logs, rollups by project, agent and model.

- `task_logs` gains what a run is (see `TaskLogBase`): project, project_path, git_branch, agent,
  agent_version, models, title, outcome, mcp_servers, tools_available. Nullable, no default:
  rows stored before keep NULL (nothing is rewritten).
- The rollups are derived, so they are made again in their new shape, empty: every counter row
  and every call row also carries project, agent and model; `rollup_tool_daily` keeps sub-agent
  types, execution-only timing and attributed cost; `rollup_latency_daily` keeps execution-only
  and wall latency apart; `derived_log_redundancy` keeps what repeated work cost.
- `derived_runs`: one row per workflow run (the Runs page, run counts).
- `derived_state`: the version of the tables each derived maintainer built. This revision leaves
  the rollups' row at version 0 (empty); `tooltrack db upgrade` (and every command that upgrades)
  then rebuilds them from `task_logs` at once (`tooltrack.store.migrate.upgrade`). Applying the
  SQL by hand (`alembic upgrade head --sql`): run `tooltrack rollups rebuild` afterwards.

The downgrade drops the new columns and tables and makes the rollups of 0008 again, empty: run
`tooltrack rollups rebuild` with that version.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa
from alembic import op

from tooltrack.store import JSONDocument, UTCDateTime, dialect_of

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

#: (name, type) of the new task_logs columns.
LOG_COLUMNS: Final = (
    ("project", sa.Text),
    ("project_path", sa.Text),
    ("git_branch", sa.Text),
    ("agent", sa.Text),
    ("agent_version", sa.Text),
    ("models", JSONDocument),
    ("title", sa.Text),
    ("outcome", sa.Text),
    ("mcp_servers", JSONDocument),
    ("tools_available", JSONDocument),
)
COUNTER_TABLES: Final = ("rollup_tool_daily", "rollup_latency_daily", "rollup_command_daily", "rollup_sequence_daily")
ROW_TABLES: Final = ("derived_failed_calls", "derived_slow_calls", "derived_log_redundancy")
#: The rollups' version in `derived_state` that says "empty: rebuild me".
EMPTY: Final = 0


def _group(*, dims: bool) -> list[sa.Column]:
    columns = [
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("key_hash", sa.Text, primary_key=True),
        sa.Column("workflow_template", sa.Text, nullable=False),
        sa.Column("phase_name", sa.Text, nullable=False),
    ]
    if dims:
        columns += [sa.Column(name, sa.Text, nullable=False) for name in ("project", "agent", "model")]
    return columns


def _counters() -> list[sa.Column]:
    return [
        sa.Column("calls", sa.BigInteger, nullable=False),
        sa.Column("failures", sa.BigInteger, nullable=False),
        sa.Column("cancelled", sa.BigInteger, nullable=False),
        sa.Column("timed_calls", sa.BigInteger, nullable=False),
        sa.Column("total_duration_ms", sa.BigInteger, nullable=False),
        sa.Column("max_duration_ms", sa.BigInteger),
    ]


def _call_rows(*, dims: bool) -> list[sa.Column]:
    columns = [
        sa.Column("task_log_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("call_index", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("adw_id", sa.Text, nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("occurred_at", UTCDateTime, nullable=False),
        sa.Column("workflow_template", sa.Text, nullable=False),
        sa.Column("phase_name", sa.Text, nullable=False),
    ]
    if dims:
        columns += [sa.Column(name, sa.Text, nullable=False) for name in ("project", "agent", "model")]
    return [*columns, sa.Column("tool_name", sa.Text, nullable=False), sa.Column("duration_ms", sa.BigInteger)]


def _create_rollups(*, dims: bool) -> None:
    """The seven rollup tables, empty: in this revision's shape (`dims`) or in 0008's."""
    tool_extra = (
        [
            sa.Column("exec_timed_calls", sa.BigInteger, nullable=False),
            sa.Column("exec_total_duration_ms", sa.BigInteger, nullable=False),
            sa.Column("cost_calls", sa.BigInteger, nullable=False),
            sa.Column("cost_tokens", sa.BigInteger, nullable=False),
            sa.Column("cost_pico", sa.BigInteger, nullable=False),
        ]
        if dims
        else []
    )
    subagent = [sa.Column("subagent", sa.Text, nullable=False)] if dims else []
    op.create_table(
        "rollup_tool_daily",
        *_group(dims=dims),
        *subagent,
        sa.Column("tool_name", sa.Text, nullable=False),
        *_counters(),
        *tool_extra,
    )
    timing = [sa.Column("timing", sa.Text, nullable=False)] if dims else []
    op.create_table(
        "rollup_latency_daily",
        *_group(dims=dims),
        sa.Column("tool_name", sa.Text, nullable=False),
        *timing,
        sa.Column("bucket", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("calls", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "rollup_command_daily", *_group(dims=dims), sa.Column("command", sa.Text, nullable=False), *_counters()
    )
    op.create_table(
        "rollup_sequence_daily",
        *_group(dims=dims),
        sa.Column("n", sa.SmallInteger, primary_key=True, autoincrement=False),
        sa.Column("tool_1", sa.Text, nullable=False),
        sa.Column("tool_2", sa.Text, nullable=False),
        sa.Column("tool_3", sa.Text, nullable=False),
        sa.Column("occurrences", sa.BigInteger, nullable=False),
        sa.Column("successes", sa.BigInteger, nullable=False),
        sa.Column("timed", sa.BigInteger, nullable=False),
        sa.Column("total_duration_ms", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "derived_failed_calls",
        *_call_rows(dims=dims),
        sa.Column("error_kind", sa.Text, nullable=False),
        sa.Column("error_message", sa.Text),
    )
    op.create_index("idx_failed_calls_occurred_at", "derived_failed_calls", ["occurred_at"])
    op.create_index("idx_failed_calls_day", "derived_failed_calls", ["day"])
    op.create_table(
        "derived_slow_calls",
        *_call_rows(dims=dims),
        sa.Column("target", sa.Text),
        sa.Column("success", sa.Boolean, nullable=False),
    )
    op.create_index("idx_slow_calls_duration", "derived_slow_calls", ["duration_ms"])
    op.create_index("idx_slow_calls_day", "derived_slow_calls", ["day"])
    dims_columns = [sa.Column(name, sa.Text, nullable=False) for name in ("project", "agent", "model")] if dims else []
    waste = (
        [
            sa.Column("wasted_tokens", sa.BigInteger, nullable=False),
            sa.Column("wasted_pico", sa.BigInteger, nullable=False),
        ]
        if dims
        else []
    )
    op.create_table(
        "derived_log_redundancy",
        sa.Column("task_log_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("adw_id", sa.Text, nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("workflow_template", sa.Text, nullable=False),
        sa.Column("phase_name", sa.Text, nullable=False),
        *dims_columns,
        sa.Column("redundant_calls", sa.BigInteger, nullable=False),
        sa.Column("wasted_ms", sa.BigInteger, nullable=False),
        *waste,
    )
    op.create_index("idx_log_redundancy_day", "derived_log_redundancy", ["day"])
    op.create_index("idx_log_redundancy_adw_id", "derived_log_redundancy", ["adw_id"])
    if dialect_of(op.get_context().dialect).storage_parameters:
        # As 0005 set them: counter rows are mostly updated in place (HOT updates).
        for table in COUNTER_TABLES:
            op.execute(f"ALTER TABLE {table} SET (fillfactor = 50)")


def _drop_rollups() -> None:
    for table in (*ROW_TABLES, *COUNTER_TABLES):
        op.drop_table(table)


def upgrade() -> None:
    for name, type_ in LOG_COLUMNS:
        op.add_column("task_logs", sa.Column(name, type_, nullable=True))
    _drop_rollups()
    _create_rollups(dims=True)
    op.create_table(
        "derived_runs",
        sa.Column("adw_id", sa.Text, primary_key=True),
        sa.Column("first_at", UTCDateTime, nullable=False),
        sa.Column("last_at", UTCDateTime, nullable=False),
        sa.Column("first_day", sa.Date, nullable=False),
        sa.Column("last_day", sa.Date, nullable=False),
        *(sa.Column(name, sa.Text, nullable=False) for name in ("workflow_template", "project", "agent", "model")),
        sa.Column("title", sa.Text),
        sa.Column("source", sa.Text),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("latest_outcome", sa.Text, nullable=False),
        *(
            sa.Column(name, sa.BigInteger, nullable=False)
            for name in (
                "task_logs",
                "failed_logs",
                "calls",
                "failed_calls",
                "redundant_calls",
                "cost_pico",
                "cost_logs",
                "tokens",
            )
        ),
    )
    for column in ("last_at", "first_day", "last_day", "project"):
        op.create_index(f"idx_runs_{column}", "derived_runs", [column])
    state = op.create_table(
        "derived_state", sa.Column("name", sa.Text, primary_key=True), sa.Column("version", sa.Integer, nullable=False)
    )
    op.bulk_insert(state, [{"name": "rollups", "version": EMPTY}])


def downgrade() -> None:
    op.drop_table("derived_state")
    op.drop_table("derived_runs")
    _drop_rollups()
    _create_rollups(dims=False)
    with op.batch_alter_table("task_logs") as batch:
        for name, _ in reversed(LOG_COLUMNS):
            batch.drop_column(name)
