"""Repeated work over a window: true totals, by pattern, template and week, and the top targets.

Summed over every matching task log's row of `derived_log_redundancy` (one per log with repeated
work) and `derived_redundant_targets` (one per log and repeated target), never over a top list:
"runs with repeated work" is how many runs had any, whatever a page shows of them. The tool
filter does not apply (repeated work spans tools: a Read repeated after an Edit).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, func, select

from tooltrack.analytics.costs import costliest_repeats
from tooltrack.analytics.filters import Filters
from tooltrack.analytics.queries import as_date, as_int, usd, where, window_of
from tooltrack.analytics.results import RepeatedGroup, RepeatedWork
from tooltrack.core import REDUNDANCY_PATTERNS
from tooltrack.store import log_redundancy, redundant_targets


def _group(name: str, rows: Sequence[Any]) -> RepeatedGroup:
    return RepeatedGroup(
        name=name,
        runs=len({row.adw_id for row in rows}),
        redundant_calls=sum(as_int(row.calls) for row in rows),
        wasted_duration_ms=sum(as_int(row.ms) for row in rows),
        wasted_tokens=sum(as_int(row.tokens) for row in rows),
        wasted_cost_usd=usd(sum(as_int(row.pico) for row in rows)),
    )


def week_of(day: date) -> date:
    """The Monday that starts `day`'s ISO week."""
    return day - timedelta(days=day.weekday())


def report(connection: Connection, filters: Filters, *, top: int = 20) -> RepeatedWork:
    """The window's repeated work in total and broken down (see the module)."""
    logs, targets = log_redundancy, redundant_targets
    # Per run, template and day: the rows are few (one per log with repeated work), and runs must
    # be counted distinct across groups, so they are summed here.
    per_log = connection.execute(
        select(
            logs.c.adw_id,
            logs.c.workflow_template,
            logs.c.day,
            func.sum(logs.c.redundant_calls).label("calls"),
            func.sum(logs.c.wasted_ms).label("ms"),
            func.sum(logs.c.wasted_tokens).label("tokens"),
            func.sum(logs.c.wasted_pico).label("pico"),
            func.count().label("logs"),
        )
        .where(*where(logs, filters, by_tool=False))
        .group_by(logs.c.adw_id, logs.c.workflow_template, logs.c.day)
    ).all()
    per_pattern = connection.execute(
        select(
            targets.c.kind,
            targets.c.adw_id,
            func.sum(targets.c.redundant_calls).label("calls"),
            func.sum(targets.c.wasted_ms).label("ms"),
            func.sum(targets.c.wasted_tokens).label("tokens"),
            func.sum(targets.c.wasted_pico).label("pico"),
        )
        .where(*where(targets, filters, by_tool=False))
        .group_by(targets.c.kind, targets.c.adw_id)
    ).all()
    by_template: dict[str, list[Any]] = defaultdict(list)
    by_week: dict[date, list[Any]] = defaultdict(list)
    by_pattern: dict[str, list[Any]] = defaultdict(list)
    for row in per_log:
        by_template[row.workflow_template or "(none)"].append(row)
        by_week[week_of(as_date(row.day))].append(row)
    for row in per_pattern:
        by_pattern[REDUNDANCY_PATTERNS[row.kind][0]].append(row)
    total = _group("all", per_log)
    return RepeatedWork(
        window=window_of(connection, filters),
        runs=total.runs,
        task_logs=sum(as_int(row.logs) for row in per_log),
        redundant_calls=total.redundant_calls,
        wasted_duration_ms=total.wasted_duration_ms,
        wasted_tokens=total.wasted_tokens,
        wasted_cost_usd=total.wasted_cost_usd,
        by_pattern=sorted(
            (_group(name, rows) for name, rows in by_pattern.items()), key=lambda g: (-g.redundant_calls, g.name)
        ),
        by_workflow_template=sorted(
            (_group(name, rows) for name, rows in by_template.items()), key=lambda g: (-g.redundant_calls, g.name)
        ),
        by_week=[_group(week.isoformat(), by_week[week]) for week in sorted(by_week)],
        top_targets=costliest_repeats(connection, filters, limit=top),
    )
