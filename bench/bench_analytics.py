"""Analytics speed at 10 M calls on PostgreSQL, beside the specification's own SQL on the same data.

    python bench/bench_analytics.py [--logs 100000] [--calls-per-log 100] [--database NAME]
                                    [--server URL] [--rebuild] [--skip-spec]
    python bench/bench_analytics.py --database tooltrack_bench_1m --skip-spec   # another data set
    (or: make bench / python bench/run.py analytics; --help prints this and builds nothing)

Uses the data set of bench/dataset.py (built once, about 10 minutes, then reused). Prints, for
the same database in the same run:
- summary with p50/p95 (AnalyticsService.summary) vs the specification's "Most Time-Consuming
  Tools" query (jsonb_array_elements over task_logs), over all rows and over 7 days;
- 3-gram sequences; redundancy for the one adw_id with 10 K calls; a few other answers;
- the summary narrowed by a project and by a template, the cost report, the Runs page's query.
Targets (DESIGN.md, issues 15, 16, 19): summary < 0.1 s at 10 M calls and >= 20x faster than the
spec's query; a filtered summary and the cost totals < 0.3 s; 3-grams < 0.5 s; redundancy < 0.1 s.
Timings are the median of several runs after one warm-up run. Run it on a 1 M-call set too
(`TOOLTRACK_BENCH_LOGS=10000 python bench/dataset.py --database tooltrack_bench_1m`) to see how
each answer grows with history (docs/analytics.md has both).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dataset
from dataset import BIG_RUN, dataset_url, ensure_dataset

from tooltrack.analytics import AnalyticsService, Filters
from tooltrack.store import make_engine

# The specification's query 3, "Most Time-Consuming Tools", with the window as a bound parameter
# (the specification interpolates it into the SQL text; the plan and the work are the same).
SPEC_ALL_ROWS = """
SELECT
    tool_call->>'tool_name' as tool_name,
    COUNT(*) as call_count,
    SUM((tool_call->>'duration_ms')::int) as total_duration_ms,
    AVG((tool_call->>'duration_ms')::int) as avg_duration_ms,
    MAX((tool_call->>'duration_ms')::int) as max_duration_ms
FROM task_logs,
     jsonb_array_elements(tool_calls) as tool_call
GROUP BY tool_call->>'tool_name'
ORDER BY total_duration_ms DESC
"""
CALLS_LAST_WEEK = (
    "SELECT sum(jsonb_array_length(tool_calls)) FROM task_logs WHERE created_at >= NOW() - interval '7 days'"
)
SPEC_WINDOW = SPEC_ALL_ROWS.replace("GROUP BY", "WHERE created_at >= NOW() - make_interval(days => :days)\nGROUP BY")


def timed(action: Callable[[], Any], runs: int, warmup: int = 1) -> tuple[float, Any]:
    """Median seconds of `runs` runs after `warmup` runs; and the last result."""
    result = None
    for _ in range(warmup):
        result = action()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line; sets the data set's size, database and server (bench/dataset.py) from it."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--logs", type=int, default=dataset.LOGS, help="task logs in the data set (default %(default)s)"
    )
    parser.add_argument(
        "--calls-per-log", type=int, default=dataset.CALLS_PER_LOG, help="tool calls per task log (default %(default)s)"
    )
    parser.add_argument(
        "--database",
        help=f"PostgreSQL database of the data set (default {dataset.DATABASE} at the default size, else "
        "tooltrack_bench_<logs>x<calls>): built when missing or made with other sizes",
    )
    parser.add_argument("--server", default=dataset.server_url(), help="PostgreSQL server URL (default %(default)s)")
    parser.add_argument("--rebuild", action="store_true", help="drop the data set and build it again")
    parser.add_argument("--skip-spec", action="store_true", help="leave out the specification's SQL (slow)")
    parser.add_argument(
        "--as-is", action="store_true", help="use the database as it is (a copy, an older data set): never rebuild it"
    )
    args = parser.parse_args(argv)
    default_size = (args.logs, args.calls_per_log) == (dataset.LOGS, dataset.CALLS_PER_LOG)
    # Another size never rebuilds the default data set in place: it gets a database of its own.
    dataset.DATABASE = args.database or (
        dataset.DATABASE if default_size else f"tooltrack_bench_{args.logs}x{args.calls_per_log}"
    )
    dataset.LOGS, dataset.CALLS_PER_LOG = args.logs, args.calls_per_log
    os.environ[dataset.SERVER_ENV] = args.server
    return args


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    url = (
        dataset_url(dataset.DATABASE) if args.as_is else ensure_dataset(rebuild=args.rebuild, database=dataset.DATABASE)
    )
    engine = make_engine(url)
    service = AnalyticsService(engine)
    with engine.connect() as connection:
        logs = connection.execute(text("SELECT count(*) FROM task_logs")).scalar_one()
        calls = connection.execute(text("SELECT sum(jsonb_array_length(tool_calls)) FROM task_logs")).scalar_one()
        week = connection.execute(text(CALLS_LAST_WEEK)).scalar_one()
        size = connection.execute(text("SELECT pg_size_pretty(pg_total_relation_size('task_logs'))")).scalar_one()
    print(f"data: {logs:,} task logs, {calls:,} calls ({week:,} in the last 7 days), task_logs {size}")
    print("note: a 2-core machine shared with other work; figures are medians after a warm-up run\n")

    def spec(days: int | None) -> Any:
        with engine.connect() as connection:
            if days is None:
                return connection.execute(text(SPEC_ALL_ROWS)).all()
            return connection.execute(text(SPEC_WINDOW), {"days": days}).all()

    rows: list[tuple[str, float, str]] = []
    if args.skip_spec:
        spec_all, spec_all_rows, spec_week = float("nan"), None, float("nan")
    else:
        spec_all, spec_all_rows = timed(lambda: spec(None), runs=2)
        spec_week, _ = timed(lambda: spec(7), runs=3)
    everything, week_filters = Filters(days=3650), Filters(days=7)
    with engine.connect() as connection:
        # The busiest project and template, so the filtered figures read the most rows they can.
        project = connection.execute(
            text("SELECT project FROM task_logs GROUP BY project ORDER BY count(*) DESC LIMIT 1")
        ).scalar()
        template = connection.execute(
            text("SELECT workflow_template FROM task_logs GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
        ).scalar()
    by_project = Filters(days=3650, project=project or "")
    by_template = Filters(days=3650, workflow_template=template or "")
    by_both = Filters(days=30, project=project or "", workflow_template=template or "")
    summary_project, _ = timed(lambda: service.summary(by_project), runs=5)
    summary_template, _ = timed(lambda: service.summary(by_template), runs=5)
    summary_both, _ = timed(lambda: service.summary(by_both), runs=3)
    cost_all, _ = timed(lambda: service.cost(everything), runs=3)
    cost_30, _ = timed(lambda: service.cost(Filters(days=30)), runs=3)
    cost_project, _ = timed(lambda: service.cost(Filters(days=30, project=project or "")), runs=3)
    runs_page, _ = timed(lambda: service.runs(Filters(days=30)), runs=5)
    runs_failed, _ = timed(lambda: service.runs(everything, outcome="failed"), runs=5)
    options, _ = timed(service.filter_options, runs=5)
    summary_all, summary = timed(lambda: service.summary(everything), runs=7)
    summary_week, _ = timed(lambda: service.summary(week_filters), runs=7)
    grams, report = timed(lambda: service.sequences(everything, n=3, min_count=10), runs=7)
    grams_30, _ = timed(lambda: service.sequences(Filters(days=30), n=3, min_count=10), runs=7)
    redundancy, found = timed(lambda: service.redundancy(BIG_RUN), runs=7)
    failures, _ = timed(lambda: service.failures(Filters(days=30)), runs=5)
    alerts, _ = timed(lambda: service.redundancy_alerts(Filters(days=30)), runs=5)
    slowest, _ = timed(lambda: service.slowest_calls(Filters(days=30)), runs=5)
    drill, _ = timed(lambda: service.drilldown(BIG_RUN), runs=3)

    # The same answer, two ways: the counts must agree.
    ours = {name: stats.count for name, stats in summary.by_tool.items()}
    if spec_all_rows is None:
        agree = "not compared (--skip-spec)"
    else:
        spec_counts = {row.tool_name: row.call_count for row in spec_all_rows}
        agree = "yes" if spec_counts == ours else f"NO: spec {spec_counts} vs ours {ours}"

    def verdict(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    rows = [
        ("spec SQL, most time-consuming tools, all rows", spec_all, ""),
        ("spec SQL, most time-consuming tools, 7 days", spec_week, ""),
        ("summary with p50/p95, all rows", summary_all, f"target < 0.1 s: {verdict(summary_all < 0.1)}"),
        (
            "  speed-up over the spec SQL, all rows",
            spec_all / summary_all,
            f"target >= 20x: {verdict(spec_all / summary_all >= 20)}",
        ),
        ("summary with p50/p95, 7 days", summary_week, f"target < 0.1 s: {verdict(summary_week < 0.1)}"),
        (
            "  speed-up over the spec SQL, 7 days",
            spec_week / summary_week,
            f"target >= 20x: {verdict(spec_week / summary_week >= 20)}",
        ),
        ("3-gram sequences, all rows (min_count=10)", grams, f"target < 0.5 s: {verdict(grams < 0.5)}"),
        ("3-gram sequences, 30 days", grams_30, f"target < 0.5 s: {verdict(grams_30 < 0.5)}"),
        (
            f"redundancy for {BIG_RUN} ({found.tool_calls:,} calls)",
            redundancy,
            f"target < 0.1 s: {verdict(redundancy < 0.1)}",
        ),
        (f"summary, all rows, project {project}", summary_project, f"target < 0.3 s: {verdict(summary_project < 0.3)}"),
        (
            f"summary, all rows, template {template}",
            summary_template,
            f"target < 0.3 s: {verdict(summary_template < 0.3)}",
        ),
        ("summary, 30 days, project and template", summary_both, f"target < 0.3 s: {verdict(summary_both < 0.3)}"),
        ("cost report, all rows", cost_all, f"target < 0.3 s: {verdict(cost_all < 0.3)}"),
        ("cost report, 30 days", cost_30, f"target < 0.3 s: {verdict(cost_30 < 0.3)}"),
        (f"cost report, 30 days, project {project}", cost_project, ""),
        ("runs page, 30 days (first 50 of all)", runs_page, f"target < 1.5 s: {verdict(runs_page < 1.5)}"),
        ("runs page, all rows, failed runs", runs_failed, ""),
        ("filter options", options, ""),
        ("failures, 30 days (page of 100 + kinds)", failures, ""),
        ("redundancy alerts, 30 days", alerts, ""),
        ("slowest calls, 30 days", slowest, ""),
        (f"drill-down of {BIG_RUN}", drill, ""),
    ]
    width = max(len(name) for name, _, _ in rows)
    for name, value, note in rows:
        shown = f"{value:8.1f}x" if name.strip().startswith("speed-up") else f"{value:8.3f} s"
        print(f"{name:<{width}}  {shown}  {note}")
    print(f"\nper-tool counts of the summary equal the spec SQL's: {agree}")
    print(f"3-grams found: {len(report.sequences)}; top: {report.sequences[0].sequence if report.sequences else '-'}")
    print(f"p95 per tool (ms): {', '.join(f'{n} {s.p95_duration_ms:.0f}' for n, s in summary.by_tool.items())}")
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
