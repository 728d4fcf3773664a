"""Repeated work over a window: true totals, by pattern, template and week, and the top targets.

Summed over every matching task log's row of `derived_log_redundancy` (one per log with repeated
work) and `derived_redundant_targets` (one per log and repeated target), never over a top list:
"runs with repeated work" is how many runs had any, whatever a page shows of them. The tool
filter does not apply (repeated work spans tools: a Read repeated after an Edit). One run's detail
(`run_report`) reads the same rows under the same filters, so it agrees with its row of the list.
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
from tooltrack.analytics.results import RepeatedGroup, RepeatedWork, RunRepeatedTarget, RunRepeatedWork
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


def run_report(connection: Connection, adw_id: str, filters: Filters) -> RunRepeatedWork:
    """One run's repeated targets under the window and filters, costliest in time first."""
    targets = redundant_targets
    rows = connection.execute(
        select(targets)
        .where(*where(targets, filters, by_tool=False), targets.c.adw_id == adw_id)
        .order_by(targets.c.task_log_id, targets.c.kind, targets.c.target)
    ).mappings()
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    logs: set[int] = set()
    for row in rows:
        logs.add(row["task_log_id"])
        entry = merged.setdefault(
            (row["kind"], row["target"]),
            {
                "file_path": row["file_path"],
                "calls": 0,
                "occurrences": 0,
                "ms": 0,
                "tokens": 0,
                "pico": 0,
                "phases": [],
            },
        )
        entry["calls"] += as_int(row["redundant_calls"])
        entry["occurrences"] += as_int(row["occurrences"])
        entry["ms"] += as_int(row["wasted_ms"])
        entry["tokens"] += as_int(row["wasted_tokens"])
        entry["pico"] += as_int(row["wasted_pico"])
        if row["phase_name"] not in entry["phases"]:
            entry["phases"].append(row["phase_name"])
    found = [
        RunRepeatedTarget(
            kind=kind,  # type: ignore[arg-type]
            pattern=REDUNDANCY_PATTERNS[kind][0],
            target=target,
            file_path=entry["file_path"],
            redundant_calls=entry["calls"],
            occurrences=entry["occurrences"],
            wasted_duration_ms=entry["ms"],
            wasted_tokens=entry["tokens"],
            wasted_cost_usd=usd(entry["pico"]),
            phases=entry["phases"],
            suggestion=REDUNDANCY_PATTERNS[kind][1],
        )
        for (kind, target), entry in merged.items()
    ]
    found.sort(key=lambda t: (-t.wasted_duration_ms, -t.redundant_calls, t.kind, t.target))
    return RunRepeatedWork(
        adw_id=adw_id,
        task_logs=len(logs),
        redundant_calls=sum(t.redundant_calls for t in found),
        wasted_duration_ms=sum(t.wasted_duration_ms for t in found),
        wasted_tokens=sum(t.wasted_tokens for t in found),
        wasted_cost_usd=usd(sum(entry["pico"] for entry in merged.values())),
        targets=found,
    )
