"""Per-file ingest checkpoints: an unchanged file is skipped, a grown one read from where it was left.

`ingest_checkpoints` holds, per file `tooltrack ingest` or `tooltrack watch` read, its device
and inode, size and modification time when it was read, where the next read starts
(`resume_offset`, and the lines before it), how many calls were still running there, digests of
its first bytes and of the bytes before `resume_offset`, and its format (see
`tooltrack.store.checkpoints`). A new table: nothing else changes; the downgrade drops it (the
next ingest then reads every file whole once more; call identity stores nothing twice).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tooltrack.store import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ingest_checkpoints",
        sa.Column("path_hash", sa.Text, primary_key=True),
        sa.Column("path", sa.Text, nullable=False),
        *(sa.Column(name, sa.BigInteger, nullable=False) for name in ("device", "inode", "size", "mtime_ns")),
        sa.Column("resume_offset", sa.BigInteger, nullable=False),
        sa.Column("resume_line", sa.BigInteger, nullable=False),
        sa.Column("pending_calls", sa.BigInteger, nullable=False),
        sa.Column("head_hash", sa.Text, nullable=False),
        sa.Column("tail_hash", sa.Text, nullable=False),
        sa.Column("format", sa.Text, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ingest_checkpoints")
