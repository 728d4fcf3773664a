"""Dashboard pages over 10 M calls in PostgreSQL: each page's first render, with cold caches.

Uses the shared data set (`bench/dataset.py`: database `tooltrack_bench`, 100 K task logs x 100
calls, built once and reused). Each page is rendered by Streamlit's AppTest through app.py's
navigation, as a browser session would run it, with `st.cache_data` cleared before every timed
run (the engine stays, as in a running server). The time is the page script's run: every query,
every frame, every Plotly figure; not the browser's drawing. Target: under 1.5 s per page.

    python bench/bench_dashboard.py             # 3 cold runs per page, median and worst printed
    python bench/bench_dashboard.py --runs 5
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from dataset import BIG_RUN, ensure_dataset  # noqa: E402

TARGET_S = 1.5
APP = ROOT / "app.py"
PAGE_DIR = "tooltrack/dashboard/pages"


def _pages(typical_run: str) -> list[tuple[str, str, dict[str, str]]]:
    """(label, page file, query) for every page, and the drill-down for a typical and a huge run."""
    return [
        ("Overview (30 days)", "overview.py", {}),
        ("Overview (all time)", "overview.py", {"days": "all"}),
        ("Tools and latency", "tools.py", {}),
        ("Failures", "failures.py", {}),
        ("Redundancy", "redundancy.py", {}),
        ("Sequences", "sequences.py", {}),
        ("Workflow drill-down (typical run)", "workflow.py", {"adw_id": typical_run}),
        ("Workflow drill-down (10 K-call run, 5 K shown)", "workflow.py", {"adw_id": BIG_RUN}),
        ("Ingest", "ingest.py", {}),
    ]


def _render(page: str, query: dict[str, str]) -> float:
    """Seconds for one cold render of `page` (after a first run of app.py, which AppTest needs)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=300)
    at.run()  # the landing page (Overview, default filters): AppTest switches pages only after a run
    at.switch_page(f"{PAGE_DIR}/{page}")
    at.query_params.clear()
    at.query_params.update(query)
    st.cache_data.clear()
    started = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - started
    if at.exception:
        raise RuntimeError(f"{page} raised: {[e.message for e in at.exception]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="cold renders per page (default 3)")
    args = parser.parse_args()

    # Bare-mode AppTest logs a warning per run and per cache; the figures are what this script is for.
    logging.disable(logging.WARNING)
    url = ensure_dataset()
    os.environ["TOOLTRACK_DATABASE_URL"] = url

    from tooltrack.analytics import AnalyticsService, Filters
    from tooltrack.store import make_engine

    engine = make_engine(url)
    summary = AnalyticsService(engine).summary(Filters(days=3650))
    alerts = AnalyticsService(engine).redundancy_alerts(Filters(), limit=50)
    typical = next(a.adw_id for a in alerts if a.adw_id != BIG_RUN)
    engine.dispose()
    print(f"data set: {summary.total_tool_calls:,} tool calls (PostgreSQL); {args.runs} cold renders per page")
    print("machine: 2 cores, shared with other work while measured\n")

    _render("ingest.py", {})  # imports, engine and migration check once, as a running server has them
    print(f"{'page':<48} {'median s':>9} {'worst s':>8}  target < {TARGET_S} s")
    failed = []
    for label, page, query in _pages(typical):
        times = [_render(page, query) for _ in range(args.runs)]
        median, worst = statistics.median(times), max(times)
        verdict = "ok" if median < TARGET_S else "SLOW"
        if median >= TARGET_S:
            failed.append(label)
        print(f"{label:<48} {median:>9.3f} {worst:>8.3f}  {verdict}", flush=True)
    if failed:
        print(f"\nover target: {', '.join(failed)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
