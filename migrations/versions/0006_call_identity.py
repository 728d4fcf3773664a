"""Call identity: `tool_call_ids`, each stored call id once, with the task log that stored it.

From this revision on a call whose `call_id` is stored is never stored again, whatever the way in
(see tooltrack.store.identity). The upgrade fills the table from the task logs already stored:
each call id goes to the first task log (by id) that holds it. Calls stored twice before this
revision stay where they are; only new writes are held to one call once.

One statement each way, so `alembic upgrade head --sql` prints it as plain SQL for teams that apply
SQL by hand.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tooltrack.store import JSONDocument, dialect_of

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    ids = op.create_table(
        "tool_call_ids",
        sa.Column("call_id", sa.Text, primary_key=True),
        sa.Column("log_key", sa.Text, nullable=False),
        # Checked at commit: a write claims its calls' ids before it inserts their log.
        sa.ForeignKeyConstraint(
            ["log_key"], ["task_logs.log_key"], ondelete="CASCADE", deferrable=True, initially="DEFERRED"
        ),
    )
    # Each call id to the first task log (lowest id) that holds it: rows go in in id order and
    # ON CONFLICT DO NOTHING keeps the first.
    dialect = dialect_of(op.get_context().dialect)
    logs = sa.table("task_logs", sa.column("id"), sa.column("log_key"), sa.column("tool_calls", JSONDocument))
    call = dialect.json_elements(logs.c.tool_calls).alias("call")
    call_id = dialect.json_text(call, "call_id")
    found = (
        sa.select(call_id, logs.c.log_key)
        .select_from(logs)
        .join(call, sa.true())
        .where(call_id.is_not(None), call_id != "", logs.c.log_key.is_not(None))
        .order_by(logs.c.id)
    )
    op.execute(dialect.insert(ids).from_select(["call_id", "log_key"], found).on_conflict_do_nothing())


def downgrade() -> None:
    op.drop_table("tool_call_ids")
