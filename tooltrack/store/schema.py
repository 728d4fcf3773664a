"""The tables, as SQLAlchemy Core sees them at the newest migration.

Migrations in `migrations/versions/` are the history; this module is the present. A test
checks that the two agree.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    func,
    text,
)

from tooltrack.store.dialects import JSONDocument, UTCDateTime

metadata = MetaData()

task_logs = Table(
    "task_logs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("adw_id", Text, nullable=False),
    Column("issue_number", Integer),
    Column("workflow_template", Text),
    # Phase details
    Column("phase_name", Text, nullable=False),
    Column("phase_number", Integer),
    Column("phase_status", Text, nullable=False),
    # Logging
    Column("log_message", Text),
    Column("error_message", Text),
    # Timing
    Column("started_at", UTCDateTime),
    Column("completed_at", UTCDateTime),
    Column("duration_seconds", Float),
    # Cost
    Column("tokens_used", Integer),
    Column("cost_usd", Float),
    # Tool call tracking (the specification's migration 019): the canonical record.
    Column(
        "tool_calls",
        JSONDocument,
        nullable=True,
        server_default=text("'[]'"),
        comment="Array of tool call records with timing, success, parameters, and results",
    ),
    # Metadata
    Column("captured_at", UTCDateTime, server_default=func.current_timestamp()),
    Column("created_at", UTCDateTime, server_default=func.current_timestamp()),
    # Idempotency: the same log stored twice is stored once (see tooltrack.store.keys).
    Column("log_key", Text),
    Column("source", Text),
)

Index("idx_task_logs_adw_id", task_logs.c.adw_id)
Index("idx_task_logs_issue_number", task_logs.c.issue_number)
Index("idx_task_logs_phase_status", task_logs.c.phase_status)
Index("idx_task_logs_created_at", task_logs.c.created_at)
Index("uq_task_logs_log_key", task_logs.c.log_key, unique=True)
# The GIN index on tool_calls (PostgreSQL only) is created by migration 0002 and is not
# declared here: no query names it, and SQLite has no such index.
