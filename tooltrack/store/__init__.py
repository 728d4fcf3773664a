"""Store: task logs in PostgreSQL or SQLite, written idempotently and redacted, read as pydantic models.

The way in for every stage above (ingest, analytics, api, dashboard, cli): what is not in
`__all__` is the store's own business.

- Engines and databases: `make_engine`, `shared_engine`, `describe`, `dialect_of` (the one class
  per database that holds every PostgreSQL/SQLite difference).
- Migrations: `upgrade`, `downgrade`, `current_revision`, `head_revisions`, `alembic_config`, and
  the errors `DatabaseAheadOfCode` / `DatabaseBehindHead` (both `RevisionMismatch`).
- Writing: `TaskLogRepository`, `write_task_logs`; the bulk path (`bulk_write_task_logs`,
  `json_row`, `keyed_row`, `PreparedBatch`, `write_prepared`, `CopyBatch`, `copy_batch`,
  `write_copy_batch`, `supports_copy`) used by the ingest.
- Reading: `task_logs`, the rollup tables (`ROLLUP_TABLES`, `tool_daily`, ..., the slim ones of
  `SLIM_TABLES`) and the runs
  (`runs`), which the analytics query, with the constants that say how the rollups count.
- Ingest checkpoints: `Checkpoint`, `load_checkpoints`, `save_checkpoint`, `forget_checkpoints`
  (how far each file was read; `tooltrack.ingest` decides what to read from them).
- Upkeep: `DERIVED` (the derived structures kept on every insert), `InsertedLog`, `select_logs`.
- Errors: `is_transient` (a database error the same work may get past a moment later; `is_busy`,
  the part of it that is another transaction in the way), `RetryPolicy` / `DEFAULT_POLICY`,
  `retry_transient`, `TransientDatabaseError`, `describe_error`.
"""

from tooltrack.store.bulk import (
    CopyBatch,
    PreparedBatch,
    bulk_write_task_logs,
    copy_batch,
    json_row,
    keyed_row,
    supports_copy,
    write_copy_batch,
    write_prepared,
)
from tooltrack.store.call_alerts import MAINTAINER as ALERTS_MAINTAINER
from tooltrack.store.checkpoints import Checkpoint, forget_checkpoints, load_checkpoints, save_checkpoint
from tooltrack.store.derived import InsertedLog, Maintainer, Registry, select_logs
from tooltrack.store.dialects import DatabaseDialect, JSONDocument, UnsupportedDatabase, UTCDateTime, dialect_of
from tooltrack.store.engine import describe, make_engine, shared_engine
from tooltrack.store.errors import (
    DEFAULT_POLICY,
    RetryPolicy,
    TransientDatabaseError,
    describe_error,
    is_busy,
    is_transient,
    retry_transient,
)
from tooltrack.store.keys import task_log_key
from tooltrack.store.migrate import (
    DatabaseAheadOfCode,
    DatabaseBehindHead,
    RevisionMismatch,
    alembic_config,
    current_revision,
    downgrade,
    head_revisions,
    refuse_if_ahead,
    upgrade,
)
from tooltrack.store.repository import StoreResult, TaskLogRepository, write_task_logs
from tooltrack.store.rollups import (
    COSTLY_CALL_USD,
    MAX_ERROR_MESSAGE,
    NO_COMMAND,
    NO_TEMPLATE,
    PICO,
    SEQUENCE_LENGTHS,
    SLOW_CALL_MS,
    SUBAGENT_UNKNOWN,
    key_hash,
)
from tooltrack.store.schema import (
    ALERT_TABLES,
    DERIVED_TABLES,
    GROUP_COLUMNS,
    ROLLUP_TABLES,
    SLIM_TABLES,
    TIMINGS,
    alert_deliveries,
    alerts,
    command_daily,
    command_slim_daily,
    costly_calls,
    error_kinds_seen,
    failed_calls,
    latency_daily,
    latency_slim_daily,
    log_daily,
    log_redundancy,
    metadata,
    redundant_targets,
    repeat_daily,
    runs,
    sequence_daily,
    slow_calls,
    task_logs,
    tool_daily,
    tool_slim_daily,
)
from tooltrack.store.upkeep import DERIVED

__all__ = [
    "ALERTS_MAINTAINER",
    "ALERT_TABLES",
    "COSTLY_CALL_USD",
    "DEFAULT_POLICY",
    "DERIVED",
    "DERIVED_TABLES",
    "GROUP_COLUMNS",
    "MAX_ERROR_MESSAGE",
    "NO_COMMAND",
    "NO_TEMPLATE",
    "PICO",
    "ROLLUP_TABLES",
    "SEQUENCE_LENGTHS",
    "SLIM_TABLES",
    "SLOW_CALL_MS",
    "SUBAGENT_UNKNOWN",
    "TIMINGS",
    "Checkpoint",
    "CopyBatch",
    "DatabaseAheadOfCode",
    "DatabaseBehindHead",
    "DatabaseDialect",
    "InsertedLog",
    "JSONDocument",
    "Maintainer",
    "PreparedBatch",
    "Registry",
    "RetryPolicy",
    "RevisionMismatch",
    "StoreResult",
    "TaskLogRepository",
    "TransientDatabaseError",
    "UTCDateTime",
    "UnsupportedDatabase",
    "alembic_config",
    "alert_deliveries",
    "alerts",
    "bulk_write_task_logs",
    "command_daily",
    "command_slim_daily",
    "copy_batch",
    "costly_calls",
    "current_revision",
    "describe",
    "describe_error",
    "dialect_of",
    "downgrade",
    "error_kinds_seen",
    "failed_calls",
    "forget_checkpoints",
    "head_revisions",
    "is_busy",
    "is_transient",
    "json_row",
    "key_hash",
    "keyed_row",
    "latency_daily",
    "latency_slim_daily",
    "load_checkpoints",
    "log_daily",
    "log_redundancy",
    "make_engine",
    "metadata",
    "redundant_targets",
    "refuse_if_ahead",
    "repeat_daily",
    "retry_transient",
    "runs",
    "save_checkpoint",
    "select_logs",
    "sequence_daily",
    "shared_engine",
    "slow_calls",
    "supports_copy",
    "task_log_key",
    "task_logs",
    "tool_daily",
    "tool_slim_daily",
    "upgrade",
    "write_copy_batch",
    "write_prepared",
    "write_task_logs",
]
