"""Alerts: the findings of the alert rules, the error kinds seen, and the webhook's outbox.

- `derived_alerts`: one row per finding (a loop, a sensitive path, a new error kind, a failure-rate
  spike, a latency regression), keyed by a digest of its rule and subject.
- `derived_error_kinds`: every error kind seen once, with its first occurrence (what "never seen
  before" is checked against), and the history's start.
- `alert_deliveries`: what was posted to the webhook. Not derived: kept through every rebuild, so
  that no alert is posted twice.

The two derived tables are created empty, with the alerts' `derived_state` row at 0, so that
`tooltrack db upgrade` finds the per-call alerts in the task logs already stored (by hand, after
`alembic upgrade head --sql`: `tooltrack rollups rebuild`). The downgrade drops all three.

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tooltrack.store import JSONDocument, UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "derived_alerts",
        sa.Column("alert_key", sa.Text, primary_key=True),
        sa.Column("rule", sa.Text, nullable=False),
        sa.Column("severity", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("details", JSONDocument),
        sa.Column("occurred_at", UTCDateTime, nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("adw_id", sa.Text),
        sa.Column("task_log_id", sa.Integer),
        sa.Column("call_index", sa.Integer),
        sa.Column("tool_name", sa.Text),
        sa.Column("workflow_template", sa.Text),
        sa.Column("project", sa.Text),
    )
    op.create_index("idx_alerts_occurred_at", "derived_alerts", ["occurred_at"])
    op.create_index("idx_alerts_rule_day", "derived_alerts", ["rule", "day"])
    op.create_table(
        "derived_error_kinds",
        sa.Column("kind_hash", sa.Text, primary_key=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("first_at", UTCDateTime, nullable=False),
        sa.Column("adw_id", sa.Text, nullable=False),
        sa.Column("task_log_id", sa.Integer, nullable=False),
        sa.Column("call_index", sa.Integer, nullable=False),
        sa.Column("tool_name", sa.Text, nullable=False),
    )
    op.create_table(
        "alert_deliveries",
        sa.Column("alert_key", sa.Text, primary_key=True),
        sa.Column("rule", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", UTCDateTime),
        sa.Column("last_error", sa.Text),
        sa.Column("sent_at", UTCDateTime),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_index("idx_alert_deliveries_sent", "alert_deliveries", ["rule", "subject", "sent_at"])
    op.execute("DELETE FROM derived_state WHERE name = 'alerts'")
    op.execute("INSERT INTO derived_state (name, version) VALUES ('alerts', 0)")


def downgrade() -> None:
    op.drop_table("alert_deliveries")
    op.drop_table("derived_error_kinds")
    op.drop_table("derived_alerts")
    op.execute("DELETE FROM derived_state WHERE name = 'alerts'")
