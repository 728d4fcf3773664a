"""Rollups: derived tables that answer analytics in milliseconds (see tooltrack.store.rollups).

They are caches of `task_logs.tool_calls`: after upgrading a database that already holds task
logs, fill them with `tooltrack rollups rebuild`. Downgrading drops them and loses nothing.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tooltrack.store import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _group() -> list[sa.Column]:
    return [
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("workflow_template", sa.Text, primary_key=True),
        sa.Column("phase_name", sa.Text, primary_key=True),
    ]


def _counters() -> list[sa.Column]:
    return [
        sa.Column("calls", sa.BigInteger, nullable=False),
        sa.Column("failures", sa.BigInteger, nullable=False),
        sa.Column("cancelled", sa.BigInteger, nullable=False),
        sa.Column("timed_calls", sa.BigInteger, nullable=False),
        sa.Column("total_duration_ms", sa.BigInteger, nullable=False),
        sa.Column("max_duration_ms", sa.BigInteger),
    ]


def _call_row() -> list[sa.Column]:
    return [
        sa.Column("task_log_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("call_index", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("adw_id", sa.Text, nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("occurred_at", UTCDateTime, nullable=False),
        sa.Column("workflow_template", sa.Text, nullable=False),
        sa.Column("phase_name", sa.Text, nullable=False),
        sa.Column("tool_name", sa.Text, nullable=False),
        sa.Column("duration_ms", sa.BigInteger),
    ]


def upgrade() -> None:
    op.create_table("rollup_tool_daily", *_group(), sa.Column("tool_name", sa.Text, primary_key=True), *_counters())
    op.create_table(
        "rollup_latency_daily",
        *_group(),
        sa.Column("tool_name", sa.Text, primary_key=True),
        sa.Column("bucket", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("calls", sa.BigInteger, nullable=False),
    )
    op.create_table("rollup_command_daily", *_group(), sa.Column("command", sa.Text, primary_key=True), *_counters())
    op.create_table(
        "rollup_sequence_daily",
        *_group(),
        sa.Column("n", sa.SmallInteger, primary_key=True, autoincrement=False),
        sa.Column("tool_1", sa.Text, primary_key=True),
        sa.Column("tool_2", sa.Text, primary_key=True),
        sa.Column("tool_3", sa.Text, primary_key=True),
        sa.Column("occurrences", sa.BigInteger, nullable=False),
        sa.Column("successes", sa.BigInteger, nullable=False),
        sa.Column("timed", sa.BigInteger, nullable=False),
        sa.Column("total_duration_ms", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "derived_failed_calls",
        *_call_row(),
        sa.Column("error_kind", sa.Text, nullable=False),
        sa.Column("error_message", sa.Text),
    )
    op.create_index("idx_failed_calls_occurred_at", "derived_failed_calls", ["occurred_at"])
    op.create_index("idx_failed_calls_day", "derived_failed_calls", ["day"])
    op.create_table(
        "derived_slow_calls",
        *_call_row(),
        sa.Column("target", sa.Text),
        sa.Column("success", sa.Boolean, nullable=False),
    )
    op.create_index("idx_slow_calls_duration", "derived_slow_calls", ["duration_ms"])
    op.create_index("idx_slow_calls_day", "derived_slow_calls", ["day"])
    op.create_table(
        "derived_log_redundancy",
        sa.Column("task_log_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("adw_id", sa.Text, nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("workflow_template", sa.Text, nullable=False),
        sa.Column("phase_name", sa.Text, nullable=False),
        sa.Column("redundant_calls", sa.BigInteger, nullable=False),
        sa.Column("wasted_ms", sa.BigInteger, nullable=False),
    )
    op.create_index("idx_log_redundancy_day", "derived_log_redundancy", ["day"])
    op.create_index("idx_log_redundancy_adw_id", "derived_log_redundancy", ["adw_id"])


def downgrade() -> None:
    for table in (
        "derived_log_redundancy",
        "derived_slow_calls",
        "derived_failed_calls",
        "rollup_sequence_daily",
        "rollup_command_daily",
        "rollup_latency_daily",
        "rollup_tool_daily",
    ):
        op.drop_table(table)
