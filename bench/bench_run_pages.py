"""The Runs, drill-down and Cost pages over the 10 M-call PostgreSQL data set: first render, cold caches.

Reuses the shared data set of `bench/dataset.py` (database `tooltrack_bench`) and never builds or
rebuilds it: when it is not ready, this script says so and stops. Each page is rendered by
Streamlit's AppTest through app.py's navigation, `st.cache_data` cleared before every timed run
(the engine stays, as in a running server); the time is the page script's run with every query,
frame and figure, not the browser's drawing. Target: under 1.5 s per page (issues 15 and 16).

    python bench/bench_run_pages.py            # 3 cold runs per page, median and worst printed
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

# One cold render, timed as bench_dashboard times the other pages.
from bench_dashboard import TARGET_S  # noqa: E402
from bench_dashboard import _render as render_page  # noqa: E402
from dataset import DATABASE, _ready, dataset_url  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="cold renders per page (default 3)")
    parser.add_argument("--database", default=DATABASE, help="the data set's database (default %(default)s)")
    parser.add_argument("--as-is", action="store_true", help="use the database as it is (a copy, an older data set)")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    if not args.as_is and not _ready(args.database):
        print("the data set is not ready: build it with `python bench/dataset.py` first (or pass --as-is)")
        return 1
    url = dataset_url(args.database)
    os.environ["TOOLTRACK_DATABASE_URL"] = url

    from tooltrack.analytics import MAX_DAYS, AnalyticsService, Filters
    from tooltrack.store import make_engine

    engine = make_engine(url)
    service = AnalyticsService(engine)
    everything = service.runs(Filters(days=MAX_DAYS), limit=1)
    newest = everything.runs[0].adw_id
    calls = service.summary(Filters(days=MAX_DAYS)).total_tool_calls
    engine.dispose()
    last_page = max(1, -(-everything.total // 100))
    pages = [
        ("Runs (30 days, newest first)", "runs.py", {}),
        ("Runs (all time, newest first)", "runs.py", {"days": "all"}),
        ("Runs (all time, failed runs)", "runs.py", {"days": "all", "outcome": "failed"}),
        ("Runs (all time, search by id prefix)", "runs.py", {"days": "all", "q": newest[:6]}),
        ("Runs (all time, search a title word)", "runs.py", {"days": "all", "q": "export"}),
        (
            f"Runs (all time, by calls, last page {last_page:,})",
            "runs.py",
            {"days": "all", "sort": "calls", "size": "100", "page": str(last_page)},
        ),
        ("Drill-down (newest run, by a prefix)", "workflow.py", {"adw_id": newest[:-2]}),
        ("Cost (30 days)", "cost.py", {}),
        ("Cost (all time)", "cost.py", {"days": "all"}),
    ]
    print(f"data set: {calls:,} tool calls in {everything.total:,} runs (PostgreSQL); {args.runs} cold renders each")
    print("machine: 2 cores, shared with other work while measured\n")
    render_page("ingest.py", {})  # imports, engine and migration check once, as a running server has them
    print(f"{'page':<52} {'median s':>9} {'worst s':>8}  target < {TARGET_S} s")
    for label, page, query in pages:
        times = [render_page(page, query) for _ in range(args.runs)]
        median, worst = statistics.median(times), max(times)
        print(f"{label:<52} {median:>9.3f} {worst:>8.3f}  {'ok' if median < TARGET_S else 'SLOW'}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
