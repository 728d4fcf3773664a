"""Every table, as SQLAlchemy Core sees it at the newest migration.

Migrations in `migrations/versions/` are the history; this module is the present:
`tests/store/test_schema_matches_migrations.py` compares a database migrated to head with
`metadata`, on both databases.

- `task_logs`: the canonical record (`tool_calls` is the specification's JSON column).
- `tool_call_ids`: each stored call id once, with the log that stored it (call identity).
- The rollups (`ROLLUP_TABLES`): derived from `task_logs.tool_calls` and rebuildable from it,
  kept by `tooltrack.store.rollups`. The grain is one UTC day x workflow template ("" for none)
  x phase. The four counter tables are keyed by the day and `key_hash`, a digest of their text
  key columns (`KEY_HASH_COLUMNS`, see `rollups.key_hash`), not by the text itself: a name may be
  200 characters of 4 bytes each, and five of them (a 3-gram's) overflow the 2,704 bytes a
  PostgreSQL b-tree entry may hold (migration 0007). The text columns are kept as they were sent.

  - `rollup_tool_daily`      per tool: calls, failures, cancelled, timed calls, total and max duration
  - `rollup_latency_daily`   per tool and log-scale latency bucket: calls (a mergeable histogram)
  - `rollup_command_daily`   per normalised Bash command: the same figures as per tool
  - `rollup_sequence_daily`  per 2-gram and 3-gram of tool names: occurrences, successes, durations
  - `derived_failed_calls`   one row per failing call (for the failure list and error kinds)
  - `derived_slow_calls`     one row per call of at least SLOW_CALL_MS (for the slowest calls)
  - `derived_log_redundancy` per task log: redundant calls, wasted time and cost (for redundancy)
  - `derived_redundant_targets` per task log and repeated target: pattern, target, what it cost
  - `derived_costly_calls`   one row per call that cost at least COSTLY_CALL_USD
  - the slim rollups (`rollup_*_slim_daily`, `rollup_repeat_daily`, `rollup_log_daily`; migration
    0013): tools, latency, commands, repeated targets and task logs with the group columns folded
    into one (dimension, value) pair, read when no group filter (or one) is set

  Every rollup row also carries the run's project and agent and the calls' model (migration 0009),
  so every figure can be filtered by them; `rollup_tool_daily` keeps sub-agent types, execution-only
  timing and the calls' attributed cost, and `rollup_latency_daily` keeps execution-only and wall
  latency apart.
- `derived_runs`: one row per workflow run (its time span, attributes, outcome and counts).
- `derived_alerts`, `derived_error_kinds`: the alerts found, and every error kind seen (alerts);
  `alert_deliveries`: what the webhook was sent (not derived: it survives a rebuild).
- `derived_state`: which version of its tables each derived maintainer built.
- `ingest_checkpoints`: per ingested file, how far it was read and what it looked like then
  (`tooltrack.store.checkpoints`), so an unchanged file is skipped and a grown one read on from
  where it was left. Not derived: it describes files, not rows.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
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
    # NULL: started_at / completed_at are the log's own timestamps; else where the approximate
    # ones came from (a source without timestamps; see TaskLogBase.time_source). Migration 0008.
    Column("time_source", Text),
    # Identity of the run (migration 0009; see TaskLogBase).
    Column("project", Text),
    Column("project_path", Text),
    Column("git_branch", Text),
    Column("agent", Text),
    Column("agent_version", Text),
    Column("models", JSONDocument),
    Column("title", Text),
    Column("outcome", Text),
    Column("mcp_servers", JSONDocument),
    Column("tools_available", JSONDocument),
)

Index("idx_task_logs_adw_id", task_logs.c.adw_id)
Index("idx_task_logs_issue_number", task_logs.c.issue_number)
Index("idx_task_logs_phase_status", task_logs.c.phase_status)
Index("idx_task_logs_created_at", task_logs.c.created_at)
Index("uq_task_logs_log_key", task_logs.c.log_key, unique=True)
# The GIN index on tool_calls (PostgreSQL only) is created by migration 0002 and is not
# declared here: no query names it, and SQLite has no such index.

# Call identity (tooltrack.store.identity): every stored call that has a call_id, once, with the
# key of the task log that stored it. Not derived: it is how a write knows a call is stored. A
# write claims ids before it inserts their log (the check waits for the commit), and deleting a
# task log frees its calls' ids.
tool_call_ids = Table(
    "tool_call_ids",
    metadata,
    Column("call_id", Text, primary_key=True),
    Column(
        "log_key",
        Text,
        ForeignKey("task_logs.log_key", ondelete="CASCADE", deferrable=True, initially="DEFERRED"),
        nullable=False,
    ),
)


def _group_columns() -> list[Column[Any]]:
    """The day and the group a rollup row counts: the run's template, phase, project and agent,
    and the model of the calls ("" where the source does not say)."""
    return [
        Column("day", Date, primary_key=True),
        # 32 hex digits: the first 128 bits of SHA-256 over the table's KEY_HASH_COLUMNS.
        Column("key_hash", Text, primary_key=True),
        Column("workflow_template", Text, nullable=False),
        Column("phase_name", Text, nullable=False),
        Column("project", Text, nullable=False),
        Column("agent", Text, nullable=False),
        Column("model", Text, nullable=False),
    ]


#: The columns every rollup table filters by, beside the day (`_group_columns` and the call rows).
GROUP_COLUMNS: Final = ("workflow_template", "phase_name", "project", "agent", "model")


def _call_counters() -> list[Column[Any]]:
    return [
        Column("calls", BigInteger, nullable=False),
        Column("failures", BigInteger, nullable=False),
        Column("cancelled", BigInteger, nullable=False),
        Column("timed_calls", BigInteger, nullable=False),
        Column("total_duration_ms", BigInteger, nullable=False),
        Column("max_duration_ms", BigInteger),
    ]


tool_daily = Table(
    "rollup_tool_daily",
    metadata,
    *_group_columns(),
    # "" for the session's own calls, else the subagent_type of the Task whose sub-agent made them.
    Column("subagent", Text, nullable=False),
    Column("tool_name", Text, nullable=False),
    *_call_counters(),
    # Execution-only timing (duration sources that leave out waits for the user: EXECUTION_SOURCES).
    Column("exec_timed_calls", BigInteger, nullable=False),
    Column("exec_total_duration_ms", BigInteger, nullable=False),
    # What the calls cost (attributed, see tooltrack.core.cost): tokens, and whole pico-dollars so
    # that sums stay exact.
    Column("cost_calls", BigInteger, nullable=False),
    Column("cost_tokens", BigInteger, nullable=False),
    Column("cost_pico", BigInteger, nullable=False),
)

latency_daily = Table(
    "rollup_latency_daily",
    metadata,
    *_group_columns(),
    Column("tool_name", Text, nullable=False),
    # "exec" (execution only) or "wall" (includes waits for the user): see TIMINGS.
    Column("timing", Text, nullable=False),
    Column("bucket", Integer, primary_key=True, autoincrement=False),
    Column("calls", BigInteger, nullable=False),
)

command_daily = Table(
    "rollup_command_daily",
    metadata,
    *_group_columns(),
    Column("command", Text, nullable=False),
    *_call_counters(),
)

sequence_daily = Table(
    "rollup_sequence_daily",
    metadata,
    *_group_columns(),
    Column("n", SmallInteger, primary_key=True, autoincrement=False),
    Column("tool_1", Text, nullable=False),
    Column("tool_2", Text, nullable=False),
    Column("tool_3", Text, nullable=False),  # "" for 2-grams
    Column("occurrences", BigInteger, nullable=False),
    Column("successes", BigInteger, nullable=False),
    Column("timed", BigInteger, nullable=False),
    Column("total_duration_ms", BigInteger, nullable=False),
)


def _call_row_columns() -> list[Column[Any]]:
    return [
        Column("task_log_id", Integer, primary_key=True, autoincrement=False),
        Column("call_index", Integer, primary_key=True, autoincrement=False),
        Column("adw_id", Text, nullable=False),
        Column("day", Date, nullable=False),
        Column("occurred_at", UTCDateTime, nullable=False),
        Column("workflow_template", Text, nullable=False),
        Column("phase_name", Text, nullable=False),
        Column("project", Text, nullable=False),
        Column("agent", Text, nullable=False),
        Column("model", Text, nullable=False),
        Column("tool_name", Text, nullable=False),
        Column("duration_ms", BigInteger),
    ]


failed_calls = Table(
    "derived_failed_calls",
    metadata,
    *_call_row_columns(),
    Column("error_kind", Text, nullable=False),
    Column("error_message", Text),
)
Index("idx_failed_calls_occurred_at", failed_calls.c.occurred_at)
Index("idx_failed_calls_day", failed_calls.c.day)

slow_calls = Table(
    "derived_slow_calls",
    metadata,
    *_call_row_columns(),
    Column("target", Text),
    Column("success", Boolean, nullable=False),
)
Index("idx_slow_calls_duration", slow_calls.c.duration_ms)
Index("idx_slow_calls_day", slow_calls.c.day)

log_redundancy = Table(
    "derived_log_redundancy",
    metadata,
    Column("task_log_id", Integer, primary_key=True, autoincrement=False),
    Column("adw_id", Text, nullable=False),
    Column("day", Date, nullable=False),
    Column("workflow_template", Text, nullable=False),
    Column("phase_name", Text, nullable=False),
    Column("project", Text, nullable=False),
    Column("agent", Text, nullable=False),
    Column("model", Text, nullable=False),
    Column("redundant_calls", BigInteger, nullable=False),
    Column("wasted_ms", BigInteger, nullable=False),
    # What the redundant calls cost (attributed tokens and pico-dollars, where known).
    Column("wasted_tokens", BigInteger, nullable=False),
    Column("wasted_pico", BigInteger, nullable=False),
)
Index("idx_log_redundancy_day", log_redundancy.c.day)
Index("idx_log_redundancy_adw_id", log_redundancy.c.adw_id)


# Per task log and redundant target (tooltrack.core.redundancy): the pattern, the target, and what
# the repeats cost, so that repeated work is totalled by pattern, file and week over all of it.
redundant_targets = Table(
    "derived_redundant_targets",
    metadata,
    Column("task_log_id", Integer, primary_key=True, autoincrement=False),
    Column("kind", Text, primary_key=True),
    # A command may be 20,000 characters: keyed by its digest (rollups.key_hash), kept whole beside it.
    Column("target_hash", Text, primary_key=True),
    Column("target", Text, nullable=False),
    Column("file_path", Text),
    Column("adw_id", Text, nullable=False),
    Column("day", Date, nullable=False),
    Column("workflow_template", Text, nullable=False),
    Column("phase_name", Text, nullable=False),
    Column("project", Text, nullable=False),
    Column("agent", Text, nullable=False),
    Column("model", Text, nullable=False),
    Column("redundant_calls", BigInteger, nullable=False),
    Column("occurrences", BigInteger, nullable=False),
    Column("wasted_ms", BigInteger, nullable=False),
    Column("wasted_tokens", BigInteger, nullable=False),
    Column("wasted_pico", BigInteger, nullable=False),
)
Index("idx_redundant_targets_day", redundant_targets.c.day)
# The runs that repeated a target, counted for the top targets only (migration 0013).
Index("idx_redundant_targets_target", redundant_targets.c.target_hash, redundant_targets.c.adw_id)

# One row per call whose attributed cost is at least COSTLY_CALL_USD (for the most expensive calls).
costly_calls = Table(
    "derived_costly_calls",
    metadata,
    *_call_row_columns(),
    Column("target", Text),
    Column("cost_pico", BigInteger, nullable=False),
    Column("cost_tokens", BigInteger, nullable=False),
)
Index("idx_costly_calls_day", costly_calls.c.day)
Index("idx_costly_calls_cost", costly_calls.c.cost_pico)


# The slim rollups (migration 0013): the same counters with the group columns folded into one
# (`dimension`, `value`) pair, so an answer with no group filter, or with one, reads a table whose
# size does not grow with the number of projects x agents x models x templates x phases. Each
# source row is counted once per dimension of SLIM_*_DIMENSIONS: under dimension "" (value "") for
# the answers without a filter, and under e.g. "project" with its project for those filtered by
# it. Answers with several group filters read the full rollups. Filled from the aggregated source
# rows when a batch is written (tooltrack.store.rollups), so they always sum to the same figures.
#: The dimensions of the slim tool rollup (template and phase are columns of it, so they combine).
SLIM_TOOL_DIMENSIONS: Final = ("", "project", "agent", "model", "subagent")
#: The dimensions of the slim latency, command and repeat rollups (one group filter at most).
SLIM_DIMENSIONS: Final = ("", "workflow_template", "phase_name", "project", "agent", "model")
#: The dimensions of the task-log counts (the filters `task_logs` counts are narrowed by).
LOG_DIMENSIONS: Final = ("", "project", "agent")


def _slim_columns() -> list[Column[Any]]:
    return [
        Column("day", Date, primary_key=True),
        Column("key_hash", Text, primary_key=True),
        # "" (every row: no group filter), or the group column this row is counted under.
        Column("dimension", Text, nullable=False),
        Column("value", Text, nullable=False),
    ]


tool_slim_daily = Table(
    "rollup_tool_slim_daily",
    metadata,
    *_slim_columns(),
    Column("workflow_template", Text, nullable=False),
    Column("phase_name", Text, nullable=False),
    Column("tool_name", Text, nullable=False),
    *_call_counters(),
    Column("cost_calls", BigInteger, nullable=False),
    Column("cost_tokens", BigInteger, nullable=False),
    Column("cost_pico", BigInteger, nullable=False),
)
Index("idx_tool_slim_dimension", tool_slim_daily.c.dimension, tool_slim_daily.c.value, tool_slim_daily.c.day)

latency_slim_daily = Table(
    "rollup_latency_slim_daily",
    metadata,
    *_slim_columns(),
    Column("tool_name", Text, nullable=False),
    Column("timing", Text, nullable=False),
    Column("bucket", Integer, primary_key=True, autoincrement=False),
    Column("calls", BigInteger, nullable=False),
)
Index(
    "idx_latency_slim_dimension", latency_slim_daily.c.dimension, latency_slim_daily.c.value, latency_slim_daily.c.day
)

command_slim_daily = Table(
    "rollup_command_slim_daily",
    metadata,
    *_slim_columns(),
    Column("command", Text, nullable=False),
    *_call_counters(),
)
Index(
    "idx_command_slim_dimension", command_slim_daily.c.dimension, command_slim_daily.c.value, command_slim_daily.c.day
)

# Repeated work per target, counted (derived_redundant_targets has a row per task log and target).
repeat_daily = Table(
    "rollup_repeat_daily",
    metadata,
    *_slim_columns(),
    Column("kind", Text, nullable=False),
    Column("target", Text, nullable=False),
    Column("file_path", Text),
    Column("task_logs", BigInteger, nullable=False),
    Column("redundant_calls", BigInteger, nullable=False),
    Column("occurrences", BigInteger, nullable=False),
    Column("wasted_ms", BigInteger, nullable=False),
    Column("wasted_tokens", BigInteger, nullable=False),
    Column("wasted_pico", BigInteger, nullable=False),
)
Index("idx_repeat_dimension", repeat_daily.c.dimension, repeat_daily.c.value, repeat_daily.c.day)

# Task logs per day, template and phase (and per project or agent): the summary's log count
# without reading task_logs.
log_daily = Table(
    "rollup_log_daily",
    metadata,
    *_slim_columns(),
    Column("workflow_template", Text, nullable=False),
    Column("phase_name", Text, nullable=False),
    Column("task_logs", BigInteger, nullable=False),
)
Index("idx_log_daily_dimension", log_daily.c.dimension, log_daily.c.value, log_daily.c.day)


#: Per counter table, the text columns its `key_hash` digests, in order (the key is the day,
#: `key_hash` and the table's other primary key columns: `bucket`, `n`).
KEY_HASH_COLUMNS: Final = {
    tool_daily.name: (*GROUP_COLUMNS, "subagent", "tool_name"),
    latency_daily.name: (*GROUP_COLUMNS, "tool_name", "timing"),
    command_daily.name: (*GROUP_COLUMNS, "command"),
    sequence_daily.name: (*GROUP_COLUMNS, "tool_1", "tool_2", "tool_3"),
    tool_slim_daily.name: ("dimension", "value", "workflow_template", "phase_name", "tool_name"),
    latency_slim_daily.name: ("dimension", "value", "tool_name", "timing"),
    command_slim_daily.name: ("dimension", "value", "command"),
    repeat_daily.name: ("dimension", "value", "kind", "target"),
    log_daily.name: ("dimension", "value", "workflow_template", "phase_name"),
}
#: The two kinds of latency the rollups keep apart.
TIMINGS: Final = ("exec", "wall")

# One row per workflow run (adw_id), for the Runs page and the run counts: kept by
# tooltrack.store.run_summaries in the insert's transaction, rebuilt from task_logs like the rollups.
runs = Table(
    "derived_runs",
    metadata,
    Column("adw_id", Text, primary_key=True),
    Column("first_at", UTCDateTime, nullable=False),
    Column("last_at", UTCDateTime, nullable=False),
    Column("first_day", Date, nullable=False),
    Column("last_day", Date, nullable=False),
    # The run's attributes, from its earliest task log that has each ("" when none has it).
    Column("workflow_template", Text, nullable=False),
    Column("project", Text, nullable=False),
    Column("agent", Text, nullable=False),
    Column("model", Text, nullable=False),
    Column("title", Text),
    Column("source", Text),
    # completed / failed (a log failed) / interrupted (the latest log was): see tooltrack.store.run_summaries.
    Column("outcome", Text, nullable=False),
    Column("latest_outcome", Text, nullable=False),
    Column("task_logs", BigInteger, nullable=False),
    Column("failed_logs", BigInteger, nullable=False),
    Column("calls", BigInteger, nullable=False),
    Column("failed_calls", BigInteger, nullable=False),
    Column("redundant_calls", BigInteger, nullable=False),
    # The run's own cost (task_logs.cost_usd, e.g. a result line's), and the attributed cost of its
    # calls, in pico-dollars; `cost_logs` counts the logs that had a cost of their own.
    Column("cost_pico", BigInteger, nullable=False),
    Column("cost_logs", BigInteger, nullable=False),
    Column("tokens", BigInteger, nullable=False),
)
Index("idx_runs_last_at", runs.c.last_at)
Index("idx_runs_first_day", runs.c.first_day)
Index("idx_runs_last_day", runs.c.last_day)
Index("idx_runs_project", runs.c.project)

# The version of the tables each derived maintainer keeps: a maintainer whose tables were built
# for another version is rebuilt by `tooltrack.store.upgrade` (migrations that reshape derived
# tables leave them empty and mark them here).
derived_state = Table(
    "derived_state",
    metadata,
    Column("name", Text, primary_key=True),
    Column("version", Integer, nullable=False),
)

# Per file read by `tooltrack ingest` / `tooltrack watch` (migration 0011): where the next read
# starts and what the file looked like when it was left, to tell unchanged, grown, truncated and
# rotated apart. Keyed by a digest of the path (a path may be 4,096 bytes: past a PostgreSQL b-tree
# entry), the path kept whole beside it.
ingest_checkpoints = Table(
    "ingest_checkpoints",
    metadata,
    Column("path_hash", Text, primary_key=True),
    Column("path", Text, nullable=False),
    Column("device", BigInteger, nullable=False),
    Column("inode", BigInteger, nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("mtime_ns", BigInteger, nullable=False),
    # Where the next read starts: the end of the last complete line read, or, for an agent's
    # transcript with calls still running, the start of the line of the first of them.
    Column("resume_offset", BigInteger, nullable=False),
    # Lines before `resume_offset` (a resumed read numbers its lines on from here).
    Column("resume_line", BigInteger, nullable=False),
    # Calls still running at the end of the file, held back (not stored): while there are any, the
    # file is read on from `resume_offset` even when it has not changed (they may time out).
    Column("pending_calls", BigInteger, nullable=False),
    # SHA-256 (32 hex digits) of the first CHECK_BYTES and of the CHECK_BYTES before `resume_offset`.
    Column("head_hash", Text, nullable=False),
    Column("tail_hash", Text, nullable=False),
    Column("format", Text, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# Alerts (tooltrack.core.alert_rules, docs/analytics.md "Alerts"): one row per finding, keyed by a
# digest of its rule and what it is about, so a finding seen twice (a rebuild, a second scan, two
# writers) is stored once. The per-call rules' rows are written by tooltrack.store.call_alerts in the
# insert's transaction; the baseline rules' by `tooltrack alerts scan`.
alerts = Table(
    "derived_alerts",
    metadata,
    Column("alert_key", Text, primary_key=True),
    Column("rule", Text, nullable=False),
    Column("severity", Text, nullable=False),
    # What the cool-down is per (with the rule): a session, a tool, an error kind, a path.
    Column("subject", Text, nullable=False),
    Column("summary", Text, nullable=False),
    Column("details", JSONDocument),
    # When what the alert is about happened (a call's time; the end of a day for the baselines).
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("day", Date, nullable=False),
    Column("adw_id", Text),
    Column("task_log_id", Integer),
    Column("call_index", Integer),
    Column("tool_name", Text),
    Column("workflow_template", Text),
    Column("project", Text),
)
Index("idx_alerts_occurred_at", alerts.c.occurred_at)
Index("idx_alerts_rule_day", alerts.c.rule, alerts.c.day)

# Every error kind seen, once, with its first occurrence: what "never seen before" is checked
# against on insert (a lookup by key, not a scan of the failed calls).
error_kinds_seen = Table(
    "derived_error_kinds",
    metadata,
    Column("kind_hash", Text, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("first_at", UTCDateTime, nullable=False),
    Column("adw_id", Text, nullable=False),
    Column("task_log_id", Integer, nullable=False),
    Column("call_index", Integer, nullable=False),
    Column("tool_name", Text, nullable=False),
)

# The webhook's outbox (tooltrack.analytics.alert_delivery). Not derived: it records what was
# posted, so a rebuild of the alerts (same keys) never posts one again.
alert_deliveries = Table(
    "alert_deliveries",
    metadata,
    Column("alert_key", Text, primary_key=True),
    Column("rule", Text, nullable=False),
    Column("subject", Text, nullable=False),
    # sending / pending (to retry) / sent / suppressed (cool-down, too old) / failed (gave up)
    Column("status", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime),
    Column("last_error", Text),
    Column("sent_at", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
)
Index("idx_alert_deliveries_sent", alert_deliveries.c.rule, alert_deliveries.c.subject, alert_deliveries.c.sent_at)

#: The derived tables `tooltrack.store.rollups` keeps, in the order it writes them.
ROLLUP_TABLES: Final = (
    tool_daily,
    latency_daily,
    command_daily,
    sequence_daily,
    failed_calls,
    slow_calls,
    log_redundancy,
    redundant_targets,
    costly_calls,
    tool_slim_daily,
    latency_slim_daily,
    command_slim_daily,
    repeat_daily,
    log_daily,
)
#: The slim rollups, with the dimensions each counts its rows under.
SLIM_TABLES: Final = {
    tool_slim_daily.name: SLIM_TOOL_DIMENSIONS,
    latency_slim_daily.name: SLIM_DIMENSIONS,
    command_slim_daily.name: SLIM_DIMENSIONS,
    repeat_daily.name: SLIM_DIMENSIONS,
    log_daily.name: LOG_DIMENSIONS,
}
#: The derived tables `tooltrack.store.call_alerts` keeps.
ALERT_TABLES: Final = (alerts, error_kinds_seen)
#: Every derived table, the rollups, the runs and the alerts.
DERIVED_TABLES: Final = (*ROLLUP_TABLES, runs, *ALERT_TABLES)
