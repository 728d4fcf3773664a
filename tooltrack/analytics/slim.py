"""Which rollup an answer reads: the slim one when the filters allow, else the full one.

The full rollups carry every group column (template, phase, project, agent, model), so at 10 M calls
they hold millions of rows and an answer over all of them reads them all. The slim rollups
(`tooltrack.store` schema, migration 0013) hold the same counts with the group columns folded into
one (dimension, value) pair: with no group filter an answer reads the rows of dimension "", with
one it reads that dimension's rows of its value. Both give the same figures (the store fills the
slim tables from the full ones' counters); only answers with several group filters read the full
tables. Every answer picks its table here, so the rule is in one place.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import Table

from tooltrack.analytics.filters import Filters
from tooltrack.analytics.queries import FILTER_COLUMNS, where
from tooltrack.store import (
    SLIM_TABLES,
    command_daily,
    command_slim_daily,
    latency_daily,
    latency_slim_daily,
    log_daily,
    repeat_daily,
    tool_daily,
    tool_slim_daily,
)

#: The group filters the slim tool rollup folds (template and phase are columns of it).
TOOL_FOLDED: Final = ("project", "agent", "model")
#: The group filters the task-log counts fold (the model does not narrow task logs: a log has several).
LOG_FOLDED: Final = ("project", "agent")


def group_filters(filters: Filters, fields: tuple[str, ...] = tuple(FILTER_COLUMNS)) -> list[tuple[str, str]]:
    """The set group filters among `fields`, as (rollup column, value)."""
    return [(FILTER_COLUMNS[f], v) for f in fields if (v := getattr(filters, f)) is not None]


def _slim(table: Table, filters: Filters, folded: tuple[str, ...], *, by_tool: bool) -> list[Any] | None:
    """The conditions on a slim `table` for `filters`, or None when more than one folded filter is set."""
    chosen = group_filters(filters, folded)
    if len(chosen) > 1:
        return None
    dimension, value = chosen[0] if chosen else ("", "")
    assert dimension in SLIM_TABLES[table.name]
    return [*where(table, filters, by_tool=by_tool), table.c.dimension == dimension, table.c.value == value]


def tools_for(filters: Filters, *, by_tool: bool = True) -> tuple[Table, list[Any]]:
    """The tool rollup to read for `filters` and the conditions on it (calls, failures, durations, cost).

    Execution-only timing (`filters.timing == "exec"`) reads the full rollup: only it keeps the
    execution-only duration counters (`duration_columns` picks them).
    """
    if filters.timing == "exec":
        return tool_daily, where(tool_daily, filters, by_tool=by_tool)
    conditions = _slim(tool_slim_daily, filters, TOOL_FOLDED, by_tool=by_tool)
    if conditions is None:
        return tool_daily, where(tool_daily, filters, by_tool=by_tool)
    return tool_slim_daily, conditions


def latency_for(filters: Filters, *, by_tool: bool = True) -> tuple[Table, list[Any]]:
    """The latency rollup to read for `filters` and the conditions on it (the histogram buckets;
    execution-only buckets alone when `filters.timing` is "exec")."""
    table = latency_slim_daily
    conditions = _slim(latency_slim_daily, filters, tuple(FILTER_COLUMNS), by_tool=by_tool)
    if conditions is None:
        table, conditions = latency_daily, where(latency_daily, filters, by_tool=by_tool)
    if filters.timing == "exec":
        conditions = [*conditions, table.c.timing == "exec"]
    return table, conditions


def duration_columns(table: Table, filters: Filters) -> tuple[Any, Any]:
    """The timed-call count and total duration columns of a tool rollup for `filters.timing`."""
    if filters.timing == "exec":
        assert table is tool_daily, "execution-only counters live in rollup_tool_daily (tools_for)"
        return table.c.exec_timed_calls, table.c.exec_total_duration_ms
    return table.c.timed_calls, table.c.total_duration_ms


def commands_for(filters: Filters) -> tuple[Table, list[Any]]:
    """The Bash command rollup to read for `filters` and the conditions on it."""
    conditions = _slim(command_slim_daily, filters, tuple(FILTER_COLUMNS), by_tool=False)
    if conditions is None:
        return command_daily, where(command_daily, filters, by_tool=False)
    return command_slim_daily, conditions


def repeats_for(filters: Filters) -> list[Any] | None:
    """The conditions on `rollup_repeat_daily` for `filters`; None: read `derived_redundant_targets`."""
    return _slim(repeat_daily, filters, tuple(FILTER_COLUMNS), by_tool=False)


def tool_breakdowns_for(filters: Filters) -> list[Any] | None:
    """The conditions on the slim tool rollup, beside a dimension, for breakdowns by every dimension
    (the cost report); None when a project, agent or model filter is set: read `rollup_tool_daily`."""
    if group_filters(filters, TOOL_FOLDED) or _slim(tool_slim_daily, filters, TOOL_FOLDED, by_tool=True) is None:
        return None
    return where(tool_slim_daily, filters)


def logs_for(filters: Filters) -> list[Any] | None:
    """The conditions on `rollup_log_daily` for `filters`; None: count `task_logs` itself."""
    return _slim(log_daily, filters, LOG_FOLDED, by_tool=False)
