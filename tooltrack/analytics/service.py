"""The analytics service: every question the API and the dashboard ask, answered in one place.

Window-wide answers (summary, over-time series, sequences, histograms, failures, alerts) read the
rollups the store keeps up to date in the insert's own transaction (`tooltrack.store`'s rollups);
answers about one workflow run (redundancy, drill-down) read only that run's rows through the
`adw_id` index. All SQL is built with SQLAlchemy Core: every value is a bound parameter.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any, Final

from sqlalchemy import Connection, Engine, Select, Table, and_, func, or_, select

from tooltrack.analytics import alerts as alert_answers
from tooltrack.analytics import costs, live, mcp, recovery, repeated
from tooltrack.analytics import runs as runs_answers
from tooltrack.analytics.filters import Filters
from tooltrack.analytics.queries import (
    MAX_LIMIT,
    MAX_OFFSET,
    as_date,
    as_int,
    bounded,
    template_out,
    where,
    window_of,
)
from tooltrack.analytics.results import (
    CallStats,
    CommandStats,
    CostReport,
    DailyLatencyPoint,
    DailyToolPoint,
    DrillDown,
    DrillDownCall,
    DrillDownLog,
    ErrorKind,
    FailureReport,
    FailureRow,
    FilterOptions,
    GroupStats,
    HistogramBucket,
    LatencyHistogram,
    LiveView,
    McpReport,
    RecoveryReport,
    RedundancyAlert,
    RedundancyFinding,
    RedundancyReport,
    RepeatedWork,
    RunRepeatedWork,
    RunsPage,
    SequenceReport,
    SequenceStats,
    SlowCall,
    Summary,
    ToolStats,
    Transition,
    Window,
)
from tooltrack.analytics.slim import commands_for, duration_columns, latency_for, logs_for, tools_for
from tooltrack.core import (
    REDUNDANCY_PATTERNS,
    activity_time,
    bucket_bounds,
    call_target,
    call_time,
    duration_of,
    find_in_log,
    is_cancelled,
    is_failed,
    percentiles,
)

# `tooltrack.store` imports its rollups module, which imports this package's pure modules; taking
# the rollups as a module (not its names) keeps that import cycle harmless in either order.
from tooltrack.store import (
    SEQUENCE_LENGTHS,
    InsertedLog,
    failed_calls,
    log_daily,
    log_redundancy,
    runs,
    select_logs,
    sequence_daily,
    slow_calls,
    task_logs,
    tool_daily,
    tool_slim_daily,
)

MAX_DRILLDOWN_CALLS: Final = 50_000
MAX_ADW_ID: Final = 200
ERROR_KINDS_SHOWN: Final = 500
FAILURE_SORTS: Final = ("newest", "oldest", "tool", "kind", "duration")
#: Windows longer than this are drawn over time by ISO week (Monday), not by day.
WEEKLY_AFTER_DAYS: Final = 120
SEQUENCE_ARROW: Final = "→"


def _adw_id(value: str) -> str:
    if not value or len(value) > MAX_ADW_ID:
        raise ValueError(f"adw_id must be 1 to {MAX_ADW_ID} characters")
    return value


def call_stats(
    calls: int, failures: int, cancelled: int, timed: int, total: int, maximum: int | None
) -> dict[str, Any]:
    """The fields of CallStats from raw counters (shared by every grouping)."""
    decided = calls - cancelled
    return {
        "count": calls,
        "failures": failures,
        "cancelled": cancelled,
        "success_rate": (decided - failures) / decided if decided > 0 else None,
        "timed_count": timed,
        "total_duration_ms": total,
        "avg_duration_ms": total / timed if timed else None,
        "max_duration_ms": maximum,
    }


class _Sums:
    """Counter sums of one group (what a GROUP BY over the rollup would have returned)."""

    __slots__ = ("calls", "cancelled", "failures", "maximum", "name", "timed", "tool_name", "total")

    def __init__(self, name: str) -> None:
        self.name = self.tool_name = name
        self.calls = self.failures = self.cancelled = self.timed = self.total = 0
        self.maximum: int | None = None


def _summed(rows: Iterable[Any], column: str) -> list[_Sums]:
    """Rows of counter sums by (tool, template, phase) summed again by one of those columns."""
    groups: dict[str, _Sums] = {}
    for row in rows:
        name = getattr(row, column)
        agg = groups.get(name)
        if agg is None:
            agg = groups[name] = _Sums(name)
        agg.calls += as_int(row.calls)
        agg.failures += as_int(row.failures)
        agg.cancelled += as_int(row.cancelled)
        agg.timed += as_int(row.timed)
        agg.total += as_int(row.total)
        if row.maximum is not None and (agg.maximum is None or int(row.maximum) > agg.maximum):
            agg.maximum = int(row.maximum)
    return list(groups.values())


class AnalyticsService:
    """Answers about tool calls in one database. Cheap to make: it holds only the engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- filters -------------------------------------------------------------------------------

    @staticmethod
    def _where(table: Table, filters: Filters, *, by_tool: bool = True) -> list[Any]:
        return where(table, filters, by_tool=by_tool)

    def _window(self, filters: Filters) -> Window:
        if not filters.all_time:
            first, last = filters.window()
            return Window(start=first, end=last)
        with self.engine.connect() as connection:
            return window_of(connection, filters)

    def _rows(self, query: Select[Any]) -> list[Any]:
        with self.engine.connect() as connection:
            return list(connection.execute(query))

    # -- summary -------------------------------------------------------------------------------

    @staticmethod
    def _counter_sums(table: Table, filters: Filters | None = None) -> list[Any]:
        # The command rollup has no execution-only counters: its figures are of every timed call.
        timed, total = (
            (table.c.timed_calls, table.c.total_duration_ms) if filters is None else duration_columns(table, filters)
        )
        return [
            func.sum(table.c.calls).label("calls"),
            func.sum(table.c.failures).label("failures"),
            func.sum(table.c.cancelled).label("cancelled"),
            func.sum(timed).label("timed"),
            func.sum(total).label("total"),
            func.max(table.c.max_duration_ms).label("maximum"),
        ]

    @staticmethod
    def _stats_of(row: Any) -> dict[str, Any]:
        maximum = row.maximum
        return call_stats(
            as_int(row.calls),
            as_int(row.failures),
            as_int(row.cancelled),
            as_int(row.timed),
            as_int(row.total),
            None if maximum is None else int(maximum),
        )

    def summary(self, filters: Filters, *, top_commands: int = 20) -> Summary:
        """Per tool count, success rate, mean/p50/p95/max; top Bash commands; per template and phase."""
        bounded("top_commands", top_commands, 0, MAX_LIMIT)
        # The slim rollups when the filters allow (tooltrack.analytics.slim): the same figures.
        tools, tool_where = tools_for(filters)
        latency, latency_where = latency_for(filters)
        # One read of the tool rollup, by tool, template and phase: the three breakdowns are summed
        # from it here (a few hundred rows), not read three times.
        per_group = (
            select(
                tools.c.tool_name, tools.c.workflow_template, tools.c.phase_name, *self._counter_sums(tools, filters)
            )
            .where(*tool_where)
            .group_by(tools.c.tool_name, tools.c.workflow_template, tools.c.phase_name)
        )
        buckets = (
            select(latency.c.tool_name, latency.c.bucket, func.sum(latency.c.calls).label("calls"))
            .where(*latency_where)
            .group_by(latency.c.tool_name, latency.c.bucket)
        )
        with self.engine.connect() as connection:
            group_rows = list(connection.execute(per_group))
            bucket_rows = list(connection.execute(buckets))
            command_rows = (
                list(connection.execute(self._commands_query(filters, top_commands)))
                if filters.tool in (None, "Bash") and top_commands
                else []
            )
            workflows, logs = self._workflow_counts(connection, filters)

        tool_rows = _summed(group_rows, "tool_name")
        template_rows = _summed(group_rows, "workflow_template")
        phase_rows = _summed(group_rows, "phase_name")
        by_bucket: dict[str, list[tuple[int, int]]] = {}
        for row in bucket_rows:
            by_bucket.setdefault(row.tool_name, []).append((int(row.bucket), as_int(row.calls)))
        by_tool: dict[str, ToolStats] = {}
        for sums in sorted(tool_rows, key=lambda r: (-r.calls, r.tool_name)):
            # Held under the tool's slowest call: a bucket's representative can lie above it.
            p50, p95 = percentiles(by_bucket.get(sums.tool_name, []), (0.5, 0.95), ceiling=sums.maximum)
            by_tool[sums.tool_name] = ToolStats(
                tool_name=sums.tool_name, p50_duration_ms=p50, p95_duration_ms=p95, **self._stats_of(sums)
            )
        all_buckets = [pair for pairs in by_bucket.values() for pair in pairs]
        slowest = max((t.max_duration_ms for t in by_tool.values() if t.max_duration_ms is not None), default=None)
        p50, p95 = percentiles(all_buckets, (0.5, 0.95), ceiling=slowest)
        overall = CallStats(
            p50_duration_ms=p50,
            p95_duration_ms=p95,
            **call_stats(
                sum(t.count for t in by_tool.values()),
                sum(t.failures for t in by_tool.values()),
                sum(t.cancelled for t in by_tool.values()),
                sum(t.timed_count for t in by_tool.values()),
                sum(t.total_duration_ms for t in by_tool.values()),
                slowest,
            ),
        )
        return Summary(
            window=self._window(filters),
            total_tool_calls=overall.count,
            total_failures=overall.failures,
            total_cancelled=overall.cancelled,
            overall=overall,
            by_tool=by_tool,
            top_commands=[
                CommandStats(
                    command=row.command,
                    **{k: v for k, v in self._stats_of(row).items() if k != "cancelled"},
                )
                for row in command_rows
            ],
            by_workflow_template=self._groups(template_rows),
            by_phase=self._groups(phase_rows),
            workflows=workflows,
            task_logs=logs,
        )

    def _commands_query(self, filters: Filters, limit: int) -> Select[Any]:
        commands, conditions = commands_for(filters)
        calls = func.sum(commands.c.calls)
        return (
            select(commands.c.command, *self._counter_sums(commands))
            .where(*conditions)
            .group_by(commands.c.command)
            .order_by(calls.desc(), commands.c.command)
            .limit(limit)
        )

    def _groups(self, rows: Iterable[Any]) -> list[GroupStats]:
        ordered = sorted(rows, key=lambda r: (-as_int(r.calls), r.name))
        return [GroupStats(name=row.name, **self._stats_of(row)) for row in ordered]

    # -- over time -----------------------------------------------------------------------------

    def calls_over_time(self, filters: Filters) -> list[DailyToolPoint]:
        """Per UTC day (or week, for windows over WEEKLY_AFTER_DAYS days) and tool: calls, failures and
        durations. Every day (week) of the window has a point for every tool of the window, zero
        where it had no call, so a chart's axis shows the quiet days as quiet."""
        tools, conditions = tools_for(filters)
        query = (
            select(tools.c.day, tools.c.tool_name, *self._counter_sums(tools, filters))
            .where(*conditions)
            .group_by(tools.c.day, tools.c.tool_name)
        )
        window = self._window(filters)
        weekly = (window.end - window.start).days + 1 > WEEKLY_AFTER_DAYS
        step = 7 if weekly else 1

        def bucket(day: date) -> date:
            return day - timedelta(days=day.weekday()) if weekly else day

        sums: dict[tuple[date, str], list[int]] = {}
        for row in self._rows(query):
            agg = sums.setdefault((bucket(as_date(row.day)), row.tool_name), [0, 0, 0, 0, 0])
            for index, value in enumerate((row.calls, row.failures, row.cancelled, row.timed, row.total)):
                agg[index] += as_int(value)
        names = sorted({name for _, name in sums})
        points = []
        day = bucket(window.start)
        while day <= window.end:
            for name in names:
                calls, failures, cancelled, timed, total = sums.get((day, name), (0, 0, 0, 0, 0))
                decided = calls - cancelled
                points.append(
                    DailyToolPoint(
                        day=day,
                        tool_name=name,
                        calls=calls,
                        failures=failures,
                        cancelled=cancelled,
                        failure_rate=failures / decided if decided > 0 else None,
                        timed_calls=timed,
                        total_duration_ms=total,
                        avg_duration_ms=total / timed if timed else None,
                        interval_days=step,
                    )
                )
            if (window.end - day).days < step:
                break  # the last bucket (and no date past the calendar's end)
            day += timedelta(days=step)
        return points

    def failure_rate_over_time(self, filters: Filters) -> list[DailyToolPoint]:
        """Per UTC day and tool: calls, failures and the failure rate (failures / non-cancelled calls)."""
        return self.calls_over_time(filters)

    # -- failures ------------------------------------------------------------------------------

    def failures(
        self,
        filters: Filters,
        *,
        limit: int = 100,
        offset: int = 0,
        error_kind: str | None = None,
        contains: str | None = None,
        adw_id: str | None = None,
        sort: str = "newest",
    ) -> FailureReport:
        """Failing calls (sorted, newest first by default) and their error kinds with counts, over every
        failure that matches: the window and filters, and optionally one error kind, a text the
        message contains (case-insensitive) and one run. The kinds are counted with the same filters
        except `error_kind` itself, so they can be picked from."""
        bounded("limit", limit, 1, MAX_LIMIT)
        bounded("offset", offset, 0, MAX_OFFSET)
        if sort not in FAILURE_SORTS:
            raise ValueError(f"sort must be one of {', '.join(FAILURE_SORTS)}, not {sort!r}")
        failed = failed_calls
        narrowed = self._where(failed, filters)
        if adw_id is not None:
            narrowed.append(failed.c.adw_id == _adw_id(adw_id))
        if contains:
            if len(contains) > MAX_ADW_ID or "\x00" in contains:
                raise ValueError(f"contains must be 1 to {MAX_ADW_ID} characters without NUL")
            text = contains.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").lower()
            narrowed.append(func.lower(failed.c.error_message).like(f"%{text}%", escape="\\"))
        where = [*narrowed, failed.c.error_kind == error_kind] if error_kind is not None else narrowed
        newest = (failed.c.occurred_at.desc(), failed.c.task_log_id.desc(), failed.c.call_index.desc())
        order = {
            "newest": newest,
            "oldest": (failed.c.occurred_at.asc(), failed.c.task_log_id.asc(), failed.c.call_index.asc()),
            "tool": (failed.c.tool_name.asc(), *newest),
            "kind": (failed.c.error_kind.asc(), *newest),
            "duration": (failed.c.duration_ms.desc().nulls_last(), *newest),
        }[sort]
        page = select(failed).where(*where).order_by(*order).limit(limit).offset(offset)
        count = func.count()
        kinds = (
            select(
                failed.c.tool_name,
                failed.c.error_kind,
                count.label("failures"),
                func.min(failed.c.error_message).label("example"),
                func.max(failed.c.occurred_at).label("last_seen"),
            )
            .where(*narrowed)
            .group_by(failed.c.tool_name, failed.c.error_kind)
            .order_by(count.desc(), failed.c.tool_name, failed.c.error_kind)
            .limit(ERROR_KINDS_SHOWN)
        )
        with self.engine.connect() as connection:
            total = connection.execute(select(func.count()).select_from(failed).where(*where)).scalar_one()
            rows = connection.execute(page).mappings().all()
            kind_rows = connection.execute(kinds).all()
        return FailureReport(
            window=self._window(filters),
            total=int(total),
            rows=[
                FailureRow(
                    **{k: v for k, v in row.items() if k not in ("day", "workflow_template")},
                    workflow_template=template_out(row["workflow_template"]),
                )
                for row in rows
            ],
            kinds=[
                ErrorKind(
                    tool_name=r.tool_name,
                    error_kind=r.error_kind,
                    count=int(r.failures),
                    example=r.example,
                    last_seen=r.last_seen,
                )
                for r in kind_rows
            ],
            limit=limit,
            offset=offset,
        )

    def recovery(self, filters: Filters) -> RecoveryReport:
        """What agents did after each matching failure and how soon they recovered, per error kind
        and tool (tooltrack.analytics.recovery)."""
        with self.engine.connect() as connection:
            return recovery.report(connection, filters)

    # -- live ------------------------------------------------------------------------------------

    def call_feed(self, filters: Filters, after: live.Cursor | None = None) -> live.CallFeed:
        """The calls stored after `after` (default: from now on), in storing order, poll by poll
        (tooltrack.analytics.live; the stream endpoint's source)."""
        return live.CallFeed(self.engine, filters, after)

    def live_view(self, filters: Filters, *, minutes: int = 10, active_minutes: int = 5, limit: int = 200) -> LiveView:
        """The last minutes: calls newest first, failures, and the sessions running now with their
        current tool and elapsed time (the narrowing filters apply, the window does not)."""
        with self.engine.connect() as connection:
            return live.live_view(connection, filters, minutes=minutes, active_minutes=active_minutes, limit=limit)

    # -- one workflow run ----------------------------------------------------------------------

    @staticmethod
    def _run_query(adw_id: str) -> Select[Any]:
        return (
            select(task_logs)
            .where(task_logs.c.adw_id == adw_id)
            .order_by(task_logs.c.phase_number.nulls_last(), task_logs.c.started_at, task_logs.c.id)
        )

    def redundancy(self, adw_id: str) -> RedundancyReport:
        """Re-reads, re-runs and runs of edits in one workflow run (see tooltrack.core.redundancy)."""
        _adw_id(adw_id)
        query = (
            select(task_logs.c.phase_name, task_logs.c.tool_calls)
            .where(task_logs.c.adw_id == adw_id)
            .order_by(task_logs.c.phase_number.nulls_last(), task_logs.c.started_at, task_logs.c.id)
        )
        merged: dict[tuple[str, str], dict[str, Any]] = {}
        logs = calls = 0
        for row in self._rows(query):
            logs += 1
            log_calls = row.tool_calls or []
            calls += len(log_calls)
            for tally in find_in_log(log_calls):
                entry = merged.setdefault(
                    (tally.kind, tally.target),
                    {
                        "kind": tally.kind,
                        "target": tally.target,
                        "file_path": tally.file_path,
                        "command": tally.command,
                        "count": 0,
                        "occurrences": 0,
                        "wasted": 0,
                        "phases": [],
                    },
                )
                entry["count"] += tally.count
                entry["occurrences"] += tally.occurrences
                entry["wasted"] += tally.wasted_ms
                if row.phase_name not in entry["phases"]:
                    entry["phases"].append(row.phase_name)
        findings = []
        for entry in sorted(merged.values(), key=lambda e: (-e["wasted"], -e["count"], e["kind"], e["target"])):
            pattern, suggestion = REDUNDANCY_PATTERNS[entry["kind"]]
            findings.append(
                RedundancyFinding(
                    kind=entry["kind"],
                    pattern=pattern,
                    target=entry["target"],
                    file_path=entry["file_path"],
                    command=entry["command"],
                    count=entry["count"],
                    occurrences=entry["occurrences"],
                    wasted_duration_ms=entry["wasted"],
                    total_duration_ms=entry["wasted"],
                    phases=entry["phases"],
                    suggestion=suggestion,
                )
            )
        return RedundancyReport(
            adw_id=adw_id,
            task_logs=logs,
            tool_calls=calls,
            redundant_calls=sum(f.count for f in findings),
            wasted_duration_ms=sum(f.wasted_duration_ms for f in findings),
            redundancies=findings,
        )

    def redundancy_alerts(self, filters: Filters, *, limit: int = 20) -> list[RedundancyAlert]:
        """The workflow runs that wasted most time on repeated work in the window (tool filter ignored)."""
        bounded("limit", limit, 1, MAX_LIMIT)
        table = log_redundancy
        wasted = func.sum(table.c.wasted_ms)
        query = (
            select(
                table.c.adw_id,
                func.max(table.c.workflow_template).label("workflow_template"),
                func.sum(table.c.redundant_calls).label("redundant_calls"),
                wasted.label("wasted"),
                func.count().label("logs"),
                func.max(table.c.day).label("last_day"),
            )
            .where(*self._where(table, filters, by_tool=False))
            .group_by(table.c.adw_id)
            .order_by(wasted.desc(), table.c.adw_id)
            .limit(limit)
        )
        return [
            RedundancyAlert(
                adw_id=row.adw_id,
                workflow_template=template_out(row.workflow_template),
                redundant_calls=as_int(row.redundant_calls),
                wasted_duration_ms=as_int(row.wasted),
                task_logs=int(row.logs),
                last_day=as_date(row.last_day),
            )
            for row in self._rows(query)
        ]

    def drilldown(self, adw_id: str, *, max_calls: int = MAX_DRILLDOWN_CALLS) -> DrillDown:
        """Every task log and call of one workflow run, in order (at most `max_calls` calls in all)."""
        _adw_id(adw_id)
        bounded("max_calls", max_calls, 1, MAX_DRILLDOWN_CALLS)
        logs: list[DrillDownLog] = []
        budget, total, failures, truncated = max_calls, 0, 0, False
        for row in self._rows(self._run_query(adw_id)):
            stored = row.tool_calls or []
            moment = activity_time(row.started_at, row.created_at)
            kept = stored[:budget]
            truncated = truncated or len(kept) < len(stored)
            budget -= len(kept)
            calls = []
            for index, call in enumerate(kept):
                failed = is_failed(call)
                failures += failed
                calls.append(
                    DrillDownCall(
                        index=index,
                        tool_name=str(call.get("tool_name")),
                        target=call_target(call),
                        duration_ms=duration_of(call),
                        success=bool(call.get("success")),
                        outcome=call.get("outcome"),
                        failed=failed,
                        cancelled=is_cancelled(call),
                        timestamp=call_time(call, moment) if call.get("timestamp") else None,
                        turn_id=call.get("turn_id"),
                        error_message=call.get("error_message"),
                        details=call,
                    )
                )
            total += len(calls)
            logs.append(
                DrillDownLog(
                    id=row.id,
                    phase_name=row.phase_name,
                    phase_number=row.phase_number,
                    phase_status=row.phase_status,
                    workflow_template=row.workflow_template,
                    started_at=row.started_at,
                    completed_at=row.completed_at,
                    duration_seconds=row.duration_seconds,
                    cost_usd=row.cost_usd,
                    tokens_used=row.tokens_used,
                    error_message=row.error_message,
                    log_message=row.log_message,
                    tool_call_count=len(stored),
                    calls=calls,
                    time_source=row.time_source,
                )
            )
        return DrillDown(adw_id=adw_id, task_logs=logs, tool_calls=total, failures=failures, truncated=truncated)

    # -- sequences -----------------------------------------------------------------------------

    def sequences(self, filters: Filters, *, n: int = 3, min_count: int = 10, limit: int = 100) -> SequenceReport:
        """The commonest n-grams of tools in call order (n = 2 or 3), and the transitions for a Sankey.

        With a tool filter, only n-grams (and transitions) that contain the tool are counted.
        """
        if n not in SEQUENCE_LENGTHS:
            raise ValueError(f"n must be one of {SEQUENCE_LENGTHS}, not {n!r}")
        bounded("min_count", min_count, 1, 1_000_000_000)
        bounded("limit", limit, 1, MAX_LIMIT)
        table = sequence_daily
        where = self._where(table, filters, by_tool=False)
        if filters.tool is not None:
            tool = filters.tool
            where.append(or_(table.c.tool_1 == tool, table.c.tool_2 == tool, table.c.tool_3 == tool))
        occurrences = func.sum(table.c.occurrences)
        grams = (
            select(
                table.c.tool_1,
                table.c.tool_2,
                table.c.tool_3,
                occurrences.label("occurrences"),
                func.sum(table.c.successes).label("successes"),
                func.sum(table.c.timed).label("timed"),
                func.sum(table.c.total_duration_ms).label("total"),
            )
            .where(*where, table.c.n == n)
            .group_by(table.c.tool_1, table.c.tool_2, table.c.tool_3)
            .having(occurrences >= min_count)
            .order_by(occurrences.desc(), table.c.tool_1, table.c.tool_2, table.c.tool_3)
            .limit(limit)
        )
        pairs = (
            select(table.c.tool_1, table.c.tool_2, occurrences.label("occurrences"))
            .where(*where, table.c.n == 2)
            .group_by(table.c.tool_1, table.c.tool_2)
            .having(occurrences >= min_count)
            .order_by(occurrences.desc(), table.c.tool_1, table.c.tool_2)
            .limit(MAX_LIMIT)
        )
        with self.engine.connect() as connection:
            gram_rows = list(connection.execute(grams))
            pair_rows = list(connection.execute(pairs))
        sequences = []
        for row in gram_rows:
            tools = [row.tool_1, row.tool_2, row.tool_3][:n]
            count, timed = as_int(row.occurrences), as_int(row.timed)
            sequences.append(
                SequenceStats(
                    sequence=SEQUENCE_ARROW.join(tools),
                    tools=tools,
                    count=count,
                    avg_duration_ms=as_int(row.total) / timed if timed else None,
                    success_rate=as_int(row.successes) / count if count else None,
                )
            )
        return SequenceReport(
            window=self._window(filters),
            n=n,
            min_count=min_count,
            sequences=sequences,
            transitions=[Transition(source=r.tool_1, target=r.tool_2, count=as_int(r.occurrences)) for r in pair_rows],
        )

    # -- slowest calls -------------------------------------------------------------------------

    def slowest_calls(self, filters: Filters, *, limit: int = 50) -> list[SlowCall]:
        """The slowest calls in the window, slowest first.

        Calls of at least `SLOW_CALL_MS` are kept in their own table; when the window holds
        fewer than `limit` of them, the answer is computed from `task_logs` instead (exact either way).
        """
        bounded("limit", limit, 1, MAX_LIMIT)
        slow = slow_calls
        query = (
            select(slow)
            .where(*self._where(slow, filters))
            .order_by(slow.c.duration_ms.desc(), slow.c.task_log_id, slow.c.call_index)
            .limit(limit)
        )
        with self.engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        if len(rows) == limit:
            return [
                SlowCall(
                    **{k: v for k, v in row.items() if k not in ("day", "workflow_template")},
                    workflow_template=template_out(row["workflow_template"]),
                )
                for row in rows
            ]
        return self._slowest_from_task_logs(filters, limit)

    @staticmethod
    def _log_conditions(filters: Filters) -> list[Any]:
        """The window, template and phase filters over `task_logs` itself (activity time)."""
        start, end = filters.time_range()
        moment = func.coalesce(task_logs.c.started_at, task_logs.c.created_at)
        conditions = [moment >= start, moment < end]
        if filters.workflow_template is not None:
            conditions.append(
                task_logs.c.workflow_template.is_(None)
                if filters.workflow_template == ""
                else task_logs.c.workflow_template == filters.workflow_template
            )
        if filters.phase is not None:
            conditions.append(task_logs.c.phase_name == filters.phase)
        for field in ("project", "agent"):
            value = getattr(filters, field)
            if value is not None:
                column = task_logs.c[field]
                conditions.append(column.is_(None) if value == "" else column == value)
        return conditions

    def _workflow_counts(self, connection: Connection, filters: Filters) -> tuple[int, int]:
        """(runs, task logs) in the window; reads task_logs' plain columns and the runs, never the JSON.

        Runs come from `derived_runs` (those with activity in the window), unless a phase narrows
        the question, which runs do not carry: then the distinct adw_ids of the window's logs.
        """
        logs = self._log_count(connection, filters)
        if filters.phase is not None or filters.model is not None:
            query = select(func.count(task_logs.c.adw_id.distinct())).where(*self._log_conditions(filters))
            return int(connection.execute(query).scalar_one()), int(logs)
        return runs_answers.count(connection, filters), int(logs)

    def _log_count(self, connection: Connection, filters: Filters) -> int:
        """The task logs in the window, from `rollup_log_daily` unless both project and agent narrow
        them (then from `task_logs`). The model does not narrow task logs (`_log_conditions`)."""
        conditions = logs_for(filters)
        if conditions is None:
            return int(connection.execute(select(func.count()).where(*self._log_conditions(filters))).scalar_one())
        return as_int(connection.execute(select(func.sum(log_daily.c.task_logs)).where(*conditions)).scalar())

    def _slowest_from_task_logs(self, filters: Filters, limit: int) -> list[SlowCall]:
        query = select_logs().where(and_(*self._log_conditions(filters)))
        best: list[tuple[int, int, int, SlowCall]] = []
        with self.engine.connect() as connection:
            for row in connection.execution_options(yield_per=500).execute(query):
                log = InsertedLog.from_row(row)
                when = activity_time(log.started_at, log.created_at)
                for index, call in enumerate(log.tool_calls):
                    duration = duration_of(call)
                    if duration is None or (filters.tool is not None and call.get("tool_name") != filters.tool):
                        continue
                    # Keep the `limit` slowest; ties go to the earlier log and call, as in SQL above.
                    entry = (duration, -log.id, -index)
                    if len(best) == limit and entry <= best[0][:3]:
                        continue
                    item = SlowCall(
                        task_log_id=log.id,
                        call_index=index,
                        adw_id=log.adw_id,
                        workflow_template=log.workflow_template,
                        phase_name=log.phase_name,
                        tool_name=str(call.get("tool_name")),
                        target=call_target(call),
                        duration_ms=duration,
                        success=not is_failed(call),
                        occurred_at=call_time(call, when),
                    )
                    if len(best) < limit:
                        heapq.heappush(best, (*entry, item))
                    else:
                        heapq.heapreplace(best, (*entry, item))
        return [item for *_, item in sorted(best, key=lambda e: e[:3], reverse=True)]

    # -- filter choices and histograms ---------------------------------------------------------

    # -- runs, cost, MCP servers, repeated work (one module each) --------------------------------

    def runs(
        self,
        filters: Filters,
        *,
        outcome: str | None = None,
        search: str | None = None,
        sort: str = "last_at",
        descending: bool = True,
        limit: int = 50,
        offset: int = 0,
    ) -> RunsPage:
        """Runs newest first (or as sorted), paged, filtered and searched (see tooltrack.analytics.runs)."""
        with self.engine.connect() as connection:
            return runs_answers.page(
                connection,
                filters,
                outcome=outcome,
                search=search,
                sort=sort,
                descending=descending,
                limit=limit,
                offset=offset,
            )

    def resolve_run(self, prefix: str) -> list[str]:
        """The stored adw_ids that start with `prefix` (one when the prefix is unique; at most 11)."""
        with self.engine.connect() as connection:
            exact = connection.execute(select(runs.c.adw_id).where(runs.c.adw_id == prefix)).scalar_one_or_none()
            return [exact] if exact is not None else runs_answers.resolve(connection, prefix)

    def cost(self, filters: Filters, *, top: int = 20) -> CostReport:
        """Where tokens and money went, attributed to calls, by every dimension (tooltrack.analytics.costs)."""
        with self.engine.connect() as connection:
            return costs.report(connection, filters, top=top)

    def mcp_servers(self, filters: Filters) -> McpReport:
        """Per MCP server: calls, failures, latency, cost, and the sessions that loaded and used it."""
        with self.engine.connect() as connection:
            return mcp.report(connection, filters)

    def repeated_work(self, filters: Filters, *, top: int = 20) -> RepeatedWork:
        """Repeated work in the window, totalled over all of it and broken down (tooltrack.analytics.repeated)."""
        with self.engine.connect() as connection:
            return repeated.report(connection, filters, top=top)

    def alerts(
        self, filters: Filters, *, rule: str | None = None, limit: int = 50, offset: int = 0
    ) -> alert_answers.AlertsPage:
        """Alerts in the window, newest first, with counts per rule over all of them (tooltrack.analytics.alerts)."""
        with self.engine.connect() as connection:
            return alert_answers.page(connection, filters, rule=rule, limit=limit, offset=offset)

    def repeated_work_of_run(self, adw_id: str, filters: Filters) -> RunRepeatedWork:
        """One run's repeated work under the same window and filters as `repeated_work`."""
        _adw_id(adw_id)
        with self.engine.connect() as connection:
            return repeated.run_report(connection, adw_id, filters)

    def filter_options(self) -> FilterOptions:
        """The templates, phases and tools present, and the first and last day with data."""
        tools, slim = tool_daily, tool_slim_daily
        with self.engine.connect() as connection:

            def values(column: Any, dimension: str = "") -> list[str]:
                # From the slim rollup: the rows of no dimension hold every template, phase and
                # tool; a dimension's rows hold its values.
                query = select(column).where(slim.c.dimension == dimension).distinct()
                return sorted(connection.execute(query).scalars().all())

            first, last = connection.execute(select(func.min(tools.c.day), func.max(tools.c.day))).one()
            return FilterOptions(
                workflow_templates=values(slim.c.workflow_template),
                phases=values(slim.c.phase_name),
                tools=values(slim.c.tool_name),
                first_day=as_date(first) if first is not None else None,
                last_day=as_date(last) if last is not None else None,
                projects=[v for v in values(slim.c.value, "project") if v],
                models=[v for v in values(slim.c.value, "model") if v],
                agents=[v for v in values(slim.c.value, "agent") if v],
            )

    def latency_histogram(self, filters: Filters, tool: str | None = None) -> LatencyHistogram:
        """The latency distribution of `tool` (default: the filters' tool, else all tools)."""
        chosen = tool if tool is not None else filters.tool
        latency, where = latency_for(filters, by_tool=False)
        if chosen is not None:
            where.append(latency.c.tool_name == chosen)
        query = (
            select(latency.c.bucket, func.sum(latency.c.calls).label("calls"))
            .where(*where)
            .group_by(latency.c.bucket)
            .order_by(latency.c.bucket)
        )
        pairs = [(int(r.bucket), as_int(r.calls)) for r in self._rows(query)]
        # The slowest call of the same calls, from the per-tool rollup: no estimate reads above it.
        tools, slowest_where = tools_for(filters, by_tool=False)
        if chosen is not None:
            slowest_where.append(tools.c.tool_name == chosen)
        with self.engine.connect() as connection:
            slowest = connection.execute(select(func.max(tools.c.max_duration_ms)).where(*slowest_where)).scalar()
        p50, p95, p99 = percentiles(pairs, (0.5, 0.95, 0.99), ceiling=slowest)
        buckets = []
        for bucket, count in pairs:
            lower, upper = bucket_bounds(bucket)
            buckets.append(HistogramBucket(lower_ms=lower, upper_ms=upper, count=count))
        return LatencyHistogram(
            window=self._window(filters),
            tool=chosen,
            count=sum(c for _, c in pairs),
            p50_duration_ms=p50,
            p95_duration_ms=p95,
            p99_duration_ms=p99,
            buckets=buckets,
        )

    # -- latency over time ---------------------------------------------------------------------

    def latency_over_time(self, filters: Filters) -> list[DailyLatencyPoint]:
        """Per UTC day and tool: p50 and p95 from the latency rollup, held under the day's max.

        Ordered by day, then tool. A day on which a tool had no timed call has no point (a
        percentile of nothing is unknown, not zero).
        """
        latency, latency_where = latency_for(filters)
        tools, tool_where = tools_for(filters)
        buckets = (
            select(latency.c.day, latency.c.tool_name, latency.c.bucket, func.sum(latency.c.calls).label("calls"))
            .where(*latency_where)
            .group_by(latency.c.day, latency.c.tool_name, latency.c.bucket)
        )
        maxima = (
            select(tools.c.day, tools.c.tool_name, func.max(tools.c.max_duration_ms).label("maximum"))
            .where(*tool_where)
            .group_by(tools.c.day, tools.c.tool_name)
        )
        with self.engine.connect() as connection:
            bucket_rows = list(connection.execute(buckets))
            slowest = {(as_date(r.day), r.tool_name): r.maximum for r in connection.execute(maxima)}
        by_key: dict[tuple[date, str], list[tuple[int, int]]] = {}
        for row in bucket_rows:
            by_key.setdefault((as_date(row.day), row.tool_name), []).append((int(row.bucket), as_int(row.calls)))
        points = []
        for key in sorted(by_key):
            pairs = by_key[key]
            maximum = slowest.get(key)
            p50, p95 = percentiles(pairs, (0.5, 0.95), ceiling=maximum)
            if p50 is None or p95 is None:
                continue
            points.append(
                DailyLatencyPoint(
                    day=key[0],
                    tool_name=key[1],
                    timed_calls=sum(c for _, c in pairs),
                    p50_duration_ms=p50,
                    p95_duration_ms=p95,
                    max_duration_ms=None if maximum is None else int(maximum),
                )
            )
        return points
