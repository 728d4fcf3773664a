"""Fill the slim rollups (migration 0013) of a PostgreSQL data set in SQL, from its full rollups.

    python bench/fill_slim.py --database tooltrack_bench_copy

For a benchmark database whose full rollups are already built (by an older tooltrack): migrates
it to this code's head without the upgrade's rebuild from `task_logs` (an hour of Python for
10 M calls on the shared machine), then computes every slim table from the full rollups, as the
store's `write_counters` does, and marks the rollups current. PostgreSQL only (key_hash in SQL,
as migration 0007 computes it). `check_slim` then compares the service's slim answers with the
full rollups' on the database.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from alembic import command
from sqlalchemy import Engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dataset import dataset_url

from tooltrack.store import alembic_config, make_engine, rollups
from tooltrack.store.rollups import KEY_HASH_DIGITS
from tooltrack.store.schema import LOG_DIMENSIONS, SLIM_DIMENSIONS, SLIM_TOOL_DIMENSIONS


def _hash(columns: Sequence[str]) -> str:
    joined = " || decode('00', 'hex') || ".join(f"convert_to({column}, 'UTF8')" for column in columns)
    return f"substr(encode(sha256({joined}), 'hex'), 1, {KEY_HASH_DIGITS})"


def _value(dimension: str) -> str:
    return dimension or "''::text"


def _by(dimension: str) -> str:
    """The GROUP BY entry of a dimension's value (none for "": a constant)."""
    return f"{dimension}, " if dimension else ""


COUNTERS = "sum(calls) calls, sum(failures) failures, sum(cancelled) cancelled, sum(timed_calls) timed_calls, " \
    "sum(total_duration_ms) total_duration_ms, max(max_duration_ms) max_duration_ms"  # fmt: skip
COUNTER_NAMES = "calls, failures, cancelled, timed_calls, total_duration_ms, max_duration_ms"


def statements() -> list[str]:
    found = []
    for d in SLIM_TOOL_DIMENSIONS:
        found.append(f"""
INSERT INTO rollup_tool_slim_daily (day, key_hash, dimension, value, workflow_template, phase_name, tool_name,
    {COUNTER_NAMES}, cost_calls, cost_tokens, cost_pico)
SELECT day, {_hash(["dimension", "value", "workflow_template", "phase_name", "tool_name"])}, dimension, value,
    workflow_template, phase_name, tool_name, {COUNTER_NAMES}, cost_calls, cost_tokens, cost_pico
FROM (SELECT day, '{d}'::text dimension, {_value(d)} value, workflow_template, phase_name, tool_name, {COUNTERS},
        sum(cost_calls) cost_calls, sum(cost_tokens) cost_tokens, sum(cost_pico) cost_pico
      FROM rollup_tool_daily GROUP BY day, {_by(d)}workflow_template, phase_name, tool_name) g""")
    for d in SLIM_DIMENSIONS:
        found.append(f"""
INSERT INTO rollup_latency_slim_daily (day, key_hash, dimension, value, tool_name, timing, bucket, calls)
SELECT day, {_hash(["dimension", "value", "tool_name", "timing"])}, dimension, value, tool_name, timing, bucket, calls
FROM (SELECT day, '{d}'::text dimension, {_value(d)} value, tool_name, timing, bucket, sum(calls) calls
      FROM rollup_latency_daily GROUP BY day, {_by(d)}tool_name, timing, bucket) g""")
        found.append(f"""
INSERT INTO rollup_command_slim_daily (day, key_hash, dimension, value, command, {COUNTER_NAMES})
SELECT day, {_hash(["dimension", "value", "command"])}, dimension, value, command, {COUNTER_NAMES}
FROM (SELECT day, '{d}'::text dimension, {_value(d)} value, command, {COUNTERS}
      FROM rollup_command_daily GROUP BY day, {_by(d)}command) g""")
        found.append(f"""
INSERT INTO rollup_repeat_daily (day, key_hash, dimension, value, kind, target, file_path, task_logs,
    redundant_calls, occurrences, wasted_ms, wasted_tokens, wasted_pico)
SELECT day, {_hash(["dimension", "value", "kind", "target"])}, dimension, value, kind, target, file_path, task_logs,
    redundant_calls, occurrences, wasted_ms, wasted_tokens, wasted_pico
FROM (SELECT day, '{d}'::text dimension, {_value(d)} value, kind, target, min(file_path) file_path,
        count(*) task_logs, sum(redundant_calls) redundant_calls, sum(occurrences) occurrences,
        sum(wasted_ms) wasted_ms, sum(wasted_tokens) wasted_tokens, sum(wasted_pico) wasted_pico
      FROM derived_redundant_targets GROUP BY day, {_by(d)}kind, target) g""")
    for d in LOG_DIMENSIONS:
        value = f"coalesce({d}, '')" if d else "''::text"
        found.append(f"""
INSERT INTO rollup_log_daily (day, key_hash, dimension, value, workflow_template, phase_name, task_logs)
SELECT day, {_hash(["dimension", "value", "workflow_template", "phase_name"])}, dimension, value,
    workflow_template, phase_name, task_logs
FROM (SELECT (coalesce(started_at, created_at) AT TIME ZONE 'UTC')::date AS day, '{d}'::text dimension,
        {value} AS value, coalesce(workflow_template, '') workflow_template, phase_name, count(*) task_logs
      FROM task_logs GROUP BY {"1, 3, 4, 5" if d else "1, 4, 5"}) g""")
    return found


def fill(engine: Engine) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")  # not tooltrack's upgrade: that rebuilds from task_logs
        for statement in statements():
            connection.execute(text(statement))
        connection.execute(
            text("UPDATE derived_state SET version = :v WHERE name = 'rollups'"), {"v": rollups.MAINTAINER.version}
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    args = parser.parse_args()
    started = time.perf_counter()
    fill(make_engine(dataset_url(args.database)))
    print(f"slim rollups filled in SQL: {time.perf_counter() - started:.1f} s")
